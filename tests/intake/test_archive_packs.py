"""The nightly run keeps a batch's files in one pack: each member found again, checked, swept, backed up."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from tasks.batch import ingest_files
from tasks.intake.archive import (ORPHAN_AGE, PACKS, archive_bytes, archive_contents, archive_file_of, archived_bytes,
                                  archived_shas, pack_members, sweep_archive, write_pack)
from tasks.intake.discover import discover_inbox
from tasks.load.backup import BackupMismatch, MANIFEST, backup_warehouse, file_sha256, verify_backup
from tests.conftest import ROOT
from warehouse.db import engine_for, upgrade


def members(*blobs: bytes) -> list[tuple[str, bytes]]:
    return [(hashlib.sha256(b).hexdigest(), b) for b in blobs]


def test_each_member_reads_back_and_the_pack_lists_them(tmp_path):
    got = members(b"a", b"", "Báo cáo\nBiểu 01\t1.886".encode(), bytes(range(256)) * 10)
    refs = write_pack(got, tmp_path)
    assert {archived_bytes(refs[sha]) for sha, _ in got} == {data for _, data in got}
    pack = archive_file_of(refs[got[0][0]])
    assert pack.parent == tmp_path / PACKS and [sha for sha, _, _ in pack_members(pack)] == [sha for sha, _ in got]
    assert archived_shas(tmp_path) == {sha for sha, _ in got}
    # the same members again (a batch redone after a crash): the same pack, not rewritten
    mtime = pack.stat().st_mtime_ns
    assert write_pack(got, tmp_path) == refs and pack.stat().st_mtime_ns == mtime
    assert not list((tmp_path / PACKS).glob("*.tmp*"))


def test_a_cut_pack_is_caught_not_read_short(tmp_path):
    got = members(b"first file", b"second file, longer")
    refs = write_pack(got, tmp_path)
    pack = archive_file_of(refs[got[0][0]])
    with open(pack, "r+b") as fh:
        fh.truncate(pack.stat().st_size - 3)
    assert archived_bytes(refs[got[0][0]]) == b"first file"
    assert archived_bytes(refs[got[1][0]]) is None
    with pytest.raises(ValueError, match="cut short"):
        list(pack_members(pack))
    assert archived_bytes(f"{tmp_path / PACKS / 'gone.pack'}#10+3") is None


def test_files_on_their_own_and_pack_members_are_listed_alike(tmp_path):
    alone = archive_bytes(b"an oversized file, archived on its own", tmp_path)
    got = members(b"packed")
    write_pack(got, tmp_path)
    listed = dict(archive_contents(tmp_path))
    assert listed[alone.name] == str(alone) and archived_bytes(listed[got[0][0]]) == b"packed"


def test_a_killed_writers_partial_pack_is_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / PACKS).mkdir(parents=True)
    orphan = tmp_path / PACKS / f"{'a' * 32}.pack.tmp{dead}"
    orphan.write_bytes(b"baocao-archive ")
    old = time.time() - ORPHAN_AGE - 60
    os.utime(orphan, (old, old))
    kept = write_pack(members(b"kept"), tmp_path)
    assert sweep_archive(tmp_path) == [orphan]
    assert archived_shas(tmp_path) == set(kept)


def load(url, inbox, archive):
    upgrade(url)
    return ingest_files(discover_inbox(inbox)[0], engine_for(url), archive, None)


def test_a_night_with_nothing_new_writes_no_pack(tmp_path, sqlite_url):
    archive = tmp_path / "archive"
    first = load(sqlite_url, ROOT / "examples" / "inbox", archive)
    packs = sorted((archive / PACKS).iterdir())
    assert len(packs) == 1 and {o.outcome for o in first} != {"skipped"}
    again = load(sqlite_url, ROOT / "examples" / "inbox", archive)
    assert {o.outcome for o in again} == {"skipped"}
    assert sorted((archive / PACKS).iterdir()) == packs


def test_a_backup_refuses_a_pack_whose_member_was_altered_with_its_manifest(tmp_path, sqlite_url):
    """Someone changed a member's bytes and wrote the manifest's checksum anew: the member's own hash still tells."""
    archive = tmp_path / "archive"
    load(sqlite_url, ROOT / "examples" / "inbox", archive)
    backup = tmp_path / "backup"
    backup_warehouse(engine_for(sqlite_url), archive, backup)
    verify_backup(backup)
    pack = next((backup / "archive" / PACKS).iterdir())
    sha, offset, length = next(pack_members(pack))
    with open(pack, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"X")
    manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][str(pack.relative_to(backup))] = file_sha256(pack)
    (backup / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupMismatch, match=f"member {sha[:12]}"):
        verify_backup(backup)
