"""The steward's desk inside a flow: check the warehouse, sync the failure queue, write and link the report."""
from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE

from config.settings import load_settings
from tasks.steward import review_warehouse


@task(name="review-warehouse", cache_policy=NO_CACHE)
def review_after_load(warehouse_url: str | None = None, report_dir: str | None = None, changed: bool = True) -> str:
    """After a load or rerun: GX checkpoint, failure queue sync, HTML report; the run's artifacts link to it.

    A night that loaded nothing only syncs the queue (expired waivers reopen): the checkpoint and the
    report would say what they said yesterday, at tens of seconds for a large warehouse."""
    from tasks.read.guard import stop_readers

    stop_readers()  # the files are read: the readers' forkserver would hold ~90 MiB through the review
    settings = load_settings()
    if not changed:
        from tasks.failures import sync_failures
        from warehouse.db import engine_for

        sync_failures(engine_for(warehouse_url or settings.warehouse_url))
        return str((Path(report_dir) if report_dir else settings.var_dir / "report") / "index.html")
    index = review_warehouse(warehouse_url or settings.warehouse_url,
                             Path(report_dir) if report_dir else settings.var_dir / "report")
    create_link_artifact(key="baocao-report", link=index.resolve().as_uri(), link_text="baocao report (HTML)",
                         description="baocao: the steward's report written by this run (open from disk)")
    return str(index)
