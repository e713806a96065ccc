"""baocao installed from its wheel into a fresh virtualenv outside the repository, run from another folder: the
catalog, rules, messages, migrations and report scripts come from the package, not the source tree."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would lead Python back into the repository."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BAOCAO_", "PYTHON", "VIRTUAL_ENV", "PREFECT_API")) and k != "PREFECT_HOME"}
    return {**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this tree and installed, with its dependencies, into a new virtualenv; its bin/."""
    base = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = (base / "dist").glob("baocao-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=300)
    pip = subprocess.run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                         capture_output=True, text=True, timeout=1200, cwd=base, env=clean_env())
    assert pip.returncode == 0, pip.stderr[-3000:]
    return base / "venv" / "bin"


def test_installed_wheel_checks_the_seed_from_another_folder_as_the_repo_does(installed, tmp_path, seed_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    seed = shutil.copy(seed_path, elsewhere / seed_path.name)
    theirs = subprocess.run([str(installed / "baocao"), "check", seed.name, "--format", "json"], cwd=elsewhere,
                            capture_output=True, text=True, timeout=300, env=clean_env())
    ours = subprocess.run([sys.executable, "-m", "flows.cli", "check", str(seed), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert theirs.returncode == ours.returncode == 1, theirs.stderr[-3000:]  # the seed has error findings
    assert json.loads(theirs.stdout) == json.loads(ours.stdout)
    assert len(json.loads(theirs.stdout)["submissions"][0]["findings"]) > 5
    # the package's own files, not the repository's
    where = subprocess.run([str(installed / "python"), "-c", "import config.files, warehouse.db; "
                            "print(config.files.PACKAGED, warehouse.db.WAREHOUSE_DIR)"],
                           cwd=elsewhere, capture_output=True, text=True, env=clean_env(), check=True).stdout
    assert str(ROOT) not in where and "site-packages" in where
    version = subprocess.run([str(installed / "baocao"), "--version"], capture_output=True, text=True,
                             env=clean_env(), cwd=elsewhere)
    assert version.stdout.strip() == "baocao 0.1.0"


def test_installed_wheel_runs_the_nightly_flow_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "examples" / "inbox", elsewhere / "inbox")
    env = clean_env(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    run = subprocess.run([str(installed / "baocao"), "run", "--inbox", "inbox"], cwd=elsewhere, capture_output=True,
                         text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "run finished: 3 files, 3 flagged" in run.stdout
    # migrations, reference data and the report's vendored scripts came from the package
    assert (elsewhere / "var" / "warehouse.db").is_file()
    assert (elsewhere / "var" / "report" / "vendor" / "vega-embed@6.29.0" / "vega-embed.min.js").is_file()
    # a steward's own config folder overrides the packaged YAML
    own = tmp_path / "own-config"
    own.mkdir()
    (own / "reporting.yaml").write_text("# made up for this test: no deadlines\n{}\n", encoding="utf-8")
    check = subprocess.run([str(installed / "python"), "-c", "from config.files import config_path; "
                            "print(config_path('reporting.yaml'), config_path('rules.yaml'))"],
                           cwd=elsewhere, capture_output=True, text=True, env={**env, "BAOCAO_CONFIG": str(own)})
    mine, packaged = check.stdout.split()
    assert mine == str(own / "reporting.yaml") and "site-packages" in packaged
