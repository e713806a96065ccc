"""rerun-period: reprocess one reporting period's current submissions from the archive, in one transaction."""
from __future__ import annotations

import re
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run
from sqlalchemy import select

from config.settings import load_settings
from flows.shared import IO_RETRIES, publish_artifacts, trigger_of
from tasks.load import FileOutcome, outcome_of, replace_submission
from tasks.process import process_submission
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
            result = process_submission(data, row.source)
            replace_submission(conn, result)
            outcome = outcome_of(result)
            outcomes.append(outcome)
    return outcomes


@task(name="rerun-submissions", **IO_RETRIES)
def rerun_submissions(warehouse_url: str, period: str, unit: str | None, run_id: str) -> list[FileOutcome]:
    """Redo the period from the archive in one transaction (I/O: retried, and a retry starts the period over)."""
    return rerun_period_plain(warehouse_url, period, unit, run_id)


PERIOD = re.compile(r"\d{4}(-\d{4})?")


def checked_period(period: str) -> str:
    """The period as the warehouse spells it (YYYY or YYYY-YYYY), or an error that says so."""
    cleaned = period.strip().replace("\u2013", "-").replace("\u2014", "-").replace(" ", "")
    if not PERIOD.fullmatch(cleaned):
        raise ValueError(f"period {period!r} is not YYYY or YYYY-YYYY; write it like 2016-2020 (the phase) or 2020")
    return cleaned


def rerun_name() -> str:
    """What the Prefect UI calls a rerun: its period and unit, so a steward finds it in the list."""
    params = flow_run.parameters
    return f"rerun {params.get('period')}" + (f" unit {params['unit']}" if params.get("unit") else "")


@flow(name="rerun-period", flow_run_name=rerun_name)
def rerun_period(period: str, unit: str | None = None) -> dict:
    """A steward's rerun of one reporting period (optionally one unit) after a fix to a file, the catalog or the rules."""
    period = checked_period(period)
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "rerun-period", trigger_of("rerun"), {"period": period, "unit": unit},
                       flow_run_id=str(flow_run.id))
    outcomes = rerun_submissions(settings.warehouse_url, period, unit, run_id)
    summary = finish_run(engine, run_id, outcomes)
    publish_artifacts(summary, outcomes, "rerun-period")
    get_run_logger().info("rerun of %s: %s submissions reprocessed", period, len(outcomes))
    return summary
