"""Shared fixtures: the seed, a fresh SQLite warehouse, a PostgreSQL database when CI provides one."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_7690d259663c1765.txt"
SEED_COPY = ROOT / "examples" / "inbox" / "000_7690d259663c1765.txt"


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
    from warehouse.db import engine_for

    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def prefect_env(tmp_path, monkeypatch):
    """Prefect offline with its home in the test's own folder."""
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
