"""config/reporting.yaml: which units must report each period, when it is due, and how lateness is judged."""
from __future__ import annotations

from datetime import date

from config.files import read_yaml


def reporting() -> dict:
    """The whole file ({} when there is none)."""
    return read_yaml("reporting.yaml")


def period_spec(period: str) -> dict:
    """The period's entry ({} when the period is not configured)."""
    periods = reporting().get("periods") or {}
    if isinstance(periods, dict):
        return dict(periods.get(period) or {})
    return next((dict(p) for p in periods if isinstance(p, dict) and str(p.get("period") or p.get("code")) == period), {})


def late_by() -> dict[str, str]:
    """How lateness is judged per period (`late_by`); received_date unless it says otherwise."""
    periods = reporting().get("periods") or {}
    if not isinstance(periods, dict):
        return {}
    return {str(code): spec["late_by"] for code, spec in periods.items()
            if isinstance(spec, dict) and spec.get("late_by") in ("received_date", "report_date")}


def due_dates() -> dict[str, date]:
    """Due date per period (`periods: {2016-2020: {due: 2020-10-31}}` or a list of `{period, due}`)."""
    periods = reporting().get("periods") or {}
    items = periods.items() if isinstance(periods, dict) else (
        (p.get("period") or p.get("code"), p) for p in periods if isinstance(p, dict))
    out: dict[str, date] = {}
    for code, spec in items:
        due = spec.get("due") or spec.get("due_date") if isinstance(spec, dict) else spec
        if isinstance(due, str):
            due = date.fromisoformat(due)
        if isinstance(due, date):
            out[str(code)] = due
    return out
