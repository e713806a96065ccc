"""Reporting queries over the warehouse views, giving the same Python values on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, text

# SQLite hands dates and timestamps back from views as ISO text; PostgreSQL as date and datetime
_DATES = {"due_date", "report_date", "last_report_date"}
_TIMES = {"first_received_at", "received_at", "late_from"}


def _typed(row: dict) -> dict:
    for key, value in row.items():
        if isinstance(value, str) and key in _DATES:
            row[key] = date.fromisoformat(value[:10])
        elif isinstance(value, str) and key in _TIMES:
            row[key] = datetime.fromisoformat(value)
    return row


def _select(engine: Engine, sql: str, order: tuple[str, ...], **params) -> list[dict]:
    """Rows as dicts, sorted here: the databases disagree on NULL placement and text collation."""
    with engine.connect() as conn:
        rows = [_typed(dict(r._mapping)) for r in conn.execute(text(sql), params)]
    return sorted(rows, key=lambda r: tuple((r[k] is not None, r[k] if r[k] is not None else 0) for k in order))


def plan_vs_actual(engine: Engine, period: str, unit_code: str | None = None) -> list[dict]:
    """Plan beside actual for a period's current submissions (one unit, or all), in form and row order."""
    where = "period = :period" + (" AND unit_code = :unit" if unit_code else "")
    return _select(engine, f"SELECT * FROM plan_vs_actual WHERE {where}",
                   ("unit_code", "form", "group_no", "label", "year"), period=period, unit=unit_code)


def province_totals(engine: Engine, province_code: str, period: str) -> list[dict]:
    """The province's sums per form x indicator x year x measure, in catalog order."""
    return _select(engine, "SELECT * FROM province_totals WHERE province_code = :p AND period = :period",
                   ("form", "position", "year", "measure"), p=province_code, period=period)


def completeness(engine: Engine, province_code: str, period: str) -> list[dict]:
    """Every district of the province for the period: received or not, and late once a due date is set."""
    return _select(engine, "SELECT * FROM completeness WHERE province_code = :p AND period = :period",
                   ("unit_code",), p=province_code, period=period)
