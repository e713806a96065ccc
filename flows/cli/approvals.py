"""`baocao approvals …`: approve a district's report, unapprove it, accept the province's period (no Prefect)."""
from __future__ import annotations

import getpass
import json
import os
from enum import Enum
from typing import Annotated, Optional

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


Period = Annotated[str, typer.Option("--period", help="Reporting period, YYYY or YYYY-YYYY.")]
Unit = Annotated[str, typer.Option("--unit", help="GSO code (or name) of the unit.")]
Province = Annotated[str, typer.Option("--province", help="GSO code of the province.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit table).")]
Program = Annotated[Optional[str], typer.Option("--program", help="Program code (config/reporting.yaml by default).")]
By = Annotated[Optional[str], typer.Option("--by", help="Who decides ($USER by default).")]


def _decide(action: str, *args):
    """Call tasks.review.approvals.<action>(engine, *args); a refusal is one line on stderr and exit 1."""
    from tasks.review import approvals

    try:
        return getattr(approvals, action)(_engine(), *args)
    except approvals.ApprovalError as exc:
        _refused(exc)


@approvals_app.command("approve")
def approve_cmd(period: Period, unit: Unit, program: Program = None, by: By = None) -> None:
    """Approve a unit's report; refused (exit 1) while nothing is received or error failures are open."""
    typer.echo(_line(_decide("approve", period, unit, _who(by), program)))


@approvals_app.command("unapprove")
def unapprove_cmd(period: Period, unit: Unit, reason: Reason, program: Program = None, by: By = None) -> None:
    """Unapprove a unit's report: its newest pending version becomes current."""
    typer.echo(_line(_decide("unapprove", period, unit, _who(by), reason, program)))


@approvals_app.command("accept")
def accept_cmd(period: Period, province: Province, program: Program = None, by: By = None) -> None:
    """Accept the province's period; refused (exit 1) until every unit that must report is approved."""
    done = _decide("accept", period, province, _who(by), program)
    typer.echo(f"accepted {done['program']} {period} for province {province}: {done['units']} unit(s)")


@approvals_app.command("unaccept")
def unaccept_cmd(period: Period, province: Province, reason: Reason, program: Program = None, by: By = None) -> None:
    """Withdraw the province's acceptance; its units stay approved."""
    _decide("unaccept", period, province, _who(by), reason, program)
    typer.echo(f"unaccepted {period} for province {province}")
