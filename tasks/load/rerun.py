"""Redo a period's current submissions in place: their facts and findings replaced from a new reading of their
archived bytes, chunk after chunk inside the rerun's one transaction.

A submission keeps its row (id, version, what it superseded, when it was received); only its status, counts,
facts and findings change. Restatements compare each submission with what its unit reported before it was
received, as when it was loaded: the submissions go unit by unit, each unit's in the order received, so every
earlier one of the unit is already redone (in the warehouse, or earlier in the chunk) when a later one is
compared with it, and a chunk fetches the history of a few units rather than of every unit in the period
(5 598 reports: 2 157 981 history rows fetched in the order received, 55 969 unit by unit)."""
from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, update

from tasks.check.result import SubmissionResult
from tasks.load.chunk import compared_spans, histories, history_rows, years_by_unit
from tasks.load.submissions import (
    FACTS, FINDINGS, SUBMISSIONS, _count, apply_earlier, covered_years, fact_rows, finding_rows, insert_rows,
    pick_earlier, years_text,
)
from warehouse.db import now


def redo_chunk(conn: Connection, stored: list, results: list[SubmissionResult]) -> None:
    """Replace the facts and findings of the `stored` submissions (their rows as lock_period_archives gives them,
    in its order) with `results`, their new readings in the same order; one history query, one COPY of
    facts and one of findings for the chunk."""
    ids = [row.id for row in stored]
    conn.execute(delete(FACTS).where(FACTS.c.submission_id.in_(ids)))
    conn.execute(delete(FINDINGS).where(FINDINGS.c.submission_id.in_(ids)))
    metas = [r.document.meta if r.document is not None else None for r in results]
    rows_of = [fact_rows(r) for r in results]
    covered_of = [covered_years(rows) for rows in rows_of]
    history, covers = histories(conn, years_by_unit(metas, rows_of),
                                also=[row.supersedes for row in stored if row.supersedes],
                                compared=compared_spans(metas, rows_of))
    for row, result, meta, rows, covered in zip(stored, results, metas, rows_of, covered_of):
        if meta is None or not meta.unit_code:
            continue
        earlier = [facts for sid, facts in history.get(meta.unit_code, {}).items()
                   if sid != result.sha256 and (not meta.program or facts.submission["program"] == meta.program)
                   and ((facts.submission["is_current"] and facts.submission["received_at"] < row.received_at)
                        or sid == row.supersedes)]
        apply_earlier(result, rows, pick_earlier(earlier, result, supersedes=row.supersedes, rows=rows, covers=covers)
                      if earlier else {})
        # what the next submissions of the chunk compare with: this one as it now reads
        submission = dict(unit_code=row.unit_code, program=row.program, id=result.sha256, is_current=True,
                          report_number=row.report_number, version=row.version, period=row.period,
                          report_date=row.report_date, received_at=row.received_at)
        redone = history_rows(submission, rows)
        covers[result.sha256] = covered
        if redone:
            history.setdefault(row.unit_code, {})[result.sha256] = redone
    insert_rows(conn, FACTS, [f for rows in rows_of for f in rows], copy=True)
    conn.execute(
        update(SUBMISSIONS).where(SUBMISSIONS.c.id == bindparam("sid")).values(
            status=bindparam("new_status"), reason=bindparam("new_reason"), loaded_at=bindparam("new_loaded_at"),
            errors=bindparam("new_errors"), warnings=bindparam("new_warnings"), years=bindparam("new_years")),
        [{"sid": r.sha256, "new_status": r.status, "new_reason": r.reason, "new_loaded_at": now(),
          "new_errors": _count(r, "error"), "new_warnings": _count(r, "warning"),
          "new_years": years_text(covered)} for r, covered in zip(results, covered_of)],
    )
    insert_rows(conn, FINDINGS, [f for r in results for f in finding_rows(r)], copy=True)
