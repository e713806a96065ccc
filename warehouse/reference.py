"""The warehouse's dimensions from the reference data: units (vietnamadminunits), programs, forms, indicators, periods."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import Connection, select

from config.catalog import load_forms, load_programs
from config.reporting import due_dates, late_by
from contracts.period import Period as ReportingPeriod
from config.units import _dataset, legacy_districts
from warehouse.models import FormRow, IndicatorRow, Period, Program, ReportingUnit

UNITS = ReportingUnit.__table__
PROGRAMS = Program.__table__
FORMS = FormRow.__table__
INDICATORS = IndicatorRow.__table__
PERIODS = Period.__table__


@lru_cache(maxsize=1)
def unit_rows() -> tuple[dict, ...]:
    """Every legacy province and district, each with the post-2025 province that took it in."""
    dataset = _dataset()
    converter = json.loads((dataset.parent / "converter_2025.json").read_text(encoding="utf-8"))
    with sqlite3.connect(f"file:{dataset}?mode=ro", uri=True) as conn:
        legacy = conn.execute(
            "SELECT DISTINCT provinceCode, provinceShort, province, provinceKey FROM admin_units_legacy"
        ).fetchall()
        new = dict(
            (key, (code, short)) for code, short, key in
            conn.execute("SELECT DISTINCT provinceCode, provinceShort, provinceKey FROM admin_units").fetchall()
        )
    successor_of: dict[str, tuple[str, str]] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            if new_key in new:
                successor_of[old_key] = new[new_key]
    rows: list[dict] = []
    province_successor: dict[str, tuple[str | None, str | None]] = {}
    for code, short, full, key in sorted(legacy):
        successor = successor_of.get(key, (None, None))
        province_successor[code] = successor
        rows.append({
            "code": code, "name": short, "kind": full.split(" ")[0] if full.startswith("Tỉnh") else "Thành phố",
            "province_code": code, "province": short, "level": "province", "parent_code": None,
            "successor_code": successor[0], "successor_name": successor[1],
        })
    for u in legacy_districts():
        successor = province_successor.get(u.province_code, (None, None))
        rows.append({
            "code": u.code, "name": u.name, "kind": u.kind, "province_code": u.province_code,
            "province": u.province, "level": "district", "parent_code": u.province_code,
            "successor_code": successor[0], "successor_name": successor[1],
        })
    return tuple(rows)


def catalog_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """Programs, forms and indicators (group headings, items, totals in form order) from config/."""
    programs = [{"code": p["code"], "name": p["name"]} for p in load_programs()]
    forms, indicators = [], []
    for form in load_forms().values():
        forms.append({"code": form.code, "number": form.number, "program": form.program, "title": form.title})
        position = 0
        for group in form.groups:
            position += 1
            indicators.append({"form": form.code, "code": group.code, "position": position, "kind": "group",
                               "group_no": group.number, "label": group.label, "unit": None, "sum_of": None})
            for item in group.items:
                position += 1
                indicators.append({"form": form.code, "code": item.code, "position": position, "kind": "item",
                                   "group_no": group.number, "label": item.label, "unit": item.unit, "sum_of": None})
        for total in form.totals:
            position += 1
            indicators.append({"form": form.code, "code": total.code, "position": position, "kind": "total",
                               "group_no": None, "label": total.label, "unit": total.unit,
                               "sum_of": ",".join(total.sum_of)})
    return programs, forms, indicators


def period_row(code: str, due: date | None = None, judged_by: str = "received_date") -> dict | None:
    """'2016-2020' -> years 2016..2020; '2020' -> 2020..2020; anything else is no period."""
    period = ReportingPeriod.parse(code)
    if period is None or period.code != code:
        return None
    start, end = period.start, period.end
    late_from = datetime.combine(due + timedelta(days=1), time()) if due else None
    return {"code": code, "start_year": start, "end_year": end, "due_date": due, "late_from": late_from,
            "late_by": judged_by}


def _upsert(conn: Connection, table, rows: list[dict], key: tuple[str, ...]) -> int:
    """Insert what is missing and update what changed, in bulk; returns how many rows were written."""
    if not rows:
        return 0
    columns = list(rows[0])
    stored = (dict(r._mapping) for r in conn.execute(select(*[table.c[c] for c in columns])))
    existing = {tuple(r[k] for k in key): r for r in stored}
    missing = [r for r in rows if tuple(r[k] for k in key) not in existing]
    changed = [r for r in rows if (old := existing.get(tuple(r[k] for k in key))) is not None and old != r]
    if missing:
        conn.execute(table.insert(), missing)
    for row in changed:
        conn.execute(table.update().where(*[table.c[k] == row[k] for k in key]).values(**row))
    return len(missing) + len(changed)


def ensure_periods(conn: Connection, codes: set[str]) -> None:
    """A period row for every period a submission names, with its configured due date."""
    dues, judged = due_dates(), late_by()
    rows = [r for c in sorted(codes | set(dues))
            if (r := period_row(c, dues.get(c), judged.get(c, "received_date")))]
    if rows:
        _upsert(conn, PERIODS, rows, ("code",))


def sync_reference(conn: Connection) -> int:
    """Bring the dimension tables in line with vietnamadminunits and config/ (idempotent); rows written."""
    programs, forms, indicators = catalog_rows()
    written = _upsert(conn, UNITS, list(unit_rows()), ("code",))
    written += _upsert(conn, PROGRAMS, programs, ("code",))
    written += _upsert(conn, FORMS, forms, ("code",))
    written += _upsert(conn, INDICATORS, indicators, ("form", "code"))
    ensure_periods(conn, set())
    return written
