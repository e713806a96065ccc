"""Quiet by default, loud when asked: third-party INFO lines appear with --verbose only."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def migrate(tmp_path, *options: str) -> subprocess.CompletedProcess:
    """`baocao [OPTIONS] migrate` on a new SQLite warehouse."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")},
           "BAOCAO_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}"}
    return subprocess.run([sys.executable, "-m", "flows.cli", *options, "migrate"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env=env)


def test_alembic_says_nothing_unless_verbose(tmp_path):
    quiet = migrate(tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "warehouse schema is at head\n" and quiet.stderr == ""
    loud = migrate(tmp_path / "loud", "--verbose")
    assert loud.returncode == 0, loud.stderr
    assert "| INFO    | alembic.runtime.migration - Running upgrade  -> 0001" in loud.stderr
