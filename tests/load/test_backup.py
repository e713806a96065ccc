"""`backup` and `restore`: the warehouse and the archive come back row by row and byte by byte; a backup that does
not match its manifest is refused."""
from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import text

from tasks.load.backup import APPEND_ONLY, BackupMismatch, backup_warehouse, restore_warehouse, verify_backup
from tests.load.test_rebuild import INBOX, loaded_warehouse
from warehouse.db import engine_for, upgrade
from warehouse.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, as text."""
    with engine_for(url).connect() as conn:
        return {t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(text(f"SELECT * FROM {t.name}")))
                for t in Base.metadata.sorted_tables}


def test_backup_then_restore_into_an_emptied_warehouse_gives_every_row_and_file_back(tmp_path, warehouse_url):
    archive = tmp_path / "archive"
    loaded_warehouse(warehouse_url, INBOX, archive)
    engine = engine_for(warehouse_url)
    expected = every_row(warehouse_url)
    files = {p.relative_to(archive): p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    manifest = backup_warehouse(engine, archive, tmp_path / "backup")
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == {k: len(v) for k, v in expected.items()}
    assert len([n for n in manifest["files"] if n.startswith("archive/")]) == len(files) > 0

    shutil.rmtree(archive)
    with engine.begin() as conn:  # the disaster: rows gone (but the audit's, which the database never deletes)
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in APPEND_ONLY:
                conn.execute(table.delete())
    restored = restore_warehouse(engine, tmp_path / "backup", archive)
    assert restored == {k: len(v) for k, v in expected.items()}
    assert every_row(warehouse_url) == expected
    assert {p.relative_to(archive): p.read_bytes() for p in archive.rglob("*") if p.is_file()} == files
    with engine.begin() as conn:  # the serial ids continue after the restored ones
        sid = conn.execute(text("SELECT id FROM submissions LIMIT 1")).scalar()
        conn.execute(text("INSERT INTO findings (submission_id, rule, severity, message_vi, message_en) "
                          "VALUES (:s, 'x', 'info', 'x', 'x')"), {"s": sid})


def test_a_backup_restores_across_databases(tmp_path, sqlite_url, pg_url):
    loaded_warehouse(sqlite_url, INBOX, tmp_path / "archive")
    backup_warehouse(engine_for(sqlite_url), tmp_path / "archive", tmp_path / "backup")
    upgrade(pg_url)
    restore_warehouse(engine_for(pg_url), tmp_path / "backup", tmp_path / "archive")
    sqlite_rows, pg_rows = every_row(sqlite_url), every_row(pg_url)
    for table in ("submissions", "facts", "findings", "failures"):
        assert len(pg_rows[table]) == len(sqlite_rows[table]) > 0, table


@pytest.mark.parametrize("damage", ["changed", "missing", "added", "renamed"])
def test_restore_refuses_a_backup_that_does_not_match_its_manifest(tmp_path, sqlite_url, damage):
    loaded_warehouse(sqlite_url, INBOX, tmp_path / "archive")
    engine = engine_for(sqlite_url)
    backup = tmp_path / "backup"
    backup_warehouse(engine, tmp_path / "archive", backup)
    before = every_row(sqlite_url)
    facts = backup / "warehouse" / "facts.jsonl"
    archived = next(p for p in (backup / "archive").rglob("*") if p.is_file())
    if damage == "changed":
        facts.write_text(facts.read_text(encoding="utf-8").replace('"value": 30', '"value": 31', 1), encoding="utf-8")
    elif damage == "missing":
        facts.unlink()
    elif damage == "added":
        (backup / "warehouse" / "extra.jsonl").write_text("{}\n")
    else:  # an archived file whose bytes are not those its name (its hash) says, listed as such in the manifest
        manifest = json.loads((backup / "manifest.json").read_text())
        archived.write_bytes(b"not the report")
        import hashlib
        manifest["files"][str(archived.relative_to(backup))] = hashlib.sha256(b"not the report").hexdigest()
        (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupMismatch):
        verify_backup(backup)
    with pytest.raises(BackupMismatch):
        restore_warehouse(engine, backup, tmp_path / "restored-archive")
    assert every_row(sqlite_url) == before  # nothing was touched
    assert not (tmp_path / "restored-archive").exists()
