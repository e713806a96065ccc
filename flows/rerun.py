"""rerun-period: reprocess one reporting period's current submissions from the archive, in one transaction."""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from config.settings import load_settings
from flows.steward import review_after_load
from tasks.load import FileOutcome, rerun_period_rows
from tasks.publish import finish_run, start_run
from warehouse.db import engine_for, upgrade


def rerun_period_plain(warehouse_url: str, period: str, unit: str | None = None, run_id: str | None = None) -> list[FileOutcome]:
    """Redo facts and findings of every current submission of the period with today's catalog and rules."""
    return rerun_period_rows(engine_for(warehouse_url), period, unit)


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
    review_after_load(settings.warehouse_url)
    get_run_logger().info("rerun of %s: %s submissions reprocessed", period, len(outcomes))
    return summary
