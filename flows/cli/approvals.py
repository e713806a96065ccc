"""`baocao approvals …`: approve a district's report, unapprove it, accept the province's period (no Prefect)."""
from __future__ import annotations

import getpass
import json
import os
from enum import Enum

import typer

approvals_app = typer.Typer(add_completion=False, no_args_is_help=True,
                            help="Approval of reports per unit and period, and acceptance per province.")


class ListFormat(str, Enum):
    table = "table"
    json = "json"


def _engine():
    from config.settings import load_settings
    from warehouse.db import engine_for, upgrade

    url = load_settings().warehouse_url
    upgrade(url)
    return engine_for(url)


def _who(by: str | None) -> str:
    return by or os.environ.get("USER") or getpass.getuser() or "unknown"


def _refused(exc: Exception) -> None:
    typer.echo(f"refused: {exc}", err=True)
    raise typer.Exit(1)


def _line(row) -> str:
    state = "ready (blocked: " + ", ".join(f[:12] for f in row.blocking) + ")" if row.blocked else row.state
    by = f" by {row.approved_by} {row.approved_at:%Y-%m-%d %H:%M}" if row.approved_by else ""
    pending = "".join(f"; pending v{p['version']} {p['source']}: {p['changed']} changed cell(s)" for p in row.pending)
    return (f"{row.unit_code:5} {row.unit_name[:20]:20} {row.program:6} {row.period:9} "
            f"{row.report_number or '-':14} {state}{by}{pending}")


@approvals_app.command("list")
def list_cmd(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY."),
    province: str = typer.Option(None, "--province", help="GSO code of the province (BAOCAO_PROVINCE_CODE)."),
    program: str = typer.Option(None, "--program", help="Program code (config/reporting.yaml by default)."),
    format: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="table or json"),
) -> None:
    """Every unit that must report for the period: waiting, ready (or blocked, with the failures), approved,
    accepted, and the pending versions of approved reports."""
    from config.settings import load_settings
    from tasks.review.approvals import ApprovalError, list_approvals

    try:
        rows = list_approvals(_engine(), period, province or load_settings().province_code, program)
    except ApprovalError as exc:
        _refused(exc)
    if format is ListFormat.json:
        typer.echo(json.dumps({"approvals": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:
        typer.echo(_line(row))
    counts = {s: sum(1 for r in rows if r.state == s) for s in ("waiting", "ready", "approved", "accepted")}
    typer.echo(", ".join(f"{n} {s}" for s, n in counts.items()))


@approvals_app.command("approve")
def approve_cmd(
    period: str = typer.Option(..., "--period"),
    unit: str = typer.Option(..., "--unit", help="GSO code (or name) of the unit."),
    program: str = typer.Option(None, "--program"),
    by: str = typer.Option(None, "--by", help="Who approves ($USER by default)."),
) -> None:
    """Approve a unit's report; refused (exit 1) while nothing is received or error failures are open."""
    from tasks.review.approvals import ApprovalError, approve

    try:
        row = approve(_engine(), period, unit, _who(by), program)
    except ApprovalError as exc:
        _refused(exc)
    typer.echo(_line(row))


@approvals_app.command("unapprove")
def unapprove_cmd(
    period: str = typer.Option(..., "--period"),
    unit: str = typer.Option(..., "--unit"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit table)."),
    program: str = typer.Option(None, "--program"),
    by: str = typer.Option(None, "--by"),
) -> None:
    """Unapprove a unit's report: its newest pending version becomes current."""
    from tasks.review.approvals import ApprovalError, unapprove

    try:
        row = unapprove(_engine(), period, unit, _who(by), reason, program)
    except ApprovalError as exc:
        _refused(exc)
    typer.echo(_line(row))


@approvals_app.command("accept")
def accept_cmd(
    period: str = typer.Option(..., "--period"),
    province: str = typer.Option(..., "--province", help="GSO code of the province."),
    program: str = typer.Option(None, "--program"),
    by: str = typer.Option(None, "--by"),
) -> None:
    """Accept the province's period; refused (exit 1) until every unit that must report is approved."""
    from tasks.review.approvals import ApprovalError, accept

    try:
        done = accept(_engine(), period, province, _who(by), program)
    except ApprovalError as exc:
        _refused(exc)
    typer.echo(f"accepted {done['program']} {period} for province {province}: {done['units']} unit(s)")


@approvals_app.command("unaccept")
def unaccept_cmd(
    period: str = typer.Option(..., "--period"),
    province: str = typer.Option(..., "--province"),
    reason: str = typer.Option(..., "--reason"),
    program: str = typer.Option(None, "--program"),
    by: str = typer.Option(None, "--by"),
) -> None:
    """Withdraw the province's acceptance; its units stay approved."""
    from tasks.review.approvals import ApprovalError, unaccept

    try:
        unaccept(_engine(), period, province, _who(by), reason, program)
    except ApprovalError as exc:
        _refused(exc)
    typer.echo(f"unaccepted {period} for province {province}")
