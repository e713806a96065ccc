"""Outliers across periods on inline rows: year-over-year jumps against history, min–max bands."""
from __future__ import annotations

import pandas as pd
import pytest

from tasks.check.history import detect_outliers
from tasks.check.submission import process_submission


def _facts(*rows, unit="109", **extra) -> pd.DataFrame:
    """Rows (form, indicator, year, measure, value, source) as a fact frame."""
    return pd.DataFrame([
        {"form": f, "group": "1", "label": "Số buổi", "indicator": i, "unit": "Buổi", "year": y, "measure": m,
         "value": v, "kind": "number", "source": s, "line": int(s[1:].split(":")[0]), "unit_code": unit, **extra}
        for f, i, y, m, v, s in rows
    ])


@pytest.mark.parametrize("before, now, fires", [
    (417, 4170, True),  # a typo: ten times
    (417, 525, False),
    (300, 90, True),  # a drop beyond the factor (300 / 90 = 3,3)
    (300, 100, False),  # exactly the factor 3: not beyond
    (2, 9, False),  # too small to mean anything (min_value 10)
    (0, 40, False),  # a year without activity is not an outlier
])
def test_year_over_year_jump(before, now, fires):
    history = _facts(("BIEU_02", "G1.SO_NGUOI", 2018, "actual", before, "L193:C9"), report="1520/BC-UBND")
    current = _facts(("BIEU_02", "G1.SO_NGUOI", 2019, "actual", now, "L193:C11"))
    found = detect_outliers(current, history)
    assert [f.rule for f in found] == (["outlier_jump"] if fires else [])
    if fires:
        f = found[0]
        assert (f.source, f.year, f.expected, f.actual) == ("L193:C11", 2019, before, now)
        assert "dòng 193, cột 9, báo cáo 1520/BC-UBND" in f.message_vi and "year 2018" in f.message_en


def test_jumps_compare_the_same_unit_indicator_and_measure_only():
    history = pd.concat([
        _facts(("BIEU_02", "G1.SO_NGUOI", 2018, "actual", 40, "L193:C9"), unit="108"),  # another district
        _facts(("BIEU_02", "G1.SO_NGUOI", 2018, "plan", 40, "L193:C8")),  # the plan, not the actual
        _facts(("BIEU_02", "G1.SO_BUOI", 2018, "actual", 1, "L192:C9")),  # another row
    ])
    current = _facts(("BIEU_02", "G1.SO_NGUOI", 2019, "actual", 500, "L193:C11"))
    assert detect_outliers(current, history) == []


def test_no_history_no_jump():
    current = _facts(("BIEU_02", "G1.SO_NGUOI", 2018, "actual", 34, "L193:C9"),
                     ("BIEU_02", "G1.SO_NGUOI", 2019, "actual", 500, "L193:C11"))
    assert detect_outliers(current, None) == []
    assert detect_outliers(current.iloc[0:0], current) == []


def test_value_outside_its_band():
    current = _facts(("BIEU_02", "G1.SO_BUOI", 2019, "actual", 400, "L192:C11"),
                     ("BIEU_02", "G1.SO_BUOI", None, "actual", 400, "L192:C5"))  # totals are not banded
    (f,) = detect_outliers(current)
    assert (f.rule, f.severity, f.source, f.actual) == ("outlier_band", "warning", "L192:C11", 400)
    assert "0–100" in f.message_vi and "Năm 2019 / Thực hiện" in f.message_vi


def test_examples_hold_against_each_other(seed_bytes):
    """The seed checked against itself a year on: no band is crossed, no year jumps threefold."""
    facts = process_submission(seed_bytes, "seed.txt").facts
    later = facts.assign(year=facts["year"] + 1)
    assert detect_outliers(facts) == []
    assert detect_outliers(later, facts) == []
