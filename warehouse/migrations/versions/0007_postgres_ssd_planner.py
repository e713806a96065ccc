"""PostgreSQL: the warehouse database plans for SSDs (random_page_cost = 1.1) when the migrating role owns it

With PostgreSQL's default (4.0, a spinning disk) the planner answers the analysts' views by scanning all of `facts`
in parallel rather than fetching the few hundred submissions a province holds through `uq_facts_cell`; a province's
facts lie together on disk (each submission's are written by one COPY), so the index is the fast way on any disk.
Measured with benchmarks/scale.py, 20 000 reports (1.76 million facts), province 01: plan_vs_actual 211 -> 81 ms,
province_totals 178 -> 20 ms. Set on the database, not on baocao's connections, so that psql, a BI tool or a
notebook pointed at the warehouse plans the same way. A role that does not own the database cannot set it: the
migration then says so in the log and changes nothing (ask the database's owner for the same ALTER DATABASE).
SQLite has no such setting: nothing to do there.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import logging

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RANDOM_PAGE_COST = "1.1"  # PostgreSQL's documentation: "values closer to 1" for solid-state drives
log = logging.getLogger("baocao.warehouse")


def _owned_database(conn) -> str | None:
    """The current database's name when this role may set its parameters (its owner, or a superuser)."""
    return conn.exec_driver_sql(
        "SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.rolname = current_user"
        " WHERE d.datname = current_database() AND (d.datdba = r.oid OR r.rolsuper)").scalar()


def _set(value: str | None) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    name = _owned_database(conn)
    if name is None:
        log.warning("random_page_cost left as it is: the role migrating the warehouse does not own its database; "
                    "its owner can run ALTER DATABASE … SET random_page_cost = %s", RANDOM_PAGE_COST)
        return
    quoted = conn.dialect.identifier_preparer.quote_identifier(name)
    # the database's setting reaches sessions opened after it; this session (back in the process's pool once the
    # migration commits, often the one the process goes on with) takes it now
    if value is None:
        conn.exec_driver_sql(f"ALTER DATABASE {quoted} RESET random_page_cost")
        conn.exec_driver_sql("RESET random_page_cost")
    else:
        conn.exec_driver_sql(f"ALTER DATABASE {quoted} SET random_page_cost = {value}")
        conn.exec_driver_sql(f"SET random_page_cost = {value}")


def upgrade() -> None:
    _set(RANDOM_PAGE_COST)


def downgrade() -> None:
    _set(None)
