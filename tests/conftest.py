"""Shared fixtures: the seed, a fresh SQLite warehouse, a PostgreSQL database when CI provides one."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from flows.environment import prefect_defaults

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_7690d259663c1765.txt"
SEED_COPY = ROOT / "examples" / "inbox" / "000_7690d259663c1765.txt"

# Prefect offline with its state in the repository's var/, for this process and every process a test starts
for _name, _value in prefect_defaults(ROOT / "var").items():
    os.environ.setdefault(_name, _value)
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The reference submission: ../shared/seed when present, else the byte-identical copy in examples/."""
    return SEED if SEED.is_file() else SEED_COPY


@pytest.fixture(scope="session")
def seed_bytes(seed_path) -> bytes:
    return seed_path.read_bytes()


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


@pytest.fixture()
def pg_url():
    """A fresh PostgreSQL database per test; CI sets BAOCAO_TEST_PG_URL (.ci/run starts the server)."""
    base = os.environ.get("BAOCAO_TEST_PG_URL") or os.environ.get("BAOCAO_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI must provide PostgreSQL: BAOCAO_TEST_PG_URL is not set (see .ci/run)")
        pytest.skip("BAOCAO_TEST_PG_URL not set: no PostgreSQL to test against")
    from sqlalchemy import create_engine, text

    name = f"baocao_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from warehouse.db import drop_database, engine_for

    engine_for(url).dispose()
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One ephemeral Prefect API for the whole session (it costs 15-25 s to start)."""
    home = tmp_path_factory.mktemp("prefect-home")
    from flows.environment import DEFAULTS

    os.environ["PREFECT_HOME"] = str(home)
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture()
def baocao_env(tmp_path, monkeypatch):
    """BAOCAO_* pointing at a fresh warehouse, archive and var/ in the test's folder."""
    var = tmp_path / "var"
    monkeypatch.setenv("BAOCAO_VAR", str(var))
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", f"sqlite:///{var / 'warehouse.db'}")
    monkeypatch.setenv("BAOCAO_INBOX", str(ROOT / "examples" / "inbox"))
    return var


# Modules whose tests start Prefect, LibreOffice, Chromium or many worker processes: `pytest -m "not slow"` skips
# them (and every integration test) for a run of under a minute while working; `make test` runs everything.
SLOW_MODULES = {"test_crash", "test_hostile", "test_flows", "test_prefect_operations", "test_prefect_deployments",
                "test_report_browser", "test_expectations", "test_steward_flow", "test_export", "test_layout",
                "test_pages", "test_setting_errors"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES or item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.slow)


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright cannot download a browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module (CI must have it; elsewhere the test skips)."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail("CI must provide chromium (.ci/run installs it)")
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
