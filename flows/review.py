"""The review after a load or rerun, as task runs the Prefect UI shows: expectations, the failure queue, the report."""
from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from config.settings import load_settings
from flows import review_worker
from tasks.review.checkpoint import run_checkpoint, start_checkpoint, stop_checkpoint
from tasks.review.steward import sync_queue, write_steward_report

_worker_serving: dict[str, bool] = {}  # flow run id -> whether a review worker checks its warehouse


def on_review_worker() -> bool:
    """Whether this flow run hands its checkpoint to a review worker (flows/review_worker.py); asked once per run."""
    run = str(flow_run.id or "")
    if run not in _worker_serving:
        _worker_serving[run] = review_worker.serving()
    return _worker_serving[run]


def prepare_review() -> None:
    """The run will load something: have great-expectations ready by the time it is needed. A review worker holds it
    already; otherwise its own process starts importing it now, on the other core."""
    if not on_review_worker():
        start_checkpoint()


@task(name="check-expectations", cache_policy=NO_CACHE)
def expectations(warehouse_url: str, datadocs: str) -> None:
    """The great-expectations checkpoint on the warehouse, in the review worker when one serves this server, else in a
    process of its own; its results join the failure queue."""
    if on_review_worker():
        if review_worker.check_on_worker(warehouse_url, datadocs):
            return
        get_run_logger().warning("the review worker went away during the checkpoint: checking the warehouse here")
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
