"""Locks of approved reports: while a unit x program x period is approved, what arrives for it waits as pending."""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from warehouse.approval_models import NO_PROGRAM, Approval
from warehouse.models import Submission

APPROVALS = Approval.__table__
SUBMISSIONS = Submission.__table__


def is_locked(conn: Connection, unit_code: str | None, program: str | None, period: str | None) -> bool:
    """Whether this unit's report for the program and period is approved, so a new version must wait."""
    if not (unit_code and period):
        return False
    serialize_approval(conn, unit_code, program, period)
    a = APPROVALS
    return conn.execute(select(a.c.unit_code).where(
        a.c.unit_code == unit_code, a.c.program == (program or NO_PROGRAM), a.c.period == period)).first() is not None


def serialize_approval(conn: Connection, unit_code: str, program: str | None, period: str) -> None:
    """On PostgreSQL, an approval and a load of the same unit x program x period take turns (a transaction-scoped
    advisory lock), so a report with a new number cannot become current while the unit is being approved."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))",
                             (f"approval:{unit_code}|{program or NO_PROGRAM}|{period}",))


def next_version(conn: Connection, natural_key: str) -> int:
    """One more than the newest version of the report, pending ones included."""
    newest = conn.execute(select(func.max(SUBMISSIONS.c.version)).where(SUBMISSIONS.c.natural_key == natural_key))
    return (newest.scalar() or 0) + 1


def locked_ids(conn: Connection, submission_ids: list[str]) -> set[str]:
    """Which of these submissions belong to an approved unit x program x period (a rerun leaves them as they are)."""
    s, a = SUBMISSIONS, APPROVALS
    found: set[str] = set()
    for start in range(0, len(submission_ids), 500):
        chunk = submission_ids[start:start + 500]
        found |= set(conn.execute(
            select(s.c.id).join(a, (a.c.unit_code == s.c.unit_code) & (a.c.period == s.c.period)
                                & (a.c.program == func.coalesce(s.c.program, NO_PROGRAM)))
            .where(s.c.id.in_(chunk))).scalars())
    return found
