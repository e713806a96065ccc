"""rerun-period: reprocess one reporting period's current submissions from the archive, in one transaction."""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from config.settings import load_settings
from contracts.period import checked_period
from flows.shared import IO_RETRIES, publish_artifacts, trigger_of
from flows.review import prepare_review, review_after_load, review_since
from flows.summary import progress_extra, summary_line
from tasks.batch import rerun_period_rows
from tasks.load.submissions import FileOutcome
from tasks.review.runs import finish_run, start_run
from warehouse.db import engine_for, upgrade


def rerun_period_plain(warehouse_url: str, period: str, unit: str | None = None, run_id: str | None = None) -> list[FileOutcome]:
    """Redo facts and findings of every current submission of the period with today's catalog and rules."""
    return rerun_period_rows(engine_for(warehouse_url), period, unit)


@task(name="rerun-submissions", **IO_RETRIES)
def rerun_submissions(warehouse_url: str, period: str, unit: str | None, run_id: str) -> list[FileOutcome]:
    """Redo the period from the archive in one transaction (I/O: retried, and a retry starts the period over)."""
    return rerun_period_plain(warehouse_url, period, unit, run_id)




def rerun_name() -> str:
    """What the Prefect UI calls a rerun: its period and unit, so a steward finds it in the list."""
    params = flow_run.parameters
    return f"rerun {params.get('period')}" + (f" unit {params['unit']}" if params.get("unit") else "")


@flow(name="rerun-period", flow_run_name=rerun_name)
def rerun_period(period: str, unit: str | None = None) -> dict:
    """A steward's rerun of one reporting period (optionally one unit) after a fix to a file, the catalog or the rules."""
    period = checked_period(period)
    prepare_review()  # a rerun always reviews: great-expectations imports on the other core while the period is redone
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    since = review_since()  # the period's reports, reloaded from here on, are what this run's checkpoint looks at
    run_id = start_run(engine, "rerun-period", trigger_of("rerun"), {"period": period, "unit": unit},
                       flow_run_id=str(flow_run.id))
    get_run_logger().info("rerun of %s%s: reprocessing its current submissions", period,
                          f" unit {unit}" if unit else "", extra=progress_extra(stage="reprocessing"))
    outcomes = rerun_submissions(settings.warehouse_url, period, unit, run_id)
    summary = finish_run(engine, run_id, outcomes)
    get_run_logger().info("review: warehouse checks, failure queue, report",
                          extra=progress_extra(total=len(outcomes), done=len(outcomes), stage="review"))
    review_after_load(settings.warehouse_url, since=since)
    publish_artifacts(summary, outcomes, "rerun-period")
    get_run_logger().info(summary_line(summary, "rerun", "submission"))
    return summary
