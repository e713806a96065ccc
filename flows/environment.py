"""Prefect's environment, set in one place: offline, its state inside var/, quiet unless asked."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def prefect_defaults(var_dir: Path | str | None = None) -> dict[str, str]:
    """The variables a baocao process (the CLI, a test's server, a benchmark) sets for Prefect."""
    var = Path(var_dir if var_dir is not None else os.environ.get("BAOCAO_VAR", "var")).resolve()
    return {"PREFECT_HOME": str(var / "prefect"), **DEFAULTS}


def verbose() -> bool:
    """`baocao --verbose` (or BAOCAO_VERBOSE=1): third-party INFO lines on the terminal too."""
    return os.environ.get("BAOCAO_VERBOSE", "") not in ("", "0", "false")


def prefect_env(level: str = "WARNING") -> None:
    """Apply prefect_defaults to this process where the user has not set them.

    A run's own lines (prefect.flow_runs, prefect.task_runs) go to the Prefect API at INFO, so the UI shows them,
    while the terminal's handler shows WARNING and worse unless --verbose: the API and the terminal are two
    handlers of one logger, and Prefect's PREFECT_LOGGING_LEVEL alone would silence both."""
    for name, value in prefect_defaults().items():
        os.environ.setdefault(name, value)
    loud = verbose()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if loud else level)
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "0" if loud else "WARNING")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    quiet_libraries()


HEARTBEAT_SETTINGS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """A flow run from the command line (`baocao run`, `baocao rerun`) sends no Prefect heartbeats, unless the
    operator set PREFECT_FLOWS_HEARTBEAT_FREQUENCY.

    Heartbeats only serve an automation that marks silent runs Crashed, which a self-hosted Prefect has only if
    someone created it (Prefect's "detect zombie flows" guide); the command's own terminal shows a run that dies.
    Prefect 3.9.1 sends one at the start and, at the end, waits for its heartbeat thread, which sleeps in steps of a
    second: every command-line run ended 0-1 s late (0.96 s in one profile of a 20-file night). Runs of a
    deployment (`baocao serve`, a work pool) keep Prefect's default."""
    if any(name in os.environ for name in HEARTBEAT_SETTINGS):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def quiet_libraries() -> None:
    """great-expectations and Alembic say INFO about temporary folders and migrations: WARNING and worse only,
    unless --verbose."""
    import logging

    level = logging.INFO if verbose() else logging.WARNING
    for name in ("great_expectations", "alembic"):
        logging.getLogger(name).setLevel(level)
    if verbose() and not logging.getLogger().handlers:  # no Prefect to print them: Python's own handler
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s | %(levelname)-7s | %(name)s - %(message)s")


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def prefect_server(env: dict[str, str], *, cwd: Path | str | None = None, log: Path | None = None,
                   timeout: float = 180) -> Iterator[str]:
    """`prefect server start` on a free loopback port with `env` (its PREFECT_HOME among them); yields the API
    URL once /api/health answers, and stops the server's whole process group on the way out."""
    port = free_port()
    server_env = {**DEFAULTS, "PREFECT_UI_ENABLED": "false", **env}
    server_env.pop("PREFECT_API_URL", None)
    output = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=server_env, cwd=cwd, stdout=output,
                            stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(api):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = Path(log).read_text(errors="replace")[-2000:] if log else ""
                raise RuntimeError(f"the Prefect server did not answer {api}/health in {timeout:g} s\n{tail}")
            time.sleep(0.5)
        yield api
    finally:
        stop_group(proc)
        if log:
            output.close()


def _healthy(api: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the group, then SIGKILL after `grace` seconds: a server must never outlive its user."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
