"""The review after a load or rerun, as task runs the Prefect UI shows: expectations, the failure queue, the report."""
from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE

from config.settings import load_settings
from tasks.review.checkpoint import run_checkpoint, stop_checkpoint
from tasks.review.steward import sync_queue, write_steward_report


@task(name="check-expectations", cache_policy=NO_CACHE)
def expectations(warehouse_url: str, datadocs: str) -> None:
    """The great-expectations checkpoint on the warehouse, in its own process; its results join the failure queue."""
    run_checkpoint(warehouse_url, Path(datadocs))


@task(name="sync-failure-queue", cache_policy=NO_CACHE)
def failure_queue(warehouse_url: str) -> dict:
    """New failures opened, fixed ones closed, expired waivers reopened."""
    return sync_queue(warehouse_url)


@task(name="write-report", cache_policy=NO_CACHE)
def report(warehouse_url: str, report_dir: str) -> str:
    """The steward's HTML report, linked from the run's artifacts."""
    index = write_steward_report(warehouse_url, Path(report_dir))
    create_link_artifact(key="baocao-report", link=index.resolve().as_uri(), link_text="baocao report (HTML)",
                         description="baocao: the steward's report written by this run (open from disk)")
    return str(index)


def review_after_load(warehouse_url: str | None = None, report_dir: str | None = None, changed: bool = True) -> str:
    """After a load or rerun: checkpoint, queue, report. A night that loaded nothing only syncs the queue (expired
    waivers reopen): the checkpoint and the report would say what they said yesterday."""
    from tasks.workers import stop_readers

    stop_readers()  # the files are read: the readers' forkserver would hold ~90 MiB through the review
    settings = load_settings()
    url = warehouse_url or settings.warehouse_url
    out = Path(report_dir) if report_dir else settings.var_dir / "report"
    if changed:
        expectations(url, str(out / "datadocs"))
    else:
        stop_checkpoint()  # started for files that all turned out loaded already (by a concurrent run)
    failure_queue(url)
    return report(url, str(out)) if changed else str(out / "index.html")
