"""What an analyst asks of the warehouse: who reported for a period, and the province's consolidated workbook."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from flows.cli.district import OutputFormat


def completeness(
    paths: list[Path] = typer.Argument(None, help="Reports received for the period; none: what the warehouse holds."),
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    province: str = typer.Option(None, "--province", help="GSO province code (default: BAOCAO_PROVINCE_CODE)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="json or text"),
) -> None:
    """Which units of the province reported for a period, which did not, which were late (config/reporting.yaml)."""
    from datetime import date

    from config.settings import load_settings
    from tasks.check.completeness import check_completeness, received_from
    from tasks.read.submission import read_document

    if not paths:
        _warehouse_completeness(period, province or load_settings().province_code, format)
        return

    received = []
    for p in paths:
        try:
            doc = read_document(p.read_bytes(), p.name)
        except Exception:  # an unreadable file tells completeness nothing; `check` says why
            continue
        if (item := received_from(doc, date.fromtimestamp(p.stat().st_mtime))) is not None:
            received.append(item)
    rows = check_completeness(period, received, province or load_settings().province_code)
    _print_completeness(period, rows, format)


def _warehouse_completeness(period: str, province: str, format: OutputFormat) -> None:
    """The warehouse's `completeness` view for one period: every district, received or not, late or not."""
    from config.settings import load_settings
    from tasks.check.completeness import from_warehouse
    from warehouse import queries
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    rows = from_warehouse(queries.completeness(engine_for(settings.warehouse_url), province, period))
    _print_completeness(period, rows, format)


def _print_completeness(period: str, rows: list, format: OutputFormat) -> None:
    from tasks.check.completeness import summarize_completeness

    if format is OutputFormat.json:
        typer.echo(json.dumps({"period": period, "summary": summarize_completeness(rows),
                               "units": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2, default=str))
        return
    for r in rows:
        when = r.report_date.strftime("%d/%m/%Y") if r.report_date else "-"
        late = f" ({r.days_late} days late)" if r.days_late else ""
        sent = ", ".join(r.annexes_sent) or "-"
        missing = f"; missing {', '.join(r.annexes_missing)}" if r.annexes_missing and r.reported else ""
        typer.echo(f"{r.unit_code} {r.unit_name:12} {r.status:10} {when}{late}  annexes {sent}{missing}")
    s = summarize_completeness(rows)
    typer.echo(f"{len(s['reported'])} of {s['expected']} reported; missing: {', '.join(s['missing']) or '-'}; "
               f"late: {', '.join(s['late']) or '-'}")


def export(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    out: Path = typer.Option(..., "--out", help="The workbook to write, FILE.xlsx."),
    province: str = typer.Option(None, "--province", help="GSO province code (default: BAOCAO_PROVINCE_CODE)."),
) -> None:
    """Write the province's Biểu tổng hợp for a period: one sheet per form, totals as Excel formulas."""
    from config.settings import load_settings
    from tasks.review.export import export_consolidation
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    result = export_consolidation(engine_for(settings.warehouse_url), period, out, province or settings.province_code)
    typer.echo(f"{out}: {len(result.total_cells)} forms, {len(result.districts)} districts reporting"
               + (f"; not reported: {', '.join(result.missing)}" if result.missing else ""))
