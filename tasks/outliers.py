"""Outliers across periods (after DHIS2's follow-up): a year-over-year jump, or a value outside its band.

Plain functions on fact frames (contracts/facts.py columns; `unit_code` when present keeps districts
apart). The jump factor is in config/rules.yaml (outlier_jump), the bands in config/outliers.yaml.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from config.messages import finding, rules, where
from contracts.findings import Finding

CONFIG = Path(__file__).resolve().parent.parent / "config" / "outliers.yaml"
_NUMERIC = ("number", "dot_decimal", "repaired")


@lru_cache(maxsize=1)
def bands() -> dict:
    """config/outliers.yaml's bands: form -> indicator -> {min, max}."""
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8")).get("bands") or {}


def detect_outliers(current_facts: pd.DataFrame, history_facts: pd.DataFrame | None = None) -> list[Finding]:
    """Warnings for a yearly value that jumps from the unit's previous year (in history) or leaves its band."""
    current = _yearly(current_facts)
    if current.empty:
        return []
    history = _yearly(history_facts) if history_facts is not None else current.iloc[0:0]
    return _jumps(current, history) + _out_of_band(current)


def _yearly(facts: pd.DataFrame | None) -> pd.DataFrame:
    """The yearly numbers of catalogued rows (phase totals, dashes and blanks have no year-over-year)."""
    if facts is None or facts.empty:
        return pd.DataFrame(columns=["form", "indicator", "year", "measure", "value", "source"])
    kind = facts["kind"] if "kind" in facts else pd.Series("number", index=facts.index)
    keep = facts["year"].notna() & facts["value"].notna() & facts["indicator"].notna() & kind.isin(_NUMERIC)
    return facts[keep]


def _jumps(current: pd.DataFrame, history: pd.DataFrame) -> list[Finding]:
    """A value more than `factor` times (or less than 1/factor of) the unit's previous year in history."""
    spec = rules()["outlier_jump"]
    factor, floor = float(spec["factor"]), float(spec.get("min_value", 0))
    by_unit = "unit_code" in current and "unit_code" in history
    previous: dict[tuple, pd.Series] = {}
    for _, row in history.iterrows():  # later rows win: history is oldest first
        previous[_key(row, by_unit, int(row["year"]))] = row
    out = []
    for _, row in current.iterrows():
        before = previous.get(_key(row, by_unit, int(row["year"]) - 1))
        if before is None:
            continue
        now, then = float(row["value"]), float(before["value"])
        if min(now, then) <= 0 or max(now, then) < floor:
            continue  # a year without activity, or numbers too small for a ratio to mean anything
        ratio = max(now, then) / min(now, then)
        if ratio <= factor:
            continue
        prev_vi, prev_en = where(before.get("source"))
        report = before.get("report") if "report" in before else None
        out.append(finding(
            "outlier_jump", **_where(row), expected=then, actual=now, ratio=round(ratio, 1),
            previous=then, previous_year=str(int(before["year"])),
            previous_where_vi=f"{prev_vi}, báo cáo {report}" if report else prev_vi,
            previous_where_en=f"{prev_en}, report {report}" if report else prev_en,
        ))
    return out


def _out_of_band(current: pd.DataFrame) -> list[Finding]:
    """A yearly value below its band's min or above its max."""
    out = []
    for _, row in current.iterrows():
        band = bands().get(row["form"], {}).get(row["indicator"])
        if not band:
            continue
        low, high = band.get("min"), band.get("max")
        value = float(row["value"])
        if (low is not None and value < low) or (high is not None and value > high):
            out.append(finding("outlier_band", **_where(row), expected=None, actual=value, low=low, high=high))
    return out


def _key(row: pd.Series, by_unit: bool, year: int) -> tuple:
    """What makes two facts comparable across periods."""
    return (row["unit_code"] if by_unit else None, row["form"], row["indicator"], row["measure"], year)


def _where(row: pd.Series) -> dict:
    """The finding fields that say which cell a fact stands in."""
    form = row["form"]
    line = row.get("line")
    return dict(
        form_label=f"Biểu {form.split('_')[-1]}", source=row.get("source"),
        line=None if line is None or pd.isna(line) else int(line), form=form,
        group=row.get("group") if isinstance(row.get("group"), str) else None, label=row.get("label") or "",
        indicator=row["indicator"], year=int(row["year"]), measure=row["measure"],
    )
