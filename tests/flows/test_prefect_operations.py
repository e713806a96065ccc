"""Operations on a real Prefect server: served deployments, reruns through the API, a scheduled night, a work pool.

One server for the module (a free loopback port, its own PREFECT_HOME), one `baocao serve` subprocess, one worker.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2016-2020"

from flows.environment import prefect_server

pytestmark = pytest.mark.integration


def stop(proc: subprocess.Popen) -> None:
    """Stop a process we started and everything it started (its own process group), even if it is gone already."""
    from flows.environment import stop_group

    stop_group(proc, grace=15)


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    """A Prefect server, a warehouse loaded with examples/inbox, and the env a served process or a worker inherits."""
    base = tmp_path_factory.mktemp("prefect_ops")
    env = {
        **os.environ,
        "PREFECT_HOME": str(base / "prefect"),
        "PREFECT_LOGGING_LEVEL": "INFO",
        # a rerun held back by the concurrency limit asks again after 2 s, not the default 30
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "BAOCAO_VAR": str(base / "var"),
        "BAOCAO_INBOX": str(base / "inbox"),
        "BAOCAO_WAREHOUSE_URL": f"sqlite:///{base / 'var' / 'warehouse.db'}",
    }
    env.pop("BAOCAO_ARCHIVE", None)
    shutil.copytree(ROOT / "examples" / "inbox", base / "inbox")
    (base / "prefect").mkdir()

    started = time.monotonic()
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    pg_database = prefect_database(server_env)
    try:
        with prefect_server(server_env, cwd=base, log=base / "server.log", timeout=90) as served:
            env["PREFECT_API_URL"] = api = served
            server_seconds = time.monotonic() - started
            load_inbox(env)
            yield {"api": api, "env": env, "base": base, "server_seconds": server_seconds}
    finally:
        if pg_database:
            drop_database(pg_database)
    print(f"\nPrefect server ({'PostgreSQL' if pg_database else 'SQLite'}) answered /api/health "
          f"after {server_seconds:.1f} s")


def prefect_database(server_env: dict) -> str | None:
    """With PostgreSQL at hand (CI), the server keeps its state there, as in production; else SQLite in its home."""
    base = os.environ.get("BAOCAO_TEST_PG_URL")
    if not base:
        return None
    from sqlalchemy import create_engine

    name = f"baocao_prefect_{os.getpid()}_{int(time.time())}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    host = base.split("://", 1)[1].rsplit("/", 1)[0]
    server_env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://{host}/{name}"
    return name


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(os.environ["BAOCAO_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    from warehouse.db import drop_database as drop_with_retries

    drop_with_retries(admin, name)
    admin.dispose()


def wait_for(condition, seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {seconds} s waiting for {what}\n{tail}")


def load_inbox(env: dict) -> None:
    """The warehouse the served runs start from: examples/inbox loaded by the plain functions, no Prefect."""
    from tasks.intake.discover import discover_inbox
    from tasks.batch import ingest_files
    from warehouse.db import engine_for, upgrade

    url = env["BAOCAO_WAREHOUSE_URL"]
    upgrade(url)
    files, _ = discover_inbox(Path(env["BAOCAO_INBOX"]))
    outcomes = ingest_files(files, engine_for(url), Path(env["BAOCAO_VAR"]) / "archive", None)
    assert [o.outcome for o in outcomes] == ["flagged"] * 3


@pytest.fixture(scope="module")
def client(ops):
    """A Prefect client of the test's server (settings scoped, whatever Prefect imported before)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

    # this process's own logs stay local: the server is gone when the last ones would be sent
    with temporary_settings({PREFECT_API_URL: ops["api"], PREFECT_HOME: ops["env"]["PREFECT_HOME"],
                             PREFECT_LOGGING_TO_API_ENABLED: False}):
        with get_client(sync_client=True) as c:
            yield c


@pytest.fixture(scope="module")
def served(ops, client):
    """`python -m flows.cli serve` in a subprocess that inherits the BAOCAO_* and PREFECT_* settings."""
    log = ops["base"] / "serve.log"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], env=ops["env"], cwd=ROOT,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _deployment(client, "rerun-period/baocao") and _deployment(client, "nightly-ingest/baocao"),
                 60, "the served deployments", log)
        print(f"\nbaocao serve registered its deployments after {time.monotonic() - started:.1f} s")
        yield proc
    finally:
        stop(proc)


def _deployment(client, name: str):
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        return None


def engine(ops):
    from warehouse.db import engine_for

    return engine_for(ops["env"]["BAOCAO_WAREHOUSE_URL"])


def snapshot(ops) -> dict:
    """What a rerun must leave identical: row counts of the data tables and every plan_vs_actual row."""
    with engine(ops).connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("reporting_units", "submissions", "facts", "findings")}
        pva = conn.execute(text("SELECT * FROM plan_vs_actual ORDER BY 1, 2, 3, 4, 5, 6")).all()
        subs = conn.execute(text("SELECT id, status, is_current, version, errors, warnings FROM submissions "
                                 "ORDER BY id")).all()
        findings = conn.execute(text("SELECT submission_id, rule, severity, source, expected, actual FROM findings "
                                     "ORDER BY 1, 2, 4, 5")).all()
    return {"counts": counts, "plan_vs_actual": [tuple(r) for r in pva], "submissions": [tuple(r) for r in subs],
            "findings": [tuple(r) for r in findings]}


def run_record(ops, flow_run_id) -> dict:
    with engine(ops).connect() as conn:
        row = conn.execute(text("SELECT * FROM runs WHERE flow_run_id = :id"), {"id": str(flow_run_id)}).mappings().one()
    return dict(row)


def artifacts_of(client, flow_run_id) -> list:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    return client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))


def final(client, flow_run_id, seconds: float = 120):
    return wait_for(lambda: (r := client.read_flow_run(flow_run_id)).state and r.state.is_final() and r,
                    seconds, f"flow run {flow_run_id} to finish")


ORPHAN_PROBE = """
import sys, time
from flows import review_worker

review_worker.ALIVE_EVERY_S = 1
started = time.monotonic()
print(review_worker.serving(), review_worker.check_on_worker(sys.argv[1], sys.argv[2]),
      round(time.monotonic() - started))
"""


def test_with_no_review_worker_a_run_checks_the_warehouse_itself(ops, tmp_path):
    """Before `baocao serve` (and its review worker) starts: nobody serves the checkpoint, and a run that handed it
    over anyway (its worker gone) gets False back within a poll and checks the warehouse itself."""
    probe = subprocess.run([sys.executable, "-c", ORPHAN_PROBE, ops["env"]["BAOCAO_WAREHOUSE_URL"],
                            str(tmp_path / "datadocs")], env=ops["env"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    serving, on_worker, seconds = probe.stdout.split()[-3:]
    assert (serving, on_worker) == ("False", "False")
    assert int(seconds) < 30


def test_the_review_worker_of_baocao_serve_runs_the_checkpoint_of_a_served_run(ops, served, client):
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from prefect.deployments import run_deployment

    from flows.review_worker import warehouse_checkpoint

    def workers():
        answer = client.request("POST", "/task_workers/filter",
                                json={"task_worker_filter": {"task_keys": [warehouse_checkpoint.task_key]}})
        return answer.json()

    wait_for(workers, 90, "baocao serve's review worker to serve warehouse-checkpoint", ops["base"] / "serve.log")
    started = datetime.now(timezone.utc)
    run = run_deployment("rerun-period/baocao", parameters={"period": PERIOD}, idempotency_key="test-review-worker",
                         timeout=120, poll_interval=1, as_subflow=False)
    assert run.state.is_completed(), run.state
    ours = [t for t in client.read_task_runs(task_run_filter=TaskRunFilter(
        name=TaskRunFilterName(any_=["warehouse-checkpoint"]))) if t.expected_start_time >= started]
    # handed over by the flow run's check-expectations task, run by the worker, not by the flow run's process
    assert [t.state.type.value for t in ours] == ["COMPLETED"]
    assert ours[0].flow_run_id is None
    with engine(ops).connect() as conn:
        checked = conn.execute(text("SELECT max(checked_at) FROM expectation_findings")).scalar_one()
    assert checked is not None  # the seed's warehouse fails some expectations: the worker stored them


def test_nightly_ingest_is_served_on_its_cron_schedule_in_province_time(served, client):
    nightly = client.read_deployment_by_name("nightly-ingest/baocao")
    [schedule] = nightly.schedules
    assert schedule.active
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 1 * * *", "Asia/Ho_Chi_Minh")
    upcoming = wait_for(lambda: _scheduled_runs(client, nightly.id), 60, "the scheduler to plan nightly runs")
    # 01:00 in Hà Nội is 18:00 UTC the day before
    assert {(r.expected_start_time.astimezone(timezone.utc).hour, r.expected_start_time.minute) for r in upcoming} == {(18, 0)}
    rerun = client.read_deployment_by_name("rerun-period/baocao")
    assert rerun.schedules == []
    assert rerun.global_concurrency_limit.limit == 1


def _scheduled_runs(client, deployment_id):
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
    return sorted((r for r in runs if r.auto_scheduled), key=lambda r: r.expected_start_time)


def test_rerun_period_through_the_api_finds_the_seed_and_a_second_leaves_the_warehouse_identical(ops, served, client):
    from prefect.deployments import run_deployment

    before = snapshot(ops)
    started = time.monotonic()
    first = run_deployment("rerun-period/baocao", parameters={"period": PERIOD}, idempotency_key="test-rerun-1",
                           timeout=120, poll_interval=1, as_subflow=False)
    print(f"\nrerun-period through the served deployment: {time.monotonic() - started:.1f} s")
    assert first.state.is_completed(), first.state
    assert first.name == "rerun 2016-2020"
    after_first = snapshot(ops)

    record = run_record(ops, first.id)
    assert record["flow"] == "rerun-period" and record["trigger"] == "rerun"
    assert record["files_seen"] == 3 and record["outcome"] == "error" and record["finished_at"] is not None
    params = record["parameters"]
    assert (json.loads(params) if isinstance(params, str) else params) == {"period": PERIOD, "unit": None}
    with engine(ops).connect() as conn:
        seed = conn.execute(text(
            "SELECT s.id, count(f.id) FROM submissions s JOIN facts f ON f.submission_id = s.id "
            "WHERE s.report_number = '2049/BC-UBND' GROUP BY s.id")).one()
        assert seed[1] == 70
        total = conn.execute(text(
            "SELECT plan, actual FROM plan_vs_actual WHERE unit_name = 'Phong Thổ' AND form = 'BIEU_01' "
            "AND label LIKE 'Tổng cộng số người%' AND year IS NULL")).one()
        assert tuple(total) == (1886, 1886)
        rules = sorted(conn.execute(text("SELECT rule FROM findings WHERE submission_id = :id"),
                                    {"id": seed[0]}).scalars())
    table_rules = sorted(r for r in rules if not r.startswith("narrative_"))
    assert table_rules == sorted(["annex_parent", "annex_missing", "total_blank", "total_blank", "period_coverage"])
    assert "narrative_figure" in rules  # EXPECTED.md item 6, from the narrative
    assert after_first == before  # the load and the rerun agree

    second = run_deployment("rerun-period/baocao", parameters={"period": PERIOD}, idempotency_key="test-rerun-2",
                            timeout=120, poll_interval=1, as_subflow=False)
    assert second.state.is_completed() and second.id != first.id
    assert snapshot(ops) == after_first

    # a double click: the same idempotency key gives back the same run, and no new run record
    again = run_deployment("rerun-period/baocao", parameters={"period": PERIOD}, idempotency_key="test-rerun-2",
                           timeout=0, as_subflow=False)
    assert again.id == second.id
    with engine(ops).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM runs WHERE flow_run_id = :id"),
                            {"id": str(second.id)}).scalar_one() == 1

    keys = {a.key for a in artifacts_of(client, second.id)}
    assert keys - {"baocao-report"} == {"rerun-period-baocao-summary", "rerun-period-baocao-errors"}


def test_a_scheduled_night_with_no_new_file_loads_nothing_and_skips_every_file(ops, served, client):
    from prefect.states import Scheduled

    nightly = client.read_deployment_by_name("nightly-ingest/baocao")
    upcoming = wait_for(lambda: _scheduled_runs(client, nightly.id), 60, "the scheduler to plan nightly runs")
    before = snapshot(ops)
    # tonight's run, made by the scheduler from the cron schedule, brought forward to now
    tonight = upcoming[0]
    client.set_flow_run_state(tonight.id, Scheduled(scheduled_time=datetime.now(timezone.utc)), force=True)
    started = time.monotonic()
    done = final(client, tonight.id)
    print(f"\nscheduled nightly-ingest with nothing new: {time.monotonic() - started:.1f} s")
    assert done.state.is_completed(), done.state
    assert done.name.startswith("nightly 20")

    record = run_record(ops, tonight.id)
    assert record["trigger"] == "schedule"
    assert (record["files_seen"], record["loaded"], record["flagged"], record["skipped"], record["quarantined"]) == (
        3, 0, 0, 3, 0)
    with engine(ops).connect() as conn:
        outcomes = conn.execute(text("SELECT outcome, count(*) FROM run_files WHERE run_id = :id GROUP BY outcome"),
                                {"id": record["id"]}).all()
    assert dict(outcomes) == {"skipped": 3}
    assert snapshot(ops) == before
    summary = [a for a in artifacts_of(client, tonight.id) if a.key != "baocao-report"]  # the steward's report link
    assert [a.key for a in summary] == ["nightly-ingest-baocao-summary"]
    assert "| 3 | 0 | 0 | 3 | 0 |" in summary[0].data


def test_two_reruns_of_a_period_at_once_never_interleave(ops, served, client):
    from prefect.deployments import run_deployment

    before = snapshot(ops)
    runs = [run_deployment("rerun-period/baocao", parameters={"period": PERIOD}, idempotency_key=f"test-twice-{i}",
                           timeout=0, as_subflow=False) for i in (1, 2)]
    started = time.monotonic()
    done = [final(client, r.id) for r in runs]
    print(f"\ntwo reruns at once, both done after {time.monotonic() - started:.1f} s")
    assert all(d.state.is_completed() for d in done), [d.state for d in done]

    first, second = sorted((run_record(ops, r.id) for r in runs), key=lambda r: r["started_at"])
    assert first["finished_at"] <= second["started_at"], (first, second)
    # the deployment's concurrency limit held one back: it waited for a slot, it did not run beside the other
    waited = [any(s.name == "AwaitingConcurrencySlot" for s in client.read_flow_run_states(r.id)) for r in runs]
    assert waited.count(True) >= 1
    assert snapshot(ops) == before


def test_a_process_work_pool_and_a_worker_run_the_same_flow(ops, client):
    env = ops["env"]
    pool = "baocao-test-pool"
    prefect_cli = [sys.executable, "-m", "prefect"]
    subprocess.run(prefect_cli + ["work-pool", "create", pool, "--type", "process"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    deployed = subprocess.run([sys.executable, "-m", "flows.cli", "deploy", "--pool", pool], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    on_pool = client.read_deployment_by_name("rerun-period/baocao-pool")
    assert on_pool.work_pool_name == pool

    triggered = subprocess.run(
        [sys.executable, "-m", "flows.cli", "rerun", "--period", PERIOD, "--via-server", "--no-wait",
         "--deployment", "baocao-pool"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr
    flow_run_id = re.search(r"\(([0-9a-f-]{36})\)", triggered.stdout).group(1)

    started = time.monotonic()
    worker = subprocess.run(prefect_cli + ["worker", "start", "--pool", pool, "--run-once"], env=env, cwd=ops["base"],
                            capture_output=True, text=True, timeout=180)
    print(f"\nworker --run-once: {time.monotonic() - started:.1f} s")
    assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
    done = final(client, flow_run_id, 30)
    assert done.state.is_completed(), done.state
    assert done.work_pool_name == pool
    record = run_record(ops, flow_run_id)
    assert (record["flow"], record["trigger"], record["files_seen"]) == ("rerun-period", "rerun", 3)


RETRY_PROBE = """
import sys
from pathlib import Path
from flows.stages import discover_submissions, take_in

tmp = Path(sys.argv[1])
(tmp / "warehouse.db").mkdir()  # a database SQLite cannot open: an I/O failure
quick = take_in.with_options(retry_delay_seconds=0, retry_jitter_factor=None)
states = [
    quick([], f"sqlite:///{tmp / 'warehouse.db'}", str(tmp / "archive"), frozenset(), return_state=True),
    quick([], "nonsense://warehouse", str(tmp / "archive"), frozenset(), return_state=True),
    discover_submissions.with_options(retry_delay_seconds=0, retry_jitter_factor=None)(
        str(tmp / "inbox-not-mounted"), return_state=True),
]
print(" ".join(f"{s.type.value}:{s.state_details.task_run_id}" for s in states))
"""


def test_a_failing_database_is_retried_and_a_bug_is_not(ops, client, tmp_path):
    from flows.stages import discover_submissions, take_in

    # in a process of its own, so its task-run events go to this module's server whatever this process set up before
    probe = subprocess.run([sys.executable, "-c", RETRY_PROBE, str(tmp_path)], env=ops["env"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    states = [item.split(":", 1) for item in probe.stdout.split()[-3:]]
    assert [state for state, _ in states] == ["FAILED"] * 3
    # task runs reach the server as events: wait until it holds their final state
    runs = [wait_for(lambda i=i: _final_task_run(client, i), 30, "the task run's events") for _, i in states]
    assert [r.run_count for r in runs] == [1 + take_in.retries, 1, 1 + discover_submissions.retries]


def _final_task_run(client, task_run_id):
    from prefect.exceptions import ObjectNotFound

    try:
        run = client.read_task_run(task_run_id)
    except ObjectNotFound:
        return None
    return run if run.state and run.state.is_final() else None
