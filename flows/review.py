"""The review after a load or rerun, as task runs the Prefect UI shows: expectations, the failure queue, the report.

The checkpoint runs in great-expectations' own process (or the review worker) while this one brings the queue up to
date with the run's findings and writes the report's periods; the report's warehouse section waits for it."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

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


CLOCK_MARGIN = timedelta(minutes=1)  # NTP keeps machines within a second of each other


def review_since() -> datetime:
    """What a run that starts now passes its review as `since`: now, less a margin for the clocks of the machines
    whose workers load its batches (a report written by a worker whose clock is a little behind still counts as
    this run's). Taking in a few reports of an earlier run costs their check again, never a wrong answer."""
    from warehouse.db import now

    return now() - CLOCK_MARGIN


def prepare_review() -> None:
    """The run will load something: have great-expectations ready by the time it is needed. A review worker holds it
    already; otherwise its own process starts importing it now, on the other core."""
    if not on_review_worker():
        start_checkpoint()


@task(name="check-expectations", cache_policy=NO_CACHE)
def expectations(warehouse_url: str, datadocs: str, since: datetime | None = None) -> dict:
    """The great-expectations checkpoint on the warehouse (the reports loaded since `since`, the run's start), in the
    review worker when one serves this server, else in a process of its own; its results join the failure queue (the
    queue's counts for them are returned)."""
    checked = False
    if on_review_worker():
        checked = review_worker.check_on_worker(warehouse_url, datadocs, since.isoformat() if since else None)
        if not checked:
            get_run_logger().warning("the review worker went away during the checkpoint: checking the warehouse here")
    if not checked:
        run_checkpoint(warehouse_url, Path(datadocs), since)
    return sync_queue(warehouse_url, scope="expectations")


@task(name="sync-failure-queue", cache_policy=NO_CACHE)
def failure_queue(warehouse_url: str, scope: str | None = None) -> dict:
    """New failures opened, fixed ones closed, expired waivers reopened (`scope`: the findings' or the checkpoint's
    only)."""
    return sync_queue(warehouse_url, scope)


@task(name="write-report", cache_policy=NO_CACHE)
def report(warehouse_url: str, report_dir: str, checkpoint: PrefectFuture | None = None) -> str:
    """The steward's HTML report, linked from the run's artifacts; its warehouse section waits for `checkpoint`."""
    index = write_steward_report(warehouse_url, Path(report_dir), checked=checkpoint.result if checkpoint else None)
    create_link_artifact(key="baocao-report", link=index.resolve().as_uri(), link_text="baocao report (HTML)",
                         description="baocao: the steward's report written by this run (open from disk)")
    return str(index)


def review_after_load(warehouse_url: str | None = None, report_dir: str | None = None, changed: bool = True,
                      since: datetime | None = None) -> str:
    """After a load or rerun: checkpoint, queue, report. A night that loaded nothing only syncs the queue (expired
    waivers reopen): the checkpoint and the report would say what they said yesterday. `since`: the run's start; the
    checkpoint looks at the reports loaded since then and keeps what it found in the others."""
    from tasks.workers import stop_readers

    stop_readers()  # the files are read: the readers' forkserver would hold ~90 MiB through the review
    settings = load_settings()
    url = warehouse_url or settings.warehouse_url
    out = Path(report_dir) if report_dir else settings.var_dir / "report"
    if not changed:
        stop_checkpoint()  # started for files that all turned out loaded already (by a concurrent run)
        failure_queue(url)
        return str(out / "index.html")
    # the checkpoint in a thread of this run, which waits for great-expectations' process (or the review worker)
    # while this thread syncs the findings and writes the periods: two cores, not one (N = 5 000, the review after
    # the load: checkpoint, then queue and report, 2.5-2.6 s; side by side 2.0-2.3 s)
    checking = expectations.submit(url, str(out / "datadocs"), since)
    failure_queue(url, scope="findings")
    # quoted: handed as it is, for the report to wait on before its warehouse section, not before it starts
    return report(url, str(out), quote(checking))
