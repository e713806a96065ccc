"""The deployment definitions, read from config/schedules.yaml, and the rules of triggering and retrying (no server)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from config.schedules import load_schedules
from flows.deployments import ENTRYPOINTS, deployment_options, idempotency_key, served_deployments

ROOT = Path(__file__).resolve().parents[2]


def test_schedules_yaml_gives_nightly_ingest_a_cron_in_province_time_and_reruns_a_limit_of_one():
    schedules = load_schedules()
    assert set(schedules) == set(ENTRYPOINTS) == {"nightly-ingest", "rerun-period"}
    assert (schedules["nightly-ingest"]["cron"], schedules["nightly-ingest"]["timezone"]) == (
        "0 1 * * *", "Asia/Ho_Chi_Minh")
    assert "cron" not in schedules["rerun-period"]
    assert schedules["rerun-period"]["concurrency_limit"] == 1


def test_an_unknown_flow_in_schedules_yaml_names_the_known_ones(tmp_path):
    path = tmp_path / "schedules.yaml"
    path.write_text("nightly-ingest:\n  cron: '0 1 * * *'\nnightly-ingst:\n  cron: '0 2 * * *'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no flow named nightly-ingst; known flows: nightly-ingest, rerun-period"):
        load_schedules(path)


def test_served_deployments_carry_the_schedule_tags_and_limits():
    by_flow = {d.flow_name: d for d in served_deployments()}
    nightly, rerun = by_flow["nightly-ingest"], by_flow["rerun-period"]
    assert nightly.name == rerun.name == "baocao"
    [schedule] = nightly.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (
        "0 1 * * *", "Asia/Ho_Chi_Minh", True)
    assert rerun.schedules in (None, [])
    assert rerun.concurrency_limit == 1 and rerun.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert "rerun" in rerun.tags and "nightly" in nightly.tags
    assert set(rerun._parameter_openapi_schema.properties) == {"period", "unit"}


def test_a_schedule_without_a_timezone_is_utc_not_the_machine_clock():
    [schedule] = deployment_options({"cron": "30 2 * * 1"})["schedules"]
    assert (schedule.cron, schedule.timezone) == ("30 2 * * 1", "UTC")


def test_a_double_click_gets_the_same_idempotency_key_and_anything_else_another():
    at = datetime(2026, 11, 25, 19, 30, 5, tzinfo=timezone.utc)
    key = idempotency_key("rerun-period", "baocao", {"period": "2016-2020"}, at)
    assert key == idempotency_key("rerun-period", "baocao", {"period": "2016-2020"}, at.replace(second=55))
    others = {
        idempotency_key("rerun-period", "baocao", {"period": "2016-2020"}, at.replace(minute=31)),
        idempotency_key("rerun-period", "baocao", {"period": "2021-2025"}, at),
        idempotency_key("rerun-period", "baocao", {"period": "2016-2020", "unit": "109"}, at),
        idempotency_key("rerun-period", "baocao-pool", {"period": "2016-2020"}, at),
    }
    assert key not in others and len(others) == 4


@pytest.mark.parametrize("error, retried", [
    (OSError(5, "Input/output error"), True),
    (TimeoutError(), True),
    (ValueError("a bug, not the disk"), False),
    (KeyError("BIEU_09"), False),
])
def test_only_io_failures_are_retried(error, retried):
    from prefect.states import Failed
    from sqlalchemy.exc import OperationalError

    from flows.shared import io_failure

    assert io_failure(None, None, Failed(data=error)) is retried
    assert io_failure(None, None, Failed(data=OperationalError("SELECT 1", {}, Exception("server closed")))) is True


def test_serve_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), BAOCAO_VAR=str(tmp_path / "var"))
    done = subprocess.run([sys.executable, "-m", "flows.cli", "serve"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "prefect server start" in done.stderr and "PREFECT_API_URL=http://127.0.0.1:4200/api" in done.stderr


@pytest.mark.parametrize("written, period", [("2016-2020", "2016-2020"), (" 2016–2020 ", "2016-2020"), ("2020", "2020")])
def test_a_period_is_read_as_the_warehouse_spells_it(written, period):
    from flows.rerun import checked_period

    assert checked_period(written) == period


@pytest.mark.parametrize("written", ["2016/2020", "16-20", "giai đoạn 2016-2020", ""])
def test_a_period_the_warehouse_cannot_hold_says_how_to_write_it(written):
    from flows.rerun import checked_period

    with pytest.raises(ValueError, match="write it like 2016-2020"):
        checked_period(written)
