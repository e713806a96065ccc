"""A run on PostgreSQL killed (SIGKILL) at a dozen points and restarted gives the warehouse one uninterrupted run gives,
row by row, as tests/load/test_crash.py shows on SQLite."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tasks.intake.archive import archived_shas
from tests.conftest import ROOT
from tests.load.test_crash import VOLATILE, build_inbox, ingest_command, run_files, run_to_end, warehouse_rows
from warehouse.db import drop_database, engine_for

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture()
def pg_databases():
    """A factory of fresh PostgreSQL databases, all dropped at the end."""
    base = os.environ.get("BAOCAO_TEST_PG_URL") or os.environ.get("BAOCAO_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI must provide PostgreSQL: BAOCAO_TEST_PG_URL is not set (see .ci/run)")
        pytest.skip("BAOCAO_TEST_PG_URL not set: no PostgreSQL to test against")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"baocao_crash_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return base.rsplit("/", 1)[0] + f"/{name}"

    yield make
    for name in made:
        engine_for(base.rsplit("/", 1)[0] + f"/{name}").dispose()
        drop_database(admin, name)
    admin.dispose()


def test_killed_at_a_dozen_points_on_postgresql_and_restarted_gives_the_uninterrupted_warehouse(
        tmp_path, seed_bytes, pg_databases):
    inbox = tmp_path / "inbox"
    n_files = build_inbox(inbox, seed_bytes)
    reference_url = pg_databases()
    run_to_end(inbox, tmp_path / "var-reference", reference_url)
    expected = warehouse_rows(reference_url)
    assert len(expected["submissions"]) == n_files - 9

    url, var = pg_databases(), tmp_path / "var-crashed"
    rng = random.Random(20201018)
    kills, progress, attempts = [], 0, 0
    while len(kills) < 12 and attempts < 60:
        attempts += 1
        cmd, env = ingest_command(inbox, var, url)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        target = 0 if len(kills) < 2 else progress + rng.randint(0, 4)
        lines = 0
        while lines < target and proc.stderr.readline():
            lines += 1
        time.sleep(rng.uniform(0.05, 1.5) if target == 0 else rng.uniform(0, 0.4))
        if proc.poll() is not None:
            # it finished before the kill point: start over from a new empty database and archive
            proc.stderr.close()
            shutil.rmtree(var, ignore_errors=True)
            url, progress = pg_databases(), 0
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        kills.append((target, lines))
        progress = max(progress, lines)
    assert len(kills) >= 10, kills
    run_to_end(inbox, var, url)
    got = warehouse_rows(url)
    for table in VOLATILE:
        assert got[table] == expected[table], table
    finished = [f for f in run_files(url) if f["finished_at"] is not None]
    per_run = {f["run_id"] for f in finished}
    for run_id in per_run:  # every run that got to its end accounted for each file once
        assert sum(1 for f in finished if f["run_id"] == run_id) == n_files
    with engine_for(url).connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM submissions")).scalars())
    leftovers = [p for p in var.rglob("*") if p.is_file() and (".tmp" in p.name or p.name.startswith(".incoming"))]
    assert archived_shas(var / "archive") == ids, leftovers  # files on their own and pack members, no leftover
