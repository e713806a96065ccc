"""`baocao failures …` and `baocao report`: the steward's desk on the command line (no Prefect, no GX at import)."""
from __future__ import annotations

import getpass
import json
import os
from datetime import date
from enum import Enum
from pathlib import Path

import typer

failures_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="The failure queue: list, show, acknowledge, waive, reopen.")


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _engine():
    from flows.cli.errors import warehouse_url
    from warehouse.db import engine_for

    return engine_for(warehouse_url(must_exist=True))


def _steward() -> str:
    return os.environ.get("USER") or getpass.getuser() or "unknown"


@failures_app.command("list")
def list_cmd(
    period: str = typer.Option(None, "--period", help="Reporting period, YYYY or YYYY-YYYY."),
    unit: str = typer.Option(None, "--unit", help="GSO code or name of the unit."),
    form: str = typer.Option(None, "--form", help="BIEU_01, BIEU_02, …"),
    severity: str = typer.Option(None, "--severity", help="error, warning or info."),
    status: str = typer.Option(None, "--status", help="open, acknowledged, resolved or waived."),
    format: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="table, json or csv"),
) -> None:
    """The queue of failures, worst first; each carries its id (the fingerprint) and status."""
    from tasks.review.queue import failure_record, failures_csv, list_failures

    rows = list_failures(_engine(), period=period, unit=unit, form=form, severity=severity, status=status)
    if format is ListFormat.json:
        typer.echo(json.dumps({"failures": [failure_record(r) for r in rows]}, ensure_ascii=False, indent=2))
    elif format is ListFormat.csv:
        typer.echo(failures_csv(rows), nl=False)
    else:
        for r in rows:
            where = " ".join(str(x) for x in (r["form"], r["label"] and f"'{r['label']}'", r["source"]) if x)
            typer.echo(f"{r['id'][:12]}  {r['status']:12} {r['severity']:7} {r['rule']:26} "
                       f"{r['unit_name'] or '-':12} {r['period'] or '-':9} {where}")
        typer.echo(f"{len(rows)} failures")


@failures_app.command("show")
def show_cmd(failure_id: str = typer.Argument(..., help="The failure's id (or its first 6+ characters).")) -> None:
    """One failure: its messages in Vietnamese and English, the source cell and the lines around it."""
    from tasks.review.queue import StewardError, archive_path_of, failure_events, find_failure, source_excerpt

    engine = _engine()
    try:
        with engine.connect() as conn:
            r = dict(find_failure(conn, failure_id))
    except StewardError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"id        {r['id']}")
    typer.echo(f"status    {r['status']}" + (f" — {r['reason']} ({r['steward']}"
                                              f"{', until ' + r['until'].isoformat() if r['until'] else ''})"
                                              if r["status"] == "waived" else ""))
    typer.echo(f"rule      {r['rule']} ({r['severity']})")
    typer.echo(f"report    {r['unit_name'] or '-'} ({r['unit_code'] or '-'}), {r['period'] or '-'}, {r['file'] or '-'}")
    typer.echo(f"vi        {r['message_vi']}")
    typer.echo(f"en        {r['message_en']}")
    typer.echo(f"cell      {r['source'] or '-'}  expected {r['expected']}  actual {r['actual']}")
    path = archive_path_of(engine, r["submission_id"])
    excerpt = source_excerpt(path, r["source"])
    if excerpt:
        typer.echo(f"archived  {path}")
        for line in excerpt:
            typer.echo(f"{'>' if line.here else ' '} {str(line.number):>5} │ {line.text}")
    typer.echo("history")
    for e in failure_events(engine, r["id"]):
        typer.echo(f"  {e['at']:%Y-%m-%d %H:%M}  {e['who']:10} {e['from_status'] or '-'} → {e['to_status']}"
                   + (f"  {e['note']}" if e["note"] else ""))


def _change(failure_id: str, action: str, who: str | None, reason: str | None = None, until: date | None = None):
    from tasks.review.queue import StewardError, change_status

    try:
        r = change_status(_engine(), failure_id, action, who or _steward(), reason=reason, until=until)
    except StewardError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"{r['id'][:12]} is now {r['status']}")


@failures_app.command("ack")
def ack_cmd(failure_id: str = typer.Argument(...),
            note: str = typer.Option(None, "--note", help="Why, for the history."),
            by: str = typer.Option(None, "--by", help="The steward (default: $USER).")) -> None:
    """Acknowledge a failure: seen, being dealt with."""
    _change(failure_id, "ack", by, reason=note)


@failures_app.command("waive")
def waive_cmd(failure_id: str = typer.Argument(...),
              reason: str = typer.Option(..., "--reason", help="Why this failure is accepted."),
              until: str = typer.Option(None, "--until", help="Expiry date, YYYY-MM-DD; after it the failure reopens."),
              by: str = typer.Option(None, "--by", help="The steward (default: $USER).")) -> None:
    """Waive a failure with a reason: it stays waived across reruns until its values change or the waiver expires."""
    try:
        expiry = date.fromisoformat(until) if until else None
    except ValueError:
        typer.echo(f"--until {until!r} is not a date; write it as YYYY-MM-DD", err=True)
        raise typer.Exit(2)
    _change(failure_id, "waive", by, reason=reason, until=expiry)


@failures_app.command("reopen")
def reopen_cmd(failure_id: str = typer.Argument(...),
               note: str = typer.Option(None, "--note", help="Why, for the history."),
               by: str = typer.Option(None, "--by", help="The steward (default: $USER).")) -> None:
    """Reopen an acknowledged or waived failure."""
    _change(failure_id, "reopen", by, reason=note)


def report_cmd(
    period: str = typer.Option(None, "--period", help="Reporting period (default: every period in the warehouse)."),
    out: Path = typer.Option(Path("var/report"), "--out", help="Folder to write the static site into."),
    expectations: bool = typer.Option(True, "--expectations/--no-expectations",
                                      help="Run the warehouse checkpoint and build its Data Docs first."),
) -> None:
    """Write the steward's HTML report (opens from disk, no network) for a period."""
    from flows.cli.errors import warehouse_url
    from flows.environment import quiet_libraries
    from tasks.review.steward import review_warehouse

    quiet_libraries()
    index = review_warehouse(warehouse_url(must_exist=True), out, period=period, expectations=expectations)
    typer.echo(f"report written: {index}")
