"""Issue 14's failures, each on a text of the same shape: metadata errors on what is no district submission, a
province's district list filed as its first district's report, the headline's count taken as every rate's base,
and the text's own inconsistencies unseen. Real texts come from tests/fixtures/real/; the made-up ones say so."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.units import province_listed, resolve_unit
from tasks.check.submission import process_submission
from tasks.read.kind import DISTRICT, NEWS, PROVINCE, TABLE, document_kind
from tasks.read.submission import read_document

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def _real(prefix: str):
    path = next(REAL.glob(f"{prefix}_*.txt"))
    return process_submission(path.read_bytes(), path.name)


def _made_up(text: str):
    return process_submission(text.encode("utf-8"), "made_up.txt")


def _raised(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule and f.severity in ("warning", "error")]


# --- kinds of document ---------------------------------------------------------------------------

@pytest.mark.parametrize("prefix, kind", [
    ("01", TABLE), ("02", TABLE), ("03", TABLE), ("13", TABLE),
    ("04", NEWS), ("06", NEWS), ("09", NEWS), ("10", NEWS), ("12", NEWS),
    ("05", PROVINCE), ("17", PROVINCE),
])
def test_the_kind_is_told_from_the_text(prefix, kind):
    assert _real(prefix).document.meta.kind == kind


def test_the_seed_is_a_district_submission_and_keeps_its_metadata_errors(seed_bytes):
    result = process_submission(seed_bytes, "seed.txt")
    assert result.document.meta.kind == DISTRICT
    stripped = seed_bytes.replace("ngày 14 tháng 10 năm 2020".encode(), b"")
    assert "metadata_missing" in [f.rule for f in process_submission(stripped, "s.txt").findings]


def test_a_report_without_its_number_line_is_still_a_district_submission():
    text = ("Made-up example (not a real report).\nỦy ban nhân dân huyện Phong Thổ báo cáo kết quả như sau:\n"
            "Toàn huyện có 17.077 hộ.\n")
    doc = read_document(text.encode(), "d.txt")
    assert document_kind(doc) == DISTRICT
    assert {f.rule for f in _made_up(text).findings} >= {"metadata_missing"}


def test_a_news_summary_gets_one_info_about_metadata_and_no_error():
    result = _real("04")
    metadata = [f for f in result.findings if f.rule.startswith("metadata") or f.rule == "no_tables"]
    assert [(f.rule, f.severity) for f in metadata] == [("metadata_not_required", "info")]


# --- units ---------------------------------------------------------------------------------------

def test_a_province_table_listing_its_districts_is_the_province_document():
    """Failure 3: Bình Định's table was filed as An Lão of Hải Phòng."""
    meta = _real("01").document.meta
    assert (meta.unit_code, meta.province) == (None, "Bình Định")


def test_an_lao_of_binh_dinh_by_the_districts_listed_beside_it():
    text = "Made-up example. Huyện An Lão, thành phố Quy Nhơn, huyện Tuy Phước và huyện Vân Canh."
    assert resolve_unit(text).province == "Bình Định"
    assert province_listed(text) == ("52", "Bình Định")


def test_an_lao_of_hai_phong_by_the_province_named():
    text = "Made-up example. UBND huyện An Lão, thành phố Hải Phòng báo cáo."
    assert resolve_unit(text).province == "Hải Phòng"


def test_one_district_named_is_no_province_list():
    assert province_listed("Made-up example. UBND huyện Phong Thổ, tỉnh Lai Châu.") is None


# --- the base of a rate --------------------------------------------------------------------------

CITY = """Made-up example of the shape of a city's summary (the real text was not found); not a real report.
Thành phố Hòa Nam có 289 hộ nghèo
Theo kết quả rà soát năm 2022, toàn thành phố có 38.577 hộ dân. Số hộ nghèo là 289 hộ, chiếm tỷ lệ {poor}; số hộ cận nghèo là 150 hộ, chiếm tỷ lệ 0,39%.
"""


def test_rates_are_checked_against_the_whole_the_text_names_not_the_headline_count():
    """Failure 4: '0,75 % … but 289 / 289 = 100 %'."""
    assert not _raised(_made_up(CITY.format(poor="0,75%")), "narrative_rate")


def test_a_wrong_rate_against_the_named_whole_is_still_found():
    raised = _raised(_made_up(CITY.format(poor="0,85%")), "narrative_rate")
    assert len(raised) == 1 and "38.577" in raised[0].message_en and "0,75" in raised[0].message_en


def test_two_different_wholes_leave_the_base_ambiguous_and_raise_nothing():
    text = CITY.format(poor="0,85%") + "Năm 2021, tổng số hộ dân là 37.900 hộ.\n"
    assert not _raised(_made_up(text), "narrative_rate")


# --- arithmetic across sentences -----------------------------------------------------------------

def test_regional_figures_that_do_not_add_up_to_the_national_total():
    """Failure 5 (real text 04): 1.057.284 against the stated 1.057.374."""
    raised = _raised(_real("04"), "narrative_list_total")
    assert [(f.line, f.expected, f.actual) for f in raised] == [(4, 1057284, 1057374)]


def test_poor_and_near_poor_is_the_sum_of_its_parts_across_sentences():
    raised = _raised(_real("04"), "narrative_combined")
    assert sorted((f.expected, f.actual) for f in raised) == [
        (169476, 169566), (236647, 236766), (1972648, 1972767)]


def test_a_rate_that_does_not_match_its_count_over_the_base_the_total_implies():
    raised = _raised(_real("09"), "narrative_base")
    assert len(raised) == 1 and "358" in raised[0].message_en and "0,46%" in raised[0].message_en


def test_rates_of_the_parts_add_up_to_the_total_rate_within_rounding():
    raised = _raised(_real("09"), "narrative_rate_sum")
    assert [(f.expected, f.actual) for f in raised] == [(1.49, 1.39)]


def test_a_stated_ordering_the_numbers_contradict():
    raised = _raised(_real("10"), "narrative_order")
    assert len(raised) == 1 and "16,85%" in raised[0].message_en and "15,86%" in raised[0].message_en


PROVINCE_LIST = """Made-up example of a province's list under a stated total; not a real report.
Năm 2023 toàn tỉnh có 4.210 hộ nghèo, chiếm tỷ lệ {rate}, trong đó huyện A 12,5% với 1.204 hộ; huyện B 8,1% với 1.500 hộ; huyện C 5,2% với {c} hộ.
"""


def test_a_parallel_list_under_a_stated_total_adds_up():
    assert not _raised(_made_up(PROVINCE_LIST.format(rate="5,1%", c="1.506")), "narrative_list_total")
    raised = _raised(_made_up(PROVINCE_LIST.format(rate="5,1%", c="1.406")), "narrative_list_total")
    assert [(f.expected, f.actual) for f in raised] == [(4110, 4210)]


def test_district_rates_are_not_added_up_as_shares_of_the_province():
    result = _made_up(PROVINCE_LIST.format(rate="5,1%", c="1.506"))
    assert not _raised(result, "narrative_rate_sum") and not _raised(result, "narrative_base")


def test_ha_tinh_in_a_list_of_provinces_names_no_other_province():
    """'… như Hà Tĩnh, Hòa Bình' (real text 16) named Hòa Bình as 'tỉnh Hòa Bình'."""
    assert _real("16").document.meta.province is None


def test_every_format_of_the_seed_is_a_district_submission():
    formats = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
    for name in ("seed.csv", "seed.docx", "seed.xlsx", "seed_stacked.xlsx", "seed_tcvn3.txt"):
        assert read_document((formats / name).read_bytes(), name).meta.kind == DISTRICT, name
