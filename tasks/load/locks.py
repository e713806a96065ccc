"""Locks of approved reports: while a unit x program x period is approved, what arrives for it waits as pending."""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from warehouse.approval_models import NO_PROGRAM, Approval
from warehouse.models import Submission

APPROVALS = Approval.__table__
SUBMISSIONS = Submission.__table__


def locked_places(conn: Connection, places) -> set[tuple[str, str | None, str]]:
    """Which of these (unit_code, program, period) are approved, so what arrives for them must wait: one query for a
    chunk's places (one each cost a round trip per report). On PostgreSQL each place's approval lock is taken
    first, in one statement and in sorted order."""
    wanted = sorted({(u, p, per) for u, p, per in places if u and per}, key=lambda x: (x[0], x[1] or "", x[2]))
    if not wanted:
        return set()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest(%s::text[]) AS k",
                             ([_approval_key(*place) for place in wanted],))
    a = APPROVALS
    approved: set[tuple] = set()
    units = sorted({u for u, _, _ in wanted})
    for start in range(0, len(units), 500):
        approved |= {tuple(row) for row in conn.execute(select(a.c.unit_code, a.c.program, a.c.period).where(
            a.c.unit_code.in_(units[start:start + 500])))}
    return {place for place in wanted if (place[0], place[1] or NO_PROGRAM, place[2]) in approved}


def _approval_key(unit_code: str, program: str | None, period: str) -> str:
    return f"approval:{unit_code}|{program or NO_PROGRAM}|{period}"


def serialize_approval(conn: Connection, unit_code: str, program: str | None, period: str) -> None:
    """On PostgreSQL, an approval and a load of the same unit x program x period take turns (a transaction-scoped
    advisory lock), so a report with a new number cannot become current while the unit is being approved."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (_approval_key(unit_code, program, period),))


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
