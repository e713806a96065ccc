"""A rerun asked for on the desk, against a real Prefect server serving `rerun-period`: it completes, and a second
click while it runs starts no second run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from flows.environment import prefect_server
from tests.flows.test_prefect_operations import _deployment, stop, wait_for
from tests.review.test_approvals import PERIOD, seed_loaded

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture()
def served(tmp_path, seed_bytes):
    """A Prefect server, `baocao serve` beside it, and a warehouse holding the seed."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_RUNNER_POLL_FREQUENCY": "1",
           "BAOCAO_VAR": str(tmp_path / "var"), "BAOCAO_INBOX": str(tmp_path / "inbox"),
           "BAOCAO_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}"}
    env.pop("BAOCAO_ARCHIVE", None)
    (tmp_path / "prefect").mkdir()
    seed_loaded(env["BAOCAO_WAREHOUSE_URL"], seed_bytes, tmp_path)
    with prefect_server({k: v for k, v in env.items() if k != "PREFECT_API_URL"}, cwd=tmp_path,
                        log=tmp_path / "server.log", timeout=240) as api:
        env["PREFECT_API_URL"] = api
        from prefect.client.orchestration import get_client
        from prefect.settings import (PREFECT_API_URL, PREFECT_HOME, PREFECT_LOGGING_TO_API_ENABLED,
                                      temporary_settings)

        with temporary_settings({PREFECT_API_URL: api, PREFECT_HOME: env["PREFECT_HOME"],
                                 PREFECT_LOGGING_TO_API_ENABLED: False}):
            with get_client(sync_client=True) as client:
                log = tmp_path / "serve.log"
                proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], env=env, cwd=ROOT,
                                        stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    wait_for(lambda: _deployment(client, "rerun-period/baocao"), 90, "the served deployments", log)
                    yield {"api": api, "env": env, "client": client, "log": log}
                finally:
                    stop(proc)


def signed_in(url: str):
    """A desk client signed in as an approver of province 12, and the CSRF token of its session."""
    from fastapi.testclient import TestClient

    from flows.desk.app import create_app
    from flows.desk.security import DeskSettings
    from tasks.review.accounts import add_user
    from warehouse.db import engine_for

    add_user(engine_for(url), "an", "approver", "12", "mật khẩu dài", by="admin")
    desk = TestClient(create_app(DeskSettings(warehouse_url=url, idle=timedelta(minutes=30), province_code="12")))
    token = re.search(r'name="csrf_token" value="([^"]+)"', desk.get("/login").text).group(1)
    answer = desk.post("/login", data={"csrf_token": token, "username": "an", "password": "mật khẩu dài",
                                       "next": "/approvals"}, follow_redirects=False)
    assert answer.status_code == 303
    return desk


def test_a_rerun_from_the_desk_runs_once_on_the_server_and_completes(served):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    client = served["client"]
    desk = signed_in(served["env"]["BAOCAO_WAREHOUSE_URL"])
    page = desk.get(f"/approvals?period={PERIOD}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "period": PERIOD, "key": key}
    first = desk.post("/approvals/rerun", data=form, follow_redirects=False)
    second = desk.post("/approvals/rerun", data=form, follow_redirects=False)  # the double click
    assert first.status_code == second.status_code == 303
    run_id = re.search(r"rerun=([0-9a-f-]{36})", first.headers["location"]).group(1)
    assert re.search(r"rerun=([0-9a-f-]{36})", second.headers["location"]).group(1) == run_id

    shown = desk.get(first.headers["location"]).text
    assert f"/runs/flow-run/{run_id}" in shown and 'id="rerun"' in shown
    run = wait_for(lambda: (r := client.read_flow_run(run_id)).state.is_final() and r, 180,
                   "the rerun to finish", served["log"])
    assert run.state.type.value == "COMPLETED", run.state
    status = desk.get(f"/approvals/reruns/{run_id}").text
    assert "Completed" in status and "hx-trigger" not in status  # final: the page stops polling
    deployment = client.read_deployment_by_name("rerun-period/baocao")
    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
    assert [str(r.id) for r in runs] == [run_id]

    # a new click (a new page, a new key) is a new rerun
    page = desk.get(f"/approvals?period={PERIOD}").text
    again = desk.post("/approvals/rerun", data=form | {"key": re.search(r'name="key" value="([^"]+)"', page).group(1)},
                      follow_redirects=False)
    assert re.search(r"rerun=([0-9a-f-]{36})", again.headers["location"]).group(1) != run_id
    from tasks.review.audit import audit_rows
    from warehouse.db import engine_for

    asked = audit_rows(engine_for(served["env"]["BAOCAO_WAREHOUSE_URL"]), "period", PERIOD)
    assert [(r["who"], r["action"]) for r in asked] == [("an", "rerun")] * 3
    assert {r["after"] for r in asked[:2]} == {run_id}
