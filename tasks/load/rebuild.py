"""Rebuild a period's submissions, facts and findings from their archived bytes, in one transaction per period.

Steward decisions live in `failures` and `failure_events`, keyed by fingerprint, not by row: a rebuild leaves them
alone, and the next sync of the queue finds the same fingerprints again."""
from __future__ import annotations

from sqlalchemy import Connection, delete, select

from tasks.load.submissions import FACTS, FINDINGS, SUBMISSIONS

NO_PERIOD = "-"  # the files that carry no period: quarantined ones, reports whose period could not be read


def stored_periods(conn: Connection) -> list[str]:
    """Every period the warehouse holds submissions for, NO_PERIOD last when some carry none."""
    found = set(conn.execute(select(SUBMISSIONS.c.period).distinct()).scalars())
    return sorted(p for p in found if p is not None) + ([NO_PERIOD] if None in found else [])


def lock_period_submissions(conn: Connection, period: str) -> list:
    """Every submission of the period, every version, in the order it was received; on PostgreSQL a rerun or
    another rebuild of the same period waits until this transaction commits."""
    s = SUBMISSIONS
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rerun:{period}",))
    where = s.c.period.is_(None) if period == NO_PERIOD else s.c.period == period
    query = select(s.c.id, s.c.source, s.c.archive_path, s.c.received_at, s.c.run_id).where(where)
    return conn.execute(query.order_by(s.c.received_at, s.c.id)).all()


def clear_submissions(conn: Connection, stored: list) -> None:
    """Delete the stored submissions with their facts and findings; a rebuild writes them again from their archived
    bytes in the same order, with the same received times, runs and archive paths, so versions and restatements
    come out as they did."""
    ids = [row.id for row in stored]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(delete(FACTS).where(FACTS.c.submission_id.in_(chunk)))
        conn.execute(delete(FINDINGS).where(FINDINGS.c.submission_id.in_(chunk)))
        conn.execute(delete(SUBMISSIONS).where(SUBMISSIONS.c.id.in_(chunk)))
