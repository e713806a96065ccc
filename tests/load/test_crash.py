"""A run killed at random points and restarted, and two runs at once, give the warehouse one uninterrupted run gives.

Both start `python -m tasks.batch` (the plain path nightly-ingest's task calls): a dozen Prefect
ephemeral starts would cost minutes, and what a kill can break (archive, transactions, accounting)
lives in the plain steps, not in Prefect.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from tasks.intake.archive import archived_shas
from tests.conftest import ROOT
from tests.hostile_corpus import EXAMPLES, docx_bytes, hostile_docx, renumbered, XXE_DOCTYPE
from warehouse.db import engine_for

VOLATILE = {"submissions": {"received_at", "loaded_at", "run_id", "archive_path"}, "facts": {"id"}, "findings": {"id"}}


def build_inbox(inbox: Path, seed: bytes, reports: int = 11, versions: int = 6) -> int:
    """40 files: distinct reports, a chain of versions of the seed's report, duplicates, broken ones."""
    inbox.mkdir(parents=True)
    for example in EXAMPLES.iterdir():
        (inbox / example.name).write_bytes(example.read_bytes())
    for n in range(reports):
        (inbox / f"r{n:02d}.txt").write_bytes(renumbered(seed, 4000 + n))
    for n in range(versions):  # same unit, program, period and number: each supersedes the one before
        (inbox / f"v{n:02d}.txt").write_bytes(seed + f"\nGhi chú: bản sửa lần {n + 1}\n".encode())
    (inbox / "v99_copy.txt").write_bytes(seed + "\nGhi chú: bản sửa lần 1\n".encode())
    for n in range(6):
        (inbox / f"r{n:02d}_copy.txt").write_bytes(renumbered(seed, 4000 + n))
        (inbox / f"x_binary{n}.txt").write_bytes(b"\x00" * (n + 1) + seed[:1000])
    (inbox / "x_empty.txt").write_bytes(b"")
    (inbox / "x_nul.txt").write_bytes(b"\x00" * 100)
    (inbox / "x_truncated.docx").write_bytes(docx_bytes()[:2000])
    (inbox / "x_random.bin").write_bytes(random.Random(7).randbytes(5000))
    (inbox / "x_xxe.docx").write_bytes(hostile_docx(XXE_DOCTYPE, "&xxe;"))
    os.symlink("/etc/passwd", inbox / "x_link.txt")
    os.mkfifo(inbox / "x_pipe.txt")
    return len(os.listdir(inbox))


def ingest_command(inbox: Path, var: Path, url: str) -> tuple[list[str], dict]:
    # chunks of 8 files, one transaction each: kills land between chunks as well as inside one
    env = {**os.environ, "BAOCAO_VAR": str(var), "BAOCAO_WAREHOUSE_URL": url, "BAOCAO_BATCH_SIZE": "8"}
    env.pop("BAOCAO_ARCHIVE", None)
    return [sys.executable, "-m", "tasks.batch", "--inbox", str(inbox)], env


def run_to_end(inbox: Path, var: Path, url: str) -> None:
    cmd, env = ingest_command(inbox, var, url)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]


def warehouse_rows(url: str) -> dict[str, list[tuple]]:
    """submissions, facts and findings, without ids, timestamps, run ids and archive folders, sorted."""
    engine = engine_for(url)
    out = {}
    with engine.connect() as conn:
        for table, volatile in VOLATILE.items():
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
            kept = [tuple((k, str(v)) for k, v in sorted(r.items()) if k not in volatile) for r in rows]
            out[table] = sorted(kept)
    return out


def run_files(url: str) -> list[dict]:
    with engine_for(url).connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT f.run_id, f.source, f.sha256, f.outcome, f.reason, r.finished_at FROM run_files f"
            " JOIN runs r ON r.id = f.run_id")).mappings().all()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, seed_bytes):
    """The inbox and the warehouse one uninterrupted run makes of it."""
    base = tmp_path_factory.mktemp("reference")
    inbox = base / "inbox"
    n_files = build_inbox(inbox, seed_bytes)
    url = f"sqlite:///{base / 'reference.db'}"
    run_to_end(inbox, base / "var", url)
    return inbox, n_files, warehouse_rows(url)


def test_killed_at_random_points_and_restarted_gives_the_uninterrupted_warehouse(tmp_path, reference):
    inbox, n_files, expected = reference
    assert n_files == 40
    assert len(expected["submissions"]) == n_files - 9  # all but 6 copies, a copy of a version, the link and the FIFO
    url, var = f"sqlite:///{tmp_path / 'crashed.db'}", tmp_path / "var-crashed"
    cmd, env = ingest_command(inbox, var, url)
    rng = random.Random(20201014)
    kills, progress, attempts = [], 0, 0
    while len(kills) < 12 and attempts < 60:
        attempts += 1
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # the first kills land in start-up and schema migration; later ones after a random number of files
        target = 0 if len(kills) < 2 else progress + rng.randint(0, 4)
        lines = 0
        while lines < target and proc.stderr.readline():
            lines += 1
        time.sleep(rng.uniform(0.05, 1.5) if target == 0 else rng.uniform(0, 0.4))
        if proc.poll() is not None:
            # it finished before the kill point: start the sequence over from an empty warehouse and archive
            proc.stderr.close()
            shutil.rmtree(var, ignore_errors=True)
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            engine_for(url).dispose()
            progress = 0
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append((target, lines))
        progress = max(progress, lines)
        proc.stderr.close()
    assert len(kills) >= 10, kills
    run_to_end(inbox, var, url)
    got = warehouse_rows(url)
    for table in VOLATILE:
        assert got[table] == expected[table], table
    finished = [f for f in run_files(url) if f["finished_at"] is not None]
    # every run that got to its end (a kill can land after that, while the process exits) recorded each file once
    per_run = Counter(f["run_id"] for f in finished)
    assert per_run and set(per_run.values()) == {n_files}, per_run
    first = min(per_run, key=lambda run: [f["finished_at"] for f in finished if f["run_id"] == run][0])
    assert Counter(f["outcome"] for f in finished if f["run_id"] == first)["quarantined"] >= 7
    leftovers = [p for p in var.rglob("*") if p.is_file() and (".tmp" in p.name or p.name.startswith(".incoming"))]
    archived = archived_shas(var / "archive")  # files on their own and pack members; leftovers are neither
    assert archived == {dict(r)["id"] for r in got["submissions"]}, leftovers


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("pg_url")


def test_two_runs_at_once_load_each_file_once(tmp_path, reference, warehouse_url):
    inbox, n_files, expected = reference
    cmd, env = ingest_command(inbox, tmp_path / "var-shared", warehouse_url)
    runs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    got = warehouse_rows(warehouse_url)
    # versions of one report may be loaded in another order by two racing runs: compare without them
    loose = {"version", "supersedes", "is_current", "pending"}  # booleans print 0/1 on SQLite, False/True on PG
    strip = lambda rows: sorted(tuple(kv for kv in r if kv[0] not in loose) for r in rows)  # noqa: E731
    assert strip(got["submissions"]) == strip(expected["submissions"])
    assert got["facts"] == expected["facts"] and got["findings"] == expected["findings"]
    with engine_for(warehouse_url).connect() as conn:
        chains = conn.execute(text(
            "SELECT natural_key, COUNT(*), SUM(CASE WHEN is_current THEN 1 ELSE 0 END), MIN(version), MAX(version),"
            " COUNT(DISTINCT version) FROM submissions WHERE natural_key IS NOT NULL GROUP BY natural_key")).all()
    for key, count, current, low, high, distinct in chains:
        assert (current, low, high, distinct) == (1, 1, count, count), key  # one current, versions 1..n, no gap
    files = run_files(warehouse_url)
    assert Counter(f["run_id"] for f in files) == Counter({rid: n_files for rid in {f["run_id"] for f in files}})
    taken = Counter(f["sha256"] for f in files if f["outcome"] != "skipped" and f["sha256"])
    assert set(taken.values()) == {1}  # every content loaded or quarantined by exactly one of the two runs


def test_two_runs_loading_versions_of_one_report_at_once_keep_one_current_chain(tmp_path, seed_bytes, warehouse_url):
    runs = []
    for side in "AB":  # two gateways' inboxes, each with its own versions of the seed's report
        inbox = tmp_path / f"inbox{side}"
        inbox.mkdir()
        for n in range(8):
            (inbox / f"v{n:02d}.txt").write_bytes(seed_bytes + f"\nGhi chú: bản sửa {side}{n}\n".encode())
        cmd, env = ingest_command(inbox, tmp_path / "var-shared", warehouse_url)
        runs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    with engine_for(warehouse_url).connect() as conn:
        rows = conn.execute(text("SELECT id, version, supersedes, is_current FROM submissions ORDER BY version")).all()
    assert [r.version for r in rows] == list(range(1, 17))
    assert [bool(r.is_current) for r in rows] == [False] * 15 + [True]
    assert [r.supersedes for r in rows] == [None] + [r.id for r in rows[:-1]]  # one unbroken chain


def test_a_later_run_sweeps_what_a_killed_run_left_in_the_archive(tmp_path):
    """Partial files of a killed writer go; a live writer's and any archived file stay."""
    from tasks.intake.archive import ORPHAN_AGE, archive_bytes, sweep_archive

    archive = tmp_path / "archive"
    kept = archive_bytes(b"archived", archive)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a PID that has exited
    now = time.time()
    orphan = kept.parent / f"{'0' * 64}.tmp{dead}"
    orphan_spool = archive / f".incoming-{dead}"
    live = kept.parent / f"{'1' * 64}.tmp{os.getpid()}"
    fresh = kept.parent / f"{'2' * 64}.tmp{dead}"
    for path in (orphan, orphan_spool, live, fresh):
        path.write_bytes(b"partial")
    for path in (orphan, orphan_spool, live):
        os.utime(path, (now - ORPHAN_AGE - 60, now - ORPHAN_AGE - 60))
    assert sorted(sweep_archive(archive, now=now)) == sorted([orphan, orphan_spool])
    assert kept.read_bytes() == b"archived" and live.exists() and fresh.exists()
    # a day later they are gone whoever wrote them (an archive shared between machines: PIDs are not ours)
    assert sorted(sweep_archive(archive, now=now + 2 * 86400)) == sorted([live, fresh])
    assert not live.exists() and not fresh.exists() and kept.exists()


def test_a_run_killed_long_ago_is_marked_interrupted(sqlite_url):
    from datetime import timedelta

    from warehouse.db import now
    from tasks.review.runs import STALE_RUN, start_run
    from warehouse.db import upgrade

    upgrade(sqlite_url)
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        for run_id, age in (("killed", STALE_RUN + timedelta(hours=1)), ("running", timedelta(minutes=5))):
            conn.execute(text("INSERT INTO runs (id, flow, trigger, started_at, files_seen, loaded, flagged, skipped, "
                              "quarantined) VALUES (:id, 'nightly-ingest', 'schedule', :at, 0, 0, 0, 0, 0)"),
                         {"id": run_id, "at": now() - age})
    start_run(engine, "nightly-ingest", "manual", {})
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, outcome FROM runs WHERE id IN ('killed', 'running')")).all())
    assert rows == {"killed": "interrupted", "running": None}
