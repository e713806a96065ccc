"""Engines and schema upgrades for the warehouse: SQLite by default, PostgreSQL in production."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError

DATABASE_UNREACHABLE = (OperationalError, InterfaceError)  # what a retry may cure: the database, not the data
WAREHOUSE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL; SQLite gets foreign keys on, a busy timeout and WAL so readers never block."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            # in WAL mode NORMAL syncs at checkpoints, not at every commit: a killed run still loses nothing
            # committed (SQLite's documentation), a power cut may lose the last loads, which the next night
            # redoes (a file is skipped only once its submission is in the warehouse)
            cur.execute("PRAGMA synchronous=NORMAL")
            # WAL is a property of the file: set once, by whoever comes first. Switching needs an exclusive
            # lock that another run's migration may hold, and SQLite answers "locked" without waiting for it.
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                except dbapi_conn.OperationalError:
                    pass  # the run holding the lock will have set it, or the next connection will
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(WAREHOUSE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(WAREHOUSE_DIR / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def _migrate(url: str, command_name: str, revision: str) -> None:
    from alembic import command

    with engine_for(url).begin() as conn:
        lock_schema(conn)
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        getattr(command, command_name)(cfg, revision)
        if command_name == "upgrade" and revision == "head":
            from warehouse.reference import sync_reference

            sync_reference(conn)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` with the Alembic migrations (the only way the schema changes);
    at head, bring the dimension tables in line with the reference data and the catalog."""
    _migrate(url, "upgrade", revision)


def lock_schema(conn) -> None:
    """One migrator at a time, its DDL in one transaction: two runs starting at once, or a kill mid-upgrade, leave no half schema."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite would otherwise run the DDL outside any transaction
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(20491014)")


def downgrade(url: str, revision: str = "base") -> None:
    """Take the schema back to `revision` (base: empty)."""
    _migrate(url, "downgrade", revision)


def now() -> datetime:
    """The warehouse's clock: UTC, without a time zone (both databases store it the same way)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
