"""Back up the warehouse and the archive to a folder, and restore them, checked against a SHA-256 manifest.

The dump is portable: one JSON-lines file per table, in dependency order, the same on SQLite and PostgreSQL, so a
backup of one restores into the other. The archive's files are copied as they are: a file on its own is named by its
hash, a pack lists its members, each named by the hash of its bytes; both are checked before a restore.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import JSON, Date, DateTime, Engine, Integer, delete, select, text

from tasks.intake.archive import PACKS, archive_files, member_path, pack_member, pack_mismatch
from warehouse.db import now
from warehouse.models import Base

MANIFEST = "manifest.json"
FORMAT = "baocao-backup/1"
ROWS_PER_INSERT = 5000


class BackupMismatch(ValueError):
    """A backup folder whose files do not match its manifest: restore refuses it."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _typed(table, row: dict) -> dict:
    for column in table.columns:
        value = row.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, DateTime):
            row[column.name] = datetime.fromisoformat(value)
        elif isinstance(column.type, Date):
            row[column.name] = date.fromisoformat(value)
        elif isinstance(column.type, JSON) and isinstance(value, str):
            row[column.name] = json.loads(value)
    return row


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the warehouse is at."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup_warehouse(engine: Engine, archive_dir: Path, out: Path) -> dict:
    """Write every table (one JSON-lines file each, in one consistent read) and the archive's files to `out`,
    with a manifest of their SHA-256; returns the manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: back up into a new folder")
    (out / "warehouse").mkdir(parents=True, exist_ok=True)
    tables = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for table in Base.metadata.sorted_tables:
            path = out / "warehouse" / f"{table.name}.jsonl"
            count = 0
            order = [c for c in table.primary_key.columns]
            with open(path, "w", encoding="utf-8") as fh:
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    fh.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    count += 1
            tables.append({"table": table.name, "rows": count})
    archive_dir = Path(archive_dir)
    if archive_dir.is_dir():  # files on their own (named by their hash) and packs; partial files stay behind
        for source in [path for kind in archive_files(archive_dir) for path in kind]:
            target = out / "archive" / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    files = {str(p.relative_to(out)): file_sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "created_at": now().isoformat(), "dialect": engine.dialect.name,
                "revision": schema_revision(engine), "tables": tables, "files": files}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def verify_backup(folder: Path) -> dict:
    """The manifest of a backup folder, once every file matches it: none missing, none added, none changed, and
    every archived file named by its own hash. Raises BackupMismatch saying which file does not match."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupMismatch(f"{path} is missing: not a baocao backup folder")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupMismatch(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    listed = manifest["files"]
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}
    if missing := sorted(set(listed) - present):
        raise BackupMismatch(f"{len(missing)} files of the manifest are missing, first {missing[0]}")
    if added := sorted(present - set(listed)):
        raise BackupMismatch(f"{len(added)} files are not in the manifest, first {added[0]}")
    for name, sha in listed.items():
        got = file_sha256(folder / name)
        if got != sha:
            raise BackupMismatch(f"{name}: SHA-256 {got[:12]}… does not match the manifest's {sha[:12]}…")
        if name.startswith(f"archive/{PACKS}/"):
            if wrong := pack_mismatch(folder / name):
                raise BackupMismatch(wrong)
        elif name.startswith("archive/") and Path(name).name != got:
            raise BackupMismatch(f"{name}: its bytes do not hash to its name")
    return manifest


def restored_path(archive_path: str, sha: str, archive_dir: Path) -> str:
    """Where a submission's bytes are kept once restored into `archive_dir`: the same pack member, or their own file."""
    if member := pack_member(archive_path):
        pack, offset, length = member
        return member_path(archive_dir / PACKS / pack.name, offset, length)
    return str(archive_dir / sha[:2] / sha)


APPEND_ONLY = {"audit"}  # the database refuses to delete its rows (migration 0004): restore only adds


def restore_warehouse(engine: Engine, folder: Path, archive_dir: Path) -> dict[str, int]:
    """Replace the warehouse's rows with the backup's, in one transaction, after checking the manifest; copy the
    archived files into `archive_dir` and point the submissions at them. The schema must be at the backup's
    revision (run the migrations first). Returns the rows restored per table."""
    folder, archive_dir = Path(folder), Path(archive_dir)
    manifest = verify_backup(folder)
    revision = schema_revision(engine)
    if manifest["revision"] != revision:
        raise BackupMismatch(f"the backup is at schema revision {manifest['revision']}, the warehouse at {revision}")
    for name in manifest["files"]:
        if name.startswith("archive/"):
            target = archive_dir / Path(name).relative_to("archive")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(f".tmp{os.getpid()}")
                shutil.copyfile(folder / name, tmp)
                os.replace(tmp, target)
    restored: dict[str, int] = {}
    tables = Base.metadata.sorted_tables
    with engine.begin() as conn:
        for table in reversed(tables):
            if table.name not in APPEND_ONLY:
                conn.execute(delete(table))
        for table in tables:
            path = folder / "warehouse" / f"{table.name}.jsonl"
            rows: list[dict] = []
            count = 0
            kept = set(conn.execute(select(table.c.id)).scalars()) if table.name in APPEND_ONLY else set()
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    row = _typed(table, json.loads(line))
                    if row.get("id") in kept:  # the audit is never rewritten: rows it holds stay as they are
                        count += 1
                        continue
                    if table.name == "submissions" and row.get("archive_path"):
                        row["archive_path"] = restored_path(row["archive_path"], row["id"], archive_dir)
                    rows.append(row)
                    if len(rows) == ROWS_PER_INSERT:
                        conn.execute(table.insert(), rows)
                        count += len(rows)
                        rows = []
            if rows:
                conn.execute(table.insert(), rows)
                count += len(rows)
            restored[table.name] = count
        if conn.dialect.name == "postgresql":  # explicit ids were inserted: the sequences continue after them
            for table in tables:
                if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto") \
                        and isinstance(table.columns["id"].type, Integer):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")
    return restored
