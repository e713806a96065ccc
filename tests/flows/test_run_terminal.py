"""`baocao run` as people and machines see it, against a real Prefect server: a progress bar on a terminal, plain
lines and no escape codes in a file, no third-party log line, and the run's own lines in the server's logs."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

INBOX = ROOT / "examples" / "inbox"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| |\| (INFO|DEBUG) |^INFO[: ]", re.M)  # Prefect's, GX's, Alembic's


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """A real Prefect server, as production runs one beside baocao (its own PREFECT_HOME, a free port)."""
    from flows.environment import prefect_server

    base = tmp_path_factory.mktemp("prefect_server")
    with prefect_server({**os.environ, "PREFECT_HOME": str(base)}, cwd=base, log=base / "server.log",
                        timeout=180) as api:
        yield api


def run_env(tmp_path: Path, api: str) -> dict[str, str]:
    """A fresh var/ and warehouse for one run, sent to the server at `api`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BAOCAO_", "PREFECT_"))}
    return {**base, "BAOCAO_VAR": str(tmp_path / "var"), "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "COLUMNS": "120"}


def on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 300) -> tuple[int, bytes]:
    """Run `args` with stdin, stdout and stderr on a pseudo-terminal; its exit code and everything it drew."""
    master, slave = os.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return proc.wait(timeout=timeout), bytes(drawn)


def test_on_a_terminal_the_run_draws_a_progress_bar(tmp_path, prefect_api):
    code, drawn = on_a_terminal([sys.executable, "-m", "flows.cli", "run", "--inbox", str(INBOX)],
                                run_env(tmp_path, prefect_api))
    text = drawn.decode("utf-8", "replace")
    assert code == 0, text[-3000:]
    assert "\x1b[" in text and "━" in text  # rich's bar, drawn with escape codes
    assert re.search(r"3/3\S*\s+files", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text))
    assert "run finished: 3 files, 3 flagged" in text
    assert "run: 3 of 3 files" not in text  # the bar, not the plain lines too


def test_into_a_file_the_demo_writes_plain_lines_no_escape_codes_and_no_third_party_log(tmp_path, prefect_api):
    """`make demo`'s two commands with stdout and stderr in files, as CI or cron keeps them."""
    env = run_env(tmp_path, prefect_api)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    for args in (["run", "--inbox", str(INBOX)], ["completeness", "--period", "2016-2020"]):
        with out.open("ab") as stdout, err.open("ab") as stderr:
            done = subprocess.run([sys.executable, "-m", "flows.cli", *args], stdout=stdout, stderr=stderr,
                                  env=env, cwd=ROOT, timeout=300)
        assert done.returncode == 0, err.read_text()[-3000:]
    printed = out.read_text(encoding="utf-8") + err.read_text(encoding="utf-8")
    assert "\x1b" not in printed and "━" not in printed
    assert "run finished: 3 files, 3 flagged; 230 new facts; findings: 7 errors, 6 warnings, 4 info" in printed
    # the plain progress lines, on stderr (with a rate once a second has passed: three files may load in less)
    assert re.search(r"^run: 3 of 3 files(, [\d.]+ files/s.*)? \((batch 1 of 1|review)\)$", printed, re.M)
    assert "3 of 8 reported" in printed
    assert not LOG_LINE.search(printed), LOG_LINE.search(printed).group(0)
    assert "great_expectations" not in printed and "alembic" not in printed.lower()


def test_the_run_s_own_lines_reach_the_prefect_server_at_info(tmp_path, prefect_api):
    env = run_env(tmp_path, prefect_api)
    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--inbox", str(INBOX)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not LOG_LINE.search(done.stdout + done.stderr)  # the terminal stays quiet
    from sqlalchemy import text

    from warehouse.db import engine_for

    with engine_for(f"sqlite:///{tmp_path / 'var' / 'warehouse.db'}").connect() as conn:
        flow_run_id = conn.execute(text("SELECT flow_run_id FROM runs")).scalar_one()
    request = urllib.request.Request(f"{prefect_api}/logs/filter", method="POST",
                                     data=json.dumps({"logs": {"flow_run_id": {"any_": [flow_run_id]}},
                                                      "limit": 200}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        logs = json.load(answer)
    messages = [entry["message"] for entry in logs if entry["level"] == 20]
    assert "run finished: 3 files, 3 flagged; 230 new facts; findings: 7 errors, 6 warnings, 4 info" in messages
    assert any(m.startswith(f"inbox {INBOX}: 3 files to take in") for m in messages)
    assert any(m.startswith("batch 1 of 1 loaded: 3 of 3 files done") for m in messages)


def _events(api: str, flow_run_id: str) -> list[str]:
    """The names of the events the server holds about one flow run (itself the event's resource)."""
    request = urllib.request.Request(f"{api}/events/filter", method="POST",
                                     data=json.dumps({"filter": {"resource": {
                                         "id": [f"prefect.flow-run.{flow_run_id}"]}}, "limit": 50}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return [event["event"] for event in json.load(answer)["events"]]


def test_a_command_line_run_sends_no_heartbeats_unless_asked(tmp_path, prefect_api):
    """Prefect's flow heartbeats serve only an automation a self-hosted server does not have, and waiting for their
    thread ended every run 0-1 s late: `baocao run` sends none, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set."""
    import time

    from sqlalchemy import text

    from warehouse.db import engine_for

    names = {}
    for case, extra in (("default", {}), ("asked", {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"})):
        env = {**run_env(tmp_path / case, prefect_api), **extra}
        done = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--inbox", str(INBOX)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        with engine_for(f"sqlite:///{tmp_path / case / 'var' / 'warehouse.db'}").connect() as conn:
            flow_run_id = conn.execute(text("SELECT flow_run_id FROM runs")).scalar_one()
        deadline = time.monotonic() + 60  # the server stores events in batches: wait for the run's last one
        while "prefect.flow-run.Completed" not in (seen := _events(prefect_api, flow_run_id)):
            assert time.monotonic() < deadline, seen
            time.sleep(1)
        names[case] = seen
    assert "prefect.flow-run.heartbeat" not in names["default"]
    assert "prefect.flow-run.heartbeat" in names["asked"]  # emitted at the start, before Completed
