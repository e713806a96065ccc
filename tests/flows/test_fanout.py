"""Several workers on one night: nightly-ingest on PostgreSQL fans its batches out to `ingest-batch` runs on a
process work pool; two `prefect worker start` processes take them, each file is loaded once, and a worker killed
mid-run loses nothing and doubles nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.environment import prefect_server
from tests.flows.test_prefect_operations import drop_database, prefect_database, stop, wait_for
from warehouse.db import engine_for

ROOT = Path(__file__).resolve().parents[2]
POOL = "baocao-fanout-pool"
pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture()
def pool(tmp_path, pg_url):
    """A Prefect server, a process pool with the deployments on it, and the env a worker or a run inherits."""
    from tasks.synth.corpus import synth_corpus

    synth_corpus(400, tmp_path / "corpus", seed=42, error_rate=0.05)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_LOGGING_LEVEL": "INFO",
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1",
           "BAOCAO_VAR": str(tmp_path / "var"), "BAOCAO_INBOX": str(inbox), "BAOCAO_WAREHOUSE_URL": pg_url,
           "BAOCAO_BATCH_SIZE": "20", "BAOCAO_BATCH_DEPLOYMENT": "ingest-batch/baocao-pool",
           "BAOCAO_BATCH_TIMEOUT": "180"}
    env.pop("BAOCAO_ARCHIVE", None)
    (tmp_path / "prefect").mkdir()
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    database = prefect_database(server_env)  # the server's state in PostgreSQL, as in production
    with prefect_server(server_env, cwd=tmp_path, log=tmp_path / "server.log", timeout=240) as api:
        env["PREFECT_API_URL"] = api
        prefect = [sys.executable, "-m", "prefect"]
        subprocess.run(prefect + ["work-pool", "create", POOL, "--type", "process"], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=60)
        deployed = subprocess.run([sys.executable, "-m", "flows.cli", "deploy", "--pool", POOL], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "ingest-batch/baocao-pool" in deployed.stdout
        workers = {name: subprocess.Popen(prefect + ["worker", "start", "--pool", POOL, "--name", name, "--limit", "1"],
                                          env={**env, "BAOCAO_WORKER": name}, cwd=tmp_path,
                                          stdout=open(tmp_path / f"{name}.log", "wb"), stderr=subprocess.STDOUT,
                                          start_new_session=True)
                   for name in ("worker-a", "worker-b")}
        try:
            yield {"env": env, "inbox": inbox, "corpus": tmp_path / "corpus" / "inbox", "workers": workers,
                   "url": pg_url, "base": tmp_path}
        finally:
            for proc in workers.values():
                stop(proc)
    if database:
        drop_database(database)


def night(env: dict, log: Path) -> subprocess.Popen:
    """`baocao run` against the server: the nightly flow in this process, its batches on the pool."""
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "run"], env=env, cwd=ROOT, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def batch_runs(url: str) -> list[dict]:
    with engine_for(url).connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT id, flow_run_id, parameters, finished_at FROM runs WHERE flow = 'ingest-batch'")).mappings()]


def loaded_once(url: str, inbox: Path) -> None:
    """Every file of the inbox is one submission; no content was loaded by two batch runs."""
    import hashlib

    hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    with engine_for(url).connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM submissions")).scalars())
        taken = Counter(conn.execute(text(
            "SELECT f.sha256 FROM run_files f JOIN runs r ON r.id = f.run_id WHERE r.flow = 'ingest-batch'"
            " AND f.outcome <> 'skipped'")).scalars())
    assert len(ids) == len(set(ids)) and set(ids) == hashes
    assert set(taken.values()) == {1}


def test_two_workers_on_one_pool_load_200_files_each_once_and_a_killed_worker_loses_nothing(pool):
    env, url = pool["env"], pool["url"]
    files = sorted(pool["corpus"].iterdir())
    for f in files[:200]:
        (pool["inbox"] / f.name).write_bytes(f.read_bytes())
    first = night(env, pool["base"] / "night1.log")
    assert first.wait(timeout=1800) == 0, (pool["base"] / "night1.log").read_text()[-3000:]
    loaded_once(url, pool["inbox"])
    runs = batch_runs(url)
    assert len(runs) == 10 and all(r["finished_at"] for r in runs)
    by_worker = Counter(json.loads(r["parameters"])["worker"] if isinstance(r["parameters"], str)
                        else r["parameters"]["worker"] for r in runs)
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker  # both workers took batches
    with engine_for(url).connect() as conn:
        night1 = conn.execute(text("SELECT files_seen, loaded, flagged, skipped, quarantined FROM runs "
                                   "WHERE flow = 'nightly-ingest'")).one()
    assert night1.files_seen == 200 and night1.loaded + night1.flagged + night1.quarantined == 200

    # 200 more files; worker A is killed (with the batch it runs) once it has started one
    for f in files[200:]:
        (pool["inbox"] / f.name).write_bytes(f.read_bytes())
    before = {r["id"] for r in runs}
    second = night(env, pool["base"] / "night2.log")

    def a_batch_of_worker_a():
        return [r for r in batch_runs(url) if r["id"] not in before and not r["finished_at"]
                and (r["parameters"] if isinstance(r["parameters"], dict) else json.loads(r["parameters"]))["worker"]
                == "worker-a"]

    running = wait_for(a_batch_of_worker_a, 300, "worker-a to start a batch of the second night")
    os.killpg(pool["workers"]["worker-a"].pid, signal.SIGKILL)
    for r in running:
        params = r["parameters"] if isinstance(r["parameters"], dict) else json.loads(r["parameters"])
        try:
            os.kill(params["pid"], signal.SIGKILL)  # the batch's own process dies with its machine
        except ProcessLookupError:
            pass
    assert second.wait(timeout=2400) == 0, (pool["base"] / "night2.log").read_text()[-3000:]
    third = night(env, pool["base"] / "night3.log")  # and running again
    assert third.wait(timeout=600) == 0, (pool["base"] / "night3.log").read_text()[-3000:]
    loaded_once(url, pool["inbox"])
    with engine_for(url).connect() as conn:
        last = conn.execute(text("SELECT files_seen, skipped FROM runs WHERE flow = 'nightly-ingest' "
                                 "ORDER BY started_at DESC LIMIT 1")).one()
    assert (last.files_seen, last.skipped) == (400, 400)
    assert len(batch_runs(url)) == len(before) + 10 + 1  # the last night submitted no batch; one was lost and redone
