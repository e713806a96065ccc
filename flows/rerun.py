"""rerun-period: reprocess one reporting period's current submissions from the archive, in one transaction."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy import select

from config.settings import load_settings
from tasks.load import FileOutcome, outcome_of, replace_submission
from tasks.read.guard import process_isolated
from tasks.publish import finish_run, start_run
from warehouse.db import engine_for, upgrade
from warehouse.models import Submission


def rerun_period_plain(warehouse_url: str, period: str, unit: str | None = None, run_id: str | None = None) -> list[FileOutcome]:
    """Redo facts and findings of every current submission of the period with today's catalog and rules."""
    engine = engine_for(warehouse_url)
    query = select(Submission.id, Submission.source, Submission.archive_path).where(
        Submission.period == period, Submission.is_current.is_(True)
    )
    if unit:
        query = query.where((Submission.unit_code == unit) | (Submission.unit_name == unit))
    outcomes: list[FileOutcome] = []
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # at most one rerun of a period at a time: the second waits for the first to commit
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rerun:{period}",))
        rows = conn.execute(query.order_by(Submission.id)).all()
        for row in rows:
            data = Path(row.archive_path).read_bytes()
            result = process_isolated(data, row.source)  # the same time and memory bounds as the nightly run
            replace_submission(conn, result)
            outcome = outcome_of(result)
            outcomes.append(outcome)
    return outcomes


@task(name="rerun-submissions", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def rerun_submissions(warehouse_url: str, period: str, unit: str | None, run_id: str) -> list[FileOutcome]:
    return rerun_period_plain(warehouse_url, period, unit, run_id)


@flow(name="rerun-period")
def rerun_period(period: str, unit: str | None = None) -> dict:
    """A steward's rerun of one reporting period (optionally one unit) after a fix to a file, the catalog or the rules."""
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "rerun-period", "rerun", {"period": period, "unit": unit}, flow_run_id=str(flow_run.id))
    outcomes = rerun_submissions(settings.warehouse_url, period, unit, run_id)
    summary = finish_run(engine, run_id, outcomes)
    get_run_logger().info("rerun of %s: %s submissions reprocessed", period, len(outcomes))
    return summary
