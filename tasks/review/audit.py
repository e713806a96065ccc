"""The audit trail: every decision, comment and account change appended, in the caller's transaction, to `audit`."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, Engine, insert, select

from warehouse.db import now
from warehouse.models import AuditRow

AUDIT = AuditRow.__table__
FIELDS = ("id", "at", "who", "action", "object_type", "object_id", "before", "after", "reason")


def record(conn: Connection, who: str, action: str, object_type: str, object_id: str, before: str | None = None,
           after: str | None = None, reason: str | None = None, at: datetime | None = None) -> None:
    """Append one audit row inside `conn`'s transaction, so the decision and its record commit or fail together."""
    conn.execute(insert(AUDIT).values(at=at or now(), who=who, action=action, object_type=object_type,
                                      object_id=object_id, before=before, after=after, reason=reason))


def audit_rows(engine: Engine, object_type: str | None = None, object_id: str | None = None,
               object_ids: list[str] | None = None) -> list[dict]:
    """Audit rows, oldest first: of one object, of several, or all of them."""
    query = select(AUDIT)
    if object_type:
        query = query.where(AUDIT.c.object_type == object_type)
    if object_id:
        query = query.where(AUDIT.c.object_id == object_id)
    if object_ids is not None:
        query = query.where(AUDIT.c.object_id.in_(object_ids))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(AUDIT.c.at, AUDIT.c.id)).mappings()]


def audit_csv(rows: list[dict]) -> str:
    """Audit rows as CSV (header row), cells a spreadsheet will not run as formulas."""
    import csv
    import io

    from contracts.cells import csv_text as csv_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([csv_cell(row[k].isoformat() if isinstance(row[k], (date, datetime)) else row[k])
                         for k in FIELDS])
    return out.getvalue()
