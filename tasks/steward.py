"""After every load: check the warehouse, bring the failure queue up to date, write the steward's report."""
from __future__ import annotations

from pathlib import Path

from tasks.failures import sync_failures
from tasks.report import write_report
from warehouse.db import engine_for, upgrade


def review_warehouse(warehouse_url: str, report_dir: Path | str, period: str | None = None,
                     expectations: bool = True) -> Path:
    """Run the GX checkpoint (its Data Docs into report_dir/datadocs), sync the failures, write the report."""
    upgrade(warehouse_url)
    report_dir = Path(report_dir)
    datadocs = report_dir / "datadocs"
    if expectations:
        from tasks.expect import check_warehouse

        check_warehouse(warehouse_url, datadocs)
    sync_failures(engine_for(warehouse_url))
    return write_report(engine_for(warehouse_url), report_dir, period=period,
                        datadocs=datadocs if datadocs.is_dir() else None)
