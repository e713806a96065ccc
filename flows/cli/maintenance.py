"""What an operator runs to keep the warehouse: rebuild it from the archive, back it up, restore it."""
from __future__ import annotations

from pathlib import Path

import typer


def rebuild(
    period: str = typer.Option(None, "--period", help="Only this period (YYYY or YYYY-YYYY); default every period."),
) -> None:
    """Recreate submissions, facts and findings from the archived bytes with today's catalog and rules, one
    transaction per period; steward decisions (waivers, acknowledgements) are kept by fingerprint."""
    from config.settings import load_settings
    from contracts.period import checked_period
    from tasks.batch import rebuild_warehouse
    from tasks.review.queue import sync_failures
    from warehouse.db import engine_for, upgrade

    if period:
        try:
            period = checked_period(period)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2)
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    done = rebuild_warehouse(engine, period)
    queue = sync_failures(engine)
    for code, count in done.items():
        typer.echo(f"rebuilt period {code}: {count} submissions")
    typer.echo("failure queue: {opened} opened, {reopened} reopened, {resolved} resolved, {kept} kept".format(**queue))


def backup(
    out: Path = typer.Option(..., "--out", help="A new or empty folder: the warehouse's tables, the archive, manifest.json."),
) -> None:
    """Write the warehouse (one JSON-lines file per table) and the archive to a folder, with a SHA-256 manifest."""
    from config.settings import load_settings
    from tasks.load.backup import backup_warehouse
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    try:
        manifest = backup_warehouse(engine_for(settings.warehouse_url), settings.archive_dir, out)
    except FileExistsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    rows = sum(t["rows"] for t in manifest["tables"])
    archived = sum(1 for name in manifest["files"] if name.startswith("archive/"))
    typer.echo(f"backup in {out}: {len(manifest['tables'])} tables, {rows} rows, {archived} archived files")


def restore(
    folder: Path = typer.Argument(..., help="A folder `baocao backup` wrote."),
) -> None:
    """Replace the warehouse's rows with a backup's and bring back its archived files; refused (exit 1) when a
    file does not match the backup's manifest."""
    from config.settings import load_settings
    from tasks.load.backup import BackupMismatch, restore_warehouse
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    try:
        restored = restore_warehouse(engine_for(settings.warehouse_url), folder, settings.archive_dir)
    except BackupMismatch as exc:
        typer.echo(f"restore refused: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"restored {sum(restored.values())} rows in {len(restored)} tables from {folder}")
