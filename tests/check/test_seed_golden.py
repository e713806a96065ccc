"""Golden test on the seed: the numbers of ../shared/seed/EXPECTED.md, checked by hand."""
from __future__ import annotations

from datetime import date

import pytest

from tasks.check.submission import process_submission

# Biểu 01 (EXPECTED.md): indicator -> (total, 2017, 2018, 2019, 2020), plan = actual everywhere
BIEU_01 = {
    "G1.SO_LOP": (30, 6, 8, 8, 8),
    "G1.SO_NGUOI": (1568, 304, 417, 379, 468),
    "G2.SO_LOP": (4, 1, 1, 1, 1),
    "G2.SO_NGUOI": (318, 84, 108, 90, 36),
    "TONG_SO_LOP": (34, 7, 9, 9, 9),
    "TONG_SO_NGUOI": (1886, 388, 525, 469, 504),
}
YEARS = (None, 2017, 2018, 2019, 2020)
# Biểu 02: (indicator, year, measure) -> value; blanks are not facts
BIEU_02 = {
    ("G1.SO_BUOI", None, "plan"): 9,
    ("G1.SO_BUOI", 2018, "plan"): 5, ("G1.SO_BUOI", 2018, "actual"): 5,
    ("G1.SO_BUOI", 2019, "plan"): 4, ("G1.SO_BUOI", 2019, "actual"): 4,
    ("G1.SO_NGUOI", None, "plan"): 840,
    ("G1.SO_NGUOI", 2018, "plan"): 340, ("G1.SO_NGUOI", 2018, "actual"): 340,
    ("G1.SO_NGUOI", 2019, "plan"): 500, ("G1.SO_NGUOI", 2019, "actual"): 500,
}


@pytest.fixture(scope="module")
def seed(seed_bytes):
    return process_submission(seed_bytes, "000_7690d259663c1765.txt")


def _facts(result, form):
    f = result.facts[result.facts["form"] == form]
    return {
        (r.indicator, None if r.year is None or r.year != r.year else int(r.year), r.measure): r.value
        for r in f.astype(object).where(f.notna(), None).itertuples()
    }


def test_report_metadata(seed):
    m = seed.document.meta
    assert (m.number, m.date, m.unit_name, m.unit_code, m.province, m.province_code) == (
        "2049/BC-UBND", date(2020, 10, 14), "Phong Thổ", "109", "Lai Châu", "12")
    assert (m.period, m.period_start, m.period_end, m.program) == ("2016-2020", 2016, 2020, "GNBV")
    assert m.issuer == "UBND huyện Phong Thổ"
    assert [r[0] for r in m.annex_refs] == ["01", "02", "03"]
    assert seed.format == "text" and seed.encoding == "utf-8"


def test_seventy_facts(seed):
    assert len(seed.facts) == 70
    assert seed.facts.groupby("form").size().to_dict() == {"BIEU_01": 60, "BIEU_02": 10}
    assert seed.facts["kind"].eq("number").all()


def test_bieu_01_values(seed):
    got = _facts(seed, "BIEU_01")
    expected = {
        (ind, year, measure): value
        for ind, values in BIEU_01.items()
        for year, value in zip(YEARS, values)
        for measure in ("plan", "actual")
    }
    assert got == expected


def test_bieu_02_values_blank_is_not_a_fact(seed):
    assert _facts(seed, "BIEU_02") == BIEU_02


def test_every_fact_keeps_its_source(seed):
    f = seed.facts
    assert f["source"].str.match(r"^L\d+:C\d+$").all()
    row = f[(f["indicator"] == "TONG_SO_NGUOI") & f["year"].isna() & (f["measure"] == "actual")].iloc[0]
    assert (row["source"], row["column"], row["raw"], row["label"]) == (
        "L179:C5", "Tổng số / Thực hiện", "1.886", "Tổng cộng số người = (1+2)")
    typo = f[f["indicator"] == "G1.SO_LOP"]
    assert (typo["group"] == "1").all()


def test_group_label_typo_matches_with_its_score(seed):
    # "công đồng" in the file for "cộng đồng": matched, and the score says it was not exact
    group1 = seed.document.tables[0].rows[0].cells[1].text
    assert group1 == "Nâng cao năng lực cho công đồng"
    assert not [f for f in seed.findings if f.rule == "uncatalogued_row"]


def test_exactly_findings_one_to_five(seed):
    """EXPECTED.md 1-5: the table-level findings (6-14 are the narrative's, see test_narrative.py)."""
    got = sorted((f.severity, f.rule, f.form, f.label, f.year, f.measure, f.expected, f.actual)
                 for f in seed.findings if not f.rule.startswith("narrative_"))
    assert got == sorted([
        ("error", "annex_parent", "BIEU_02", None, None, None, "2049/BC-UBND (14/10/2020)", "2043/BC-UBND (18/10/2020)"),
        ("error", "annex_missing", "BIEU_03", None, None, None, "Biểu 03", None),
        ("warning", "total_blank", "BIEU_02", "Số buổi", None, "actual", 9, None),
        ("warning", "total_blank", "BIEU_02", "Số người tham gia", None, "actual", 840, None),
        ("info", "period_coverage", None, None, None, None, "2016-2020", "2017–2020"),
    ])
    assert seed.status == "flagged"


def test_all_fourteen_expected_items_and_nothing_else(seed):
    from collections import Counter

    assert Counter((f.severity, f.rule) for f in seed.findings) == Counter({
        ("error", "annex_parent"): 1,                 # 1
        ("error", "annex_missing"): 1,                # 2
        ("warning", "total_blank"): 2,                # 3
        ("info", "period_coverage"): 1,               # 4
        ("error", "narrative_figure"): 1,             # 6: 11 sessions vs 9
        ("warning", "narrative_rate"): 3,             # 8 (two rates) and 9 (minority share)
        ("warning", "narrative_malformed_number"): 1,  # 10
        ("info", "narrative_shares_rest"): 1,         # 14
    })


def test_findings_say_where_and_how_in_both_languages(seed):
    blank = next(f for f in seed.findings if f.rule == "total_blank" and f.label == "Số buổi")
    assert blank.source == "L192:C5"
    assert "dòng 192, cột 5" in blank.message_vi and "Điền 9" in blank.message_vi
    assert "line 192, column 5" in blank.message_en and "Fill in 9" in blank.message_en
    missing = next(f for f in seed.findings if f.rule == "annex_missing")
    assert "III.3" in missing.message_vi and "Biểu 03" in missing.message_en


def test_one_changed_cell_breaks_the_row_total_and_the_group_total(seed_bytes):
    changed = seed_bytes.replace("1.568\t1.568\t304\t304\t417\t417".encode(), "1.568\t1.568\t304\t304\t417\t471".encode())
    assert changed != seed_bytes
    result = process_submission(changed, "changed.txt")
    new = sorted(
        (f.rule, f.label, f.year, f.measure, f.expected, f.actual, f.source)
        for f in result.findings if f.rule in ("group_total", "total_equals_sum_of_years")
    )
    assert new == [
        ("group_total", "Tổng cộng số người = (1+2)", 2018, "actual", 579, 525, "L179:C9"),
        ("total_equals_sum_of_years", "Số lượng", None, "actual", 1622, 1568, "L174:C5"),
    ]
    for f in result.findings:
        if f.rule in ("group_total", "total_equals_sum_of_years"):
            assert f.source.replace("L", "dòng ").split(":")[0] in f.message_vi
