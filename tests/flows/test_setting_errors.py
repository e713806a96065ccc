"""A setting's mistake ends a command with one line that names the setting and the fix, and exit 2; --debug shows
the traceback instead."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from flows.environment import free_port
from tests.conftest import ROOT


def baocao(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`baocao ARGS` in a subprocess, as a person types it, with BAOCAO_* and PREFECT_API_URL from `env` only."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_") and k != "PREFECT_API_URL"}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env={**base, **env})


def one_line(proc: subprocess.CompletedProcess) -> str:
    """The command's whole stderr, which must be one line and no traceback."""
    assert proc.returncode == 2, proc.stdout[-1000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "╭" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_missing_warehouse_names_the_setting_and_how_to_create_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere' / 'warehouse.db'}"
    line = one_line(baocao("summary", BAOCAO_WAREHOUSE_URL=url))
    assert "BAOCAO_WAREHOUSE_URL" in line and "baocao migrate" in line and str(tmp_path / "nowhere") in line
    assert not (tmp_path / "nowhere").exists()  # asking created nothing
    debug = baocao("--debug", "summary", BAOCAO_WAREHOUSE_URL=url)
    assert debug.returncode == 1 and "WarehouseSettingError" in debug.stderr


@pytest.mark.parametrize("url", ["warehouse.db", "postgres://baocao:secret@127.0.0.1/baocao", "mysql://u@h/db"])
def test_a_bad_warehouse_url_names_the_setting_and_the_forms_it_takes(url):
    line = one_line(baocao("failures", "list", BAOCAO_WAREHOUSE_URL=url))
    assert "BAOCAO_WAREHOUSE_URL" in line and "postgresql+psycopg://" in line and "sqlite:///" in line
    assert "secret" not in line


def test_an_unreachable_postgresql_names_the_host_and_the_setting(tmp_path):
    port = free_port()
    line = one_line(baocao("run", "--inbox", str(ROOT / "examples" / "inbox"),
                           BAOCAO_WAREHOUSE_URL=f"postgresql+psycopg://baocao:secret@127.0.0.1:{port}/baocao",
                           BAOCAO_VAR=str(tmp_path / "var")))
    assert f"127.0.0.1:{port}" in line and "does not answer" in line and "BAOCAO_WAREHOUSE_URL" in line
    assert "secret" not in line


def test_an_unreachable_prefect_server_names_prefect_api_url(tmp_path):
    api = f"http://127.0.0.1:{free_port()}/api"
    line = one_line(baocao("run", "--inbox", str(ROOT / "examples" / "inbox"), PREFECT_API_URL=api,
                           BAOCAO_VAR=str(tmp_path / "var"), PREFECT_HOME=str(tmp_path / "prefect")))
    assert f"PREFECT_API_URL={api}" in line and "prefect server start" in line
    assert not (tmp_path / "var" / "archive").exists()  # refused before taking in a file


def test_an_inbox_that_is_not_a_folder_names_the_option_and_the_setting(tmp_path):
    line = one_line(baocao("run", "--inbox", str(tmp_path / "missing"), BAOCAO_VAR=str(tmp_path / "var"),
                           PREFECT_HOME=str(tmp_path / "prefect")))
    assert "--inbox" in line and "BAOCAO_INBOX" in line
