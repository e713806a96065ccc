"""Outliers across periods (after DHIS2's follow-up): a year-over-year jump, or a value outside its band.

Plain functions on fact rows (tasks/check/result.py FACT_ROW tuples, as the loader holds them). The loader calls
them once per submission of ~70 facts, where a pandas call's overhead is the whole cost: lookups take 0.1 ms a
report, merges took 10. The jump factor is in config/rules.yaml (outlier_jump), the bands in config/outliers.yaml.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from config.files import read_yaml
from config.messages import finding, rules, where
from contracts.findings import Finding
from tasks.check.result import FORM, GROUP_NO, INDICATOR, KIND, LABEL, LINE, MEASURE, SOURCE, VALUE, YEAR, as_fact_row

if TYPE_CHECKING:
    import pandas as pd

_NUMERIC = ("number", "dot_decimal", "repaired")


@lru_cache(maxsize=1)
def bands() -> dict:
    """config/outliers.yaml's bands: form -> indicator -> {min, max}."""
    return read_yaml("outliers.yaml").get("bands") or {}


def detect_outliers(current_facts: pd.DataFrame, history_facts: pd.DataFrame | None = None) -> list[Finding]:
    """Warnings for a yearly value that jumps from the unit's previous year (in history) or leaves its band."""
    return outliers_in(_records(current_facts), _records(history_facts))


def outliers_in(current: list[dict], history: list[dict] | None = None) -> list[Finding]:
    """detect_outliers on records (dicts with form, indicator, year, measure, value, source, kind…; `unit_code`, when
    both sides have it, keeps districts apart)."""
    history = [r for r in history or () if _yearly(as_fact_row(r))]
    by_unit = bool(current and history) and "unit_code" in current[0] and "unit_code" in history[0]
    previous = {_key(r, by_unit, int(r["year"])): {"value": r["value"], "year": r["year"], "source": r.get("source"),
                                                   "report": r.get("report")}
                for r in history}  # later rows win: oldest first
    rows = [as_fact_row(r) for r in current]
    unit_of = {id(row): r.get("unit_code") for row, r in zip(rows, current)}
    return outliers_against(rows, lambda row: previous.get(
        (unit_of[id(row)] if by_unit else None, row[FORM], row[INDICATOR], row[MEASURE], int(row[YEAR]) - 1)))


def outliers_against(current: list[tuple], before_of: Callable[[tuple], dict | None]) -> list[Finding]:
    """outliers_in for a caller that knows each row's previous year already: `before_of(row)` gives the unit's
    figure for the same cell a year earlier (value, year, source, report) or None. The loader looks up the ~70 rows of
    a report in what it picked from the unit's history, rather than rebuilding every earlier fact as a row first
    (N = 5 000: 225 000 rows built, half of this check's time)."""
    current = [r for r in current if _yearly(r)]
    return _jumps(current, before_of) + _out_of_band(current) if current else []


def _records(facts: pd.DataFrame | None) -> list[dict]:
    return [] if facts is None or facts.empty else facts.to_dict("records")


def _present(value) -> bool:
    # pandas' NA known by its type: the loading process does not import pandas for it
    return not (value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType")


def _yearly(row: tuple) -> bool:
    """A yearly number of a catalogued row (phase totals, dashes and blanks have no year-over-year)."""
    year, value, indicator = row[YEAR], row[VALUE], row[INDICATOR]
    if year is None or value is None or indicator is None:  # most rows that are not yearly numbers stop here
        return False
    if (row[KIND] or "number") not in _NUMERIC:
        return False
    # the loader's rows hold Python scalars: known by their type, without _present's tests
    return ((type(value) is float and value == value) or _present(value)) and (type(year) is int or _present(year)) \
        and (type(indicator) is str or _present(indicator))


def _jumps(current: list[tuple], before_of: Callable[[tuple], dict | None]) -> list[Finding]:
    """A value more than `factor` times (or less than 1/factor of) the unit's previous year (`before_of`)."""
    spec = rules()["outlier_jump"]
    factor, floor = float(spec["factor"]), float(spec.get("min_value", 0))
    out = []
    for row in current:
        before = before_of(row)
        if before is None:
            continue
        now, then = float(row[VALUE]), float(before["value"])
        if min(now, then) <= 0 or max(now, then) < floor:
            continue  # a year without activity, or numbers too small for a ratio to mean anything
        ratio = max(now, then) / min(now, then)
        if ratio <= factor:
            continue
        prev_vi, prev_en = where(before.get("source"))
        report = before.get("report")
        report = report if isinstance(report, str) and report else None
        out.append(finding(
            "outlier_jump", **_where(row), expected=then, actual=now, ratio=round(ratio, 1),
            previous=then, previous_year=str(int(before["year"])),
            previous_where_vi=f"{prev_vi}, báo cáo {report}" if report else prev_vi,
            previous_where_en=f"{prev_en}, report {report}" if report else prev_en,
        ))
    return out


def _out_of_band(current: list[tuple]) -> list[Finding]:
    """A yearly value below its band's min or above its max."""
    out = []
    for row in current:
        band = bands().get(row[FORM], {}).get(row[INDICATOR])
        if not band:
            continue
        low, high = band.get("min"), band.get("max")
        value = float(row[VALUE])
        if (low is not None and value < low) or (high is not None and value > high):
            out.append(finding("outlier_band", **_where(row), expected=None, actual=value, low=low, high=high))
    return out


def _key(record: dict, by_unit: bool, year: int) -> tuple:
    """What makes two facts comparable across periods (a record of outliers_in's)."""
    return (record["unit_code"] if by_unit else None, record["form"], record["indicator"], record["measure"], year)


def _where(row: tuple) -> dict:
    """The finding fields that say which cell a fact stands in."""
    form, line, group = row[FORM], row[LINE], row[GROUP_NO]
    return dict(
        form_label=f"Biểu {form.split('_')[-1]}", source=row[SOURCE],
        line=int(line) if _present(line) else None, form=form,
        group=group if isinstance(group, str) else None, label=row[LABEL] or "",
        indicator=row[INDICATOR], year=int(row[YEAR]), measure=row[MEASURE],
    )
