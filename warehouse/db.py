"""Engines and schema upgrades for the warehouse: SQLite by default, PostgreSQL in production."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

DATABASE_UNREACHABLE = (OperationalError, InterfaceError)  # what a retry may cure: the database, not the data
BAD_URL = (ArgumentError, NoSuchModuleError)  # what SQLAlchemy raises for a URL it cannot parse or has no dialect for
WAREHOUSE_DIR = Path(str(files("warehouse")))  # alembic.ini and migrations/ are package data


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


class WarehouseSettingError(RuntimeError):
    """BAOCAO_WAREHOUSE_URL names no warehouse baocao can use; the message says what to change."""


URL_FORMS = "sqlite:///path/to/warehouse.db or postgresql+psycopg://user:password@host:5432/database"


def shown_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_warehouse(url: str, *, must_exist: bool = False) -> None:
    """Raise WarehouseSettingError when `url` is not a database URL, names a database that does not answer, or
    (with `must_exist`) one that was never created."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    setting = f"BAOCAO_WAREHOUSE_URL={shown_url(url)!r}"
    try:
        parsed = make_url(url)
        dialect = parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise WarehouseSettingError(f"{setting} is not a database URL baocao can open: set it to {URL_FORMS}") from None
    if dialect.name not in ("sqlite", "postgresql"):
        raise WarehouseSettingError(f"{setting}: the warehouse is SQLite or PostgreSQL, not {dialect.name}; "
                                    f"set it to {URL_FORMS}")
    if dialect.name == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or parsed.database == ":memory:":
            raise WarehouseSettingError(f"{setting} names no file: set it to sqlite:///path/to/warehouse.db")
        if must_exist and not path.is_file():
            raise WarehouseSettingError(f"no warehouse at {path} ({setting}): create it with `baocao run` or "
                                        "`baocao migrate`, or set BAOCAO_WAREHOUSE_URL to the warehouse you use")
        return
    try:
        with create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5}).connect():
            pass
    except DATABASE_UNREACHABLE as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        if "does not exist" in reason and "database" in reason:
            fix = f"create it (`createdb -h {parsed.host or 'localhost'} {parsed.database}`) or fix the database name"
            raise WarehouseSettingError(f"no warehouse database {parsed.database!r} on {where} ({setting}): {fix}") from None
        if "authentication" in reason or "password" in reason:
            raise WarehouseSettingError(f"PostgreSQL on {where} refused user {parsed.username!r} ({setting}): "
                                        "fix the user or password in BAOCAO_WAREHOUSE_URL") from None
        raise WarehouseSettingError(f"PostgreSQL on {where} does not answer ({setting}: {reason}): start the "
                                    "server, or fix the host and port in BAOCAO_WAREHOUSE_URL") from None


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(WAREHOUSE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(WAREHOUSE_DIR / "migrations"))
    cfg.attributes["url"] = url
    return cfg


_REVISION_LINE = re.compile(r"^(down_)?revision\s*(?::[^=\n]+)?=\s*(.+)$", re.M)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The migrations' heads, read from their files' `revision` and `down_revision` lines without importing Alembic
    (its import and env.py cost a command 0.2-0.4 s to learn that the schema is already at head)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (WAREHOUSE_DIR / "migrations" / "versions").glob("*.py"):
        for down, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).update(re.findall(r"[\"']([^\"']+)[\"']", value))
    return frozenset(revisions - parents)


def at_head(conn) -> bool:
    """Whether the database's alembic_version holds exactly the migrations' heads."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return False
    return set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()) == head_revisions()


def _migrate(url: str, command_name: str, revision: str) -> None:
    with engine_for(url).begin() as conn:
        lock_schema(conn)
        if command_name == "upgrade" and revision == "head" and at_head(conn):
            from warehouse.reference import sync_reference

            sync_reference(conn)  # the catalog may have changed since the last run; 5 ms when it has not
            return
        from alembic import command

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


def drop_database(admin, name: str, attempts: int = 60) -> None:
    """DROP DATABASE … WITH (FORCE) through `admin` (an AUTOCOMMIT engine), retried each second while an autovacuum
    worker is still at work on it: FORCE cannot end one for a role that is not a superuser (the tests' and
    benchmarks' throwaway databases are dropped right after a large load, when autovacuum starts)."""
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except (ProgrammingError, OperationalError) as exc:  # 42501: may not signal autovacuum; 55006: in use
            if getattr(exc.orig, "sqlstate", None) not in ("42501", "55006") or attempt == attempts - 1:
                raise
            time.sleep(1)
