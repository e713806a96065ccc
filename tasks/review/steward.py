"""After every load: check the warehouse, bring the failure queue up to date, write the steward's report."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tasks.review.queue import sync_failures
from tasks.review.report import write_report
from warehouse.db import engine_for, upgrade


def check_expectations(warehouse_url: str, datadocs: Path, since: datetime | None = None) -> None:
    """Run the GX checkpoint (on the reports loaded since `since`, a run's start, when given); its Data Docs go to
    `datadocs` (great-expectations is imported only here)."""
    from tasks.review.expectations import check_warehouse

    upgrade(warehouse_url)
    check_warehouse(warehouse_url, datadocs, since)


def sync_queue(warehouse_url: str, scope: str | None = None) -> dict:
    """The failure queue brought up to date with the warehouse's findings and expectation results (`scope`: one of
    them, tasks/review/queue.py SCOPES)."""
    upgrade(warehouse_url)
    return sync_failures(engine_for(warehouse_url), scope=scope)


def write_steward_report(warehouse_url: str, report_dir: Path | str, period: str | None = None,
                         checked: Callable[[], object] | None = None) -> Path:
    """The HTML report, linking the Data Docs when the checkpoint wrote them. `checked`: called before the warehouse
    checks' section is written, to wait for a checkpoint still running (write_report)."""
    return write_report(engine_for(warehouse_url), Path(report_dir), period=period,
                        datadocs=Path(report_dir) / "datadocs", checked=checked)


def review_warehouse(warehouse_url: str, report_dir: Path | str, period: str | None = None,
                     expectations: bool = True) -> Path:
    """The whole review in one call (the `report` command): checkpoint, queue, report."""
    if expectations:
        check_expectations(warehouse_url, Path(report_dir) / "datadocs")
    sync_queue(warehouse_url)
    return write_steward_report(warehouse_url, report_dir, period)
