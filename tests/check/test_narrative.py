"""Narrative cross-checks: golden findings 6–14 of the seed, a labelled corpus of sentences, linking rules."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

from tasks.check.narrative import check_narrative
from tasks.check.submission import process_submission
from tasks.read.submission import read_document
from tasks.read.text import read_text
from tasks.check.tabulate import tabulate

ROOT = Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((ROOT / "tests" / "fixtures" / "narrative_sentences.yaml").read_text(encoding="utf-8"))
NARRATIVE_RULES = {"narrative_figure", "narrative_malformed_number", "narrative_sum", "narrative_list_count",
                   "narrative_rate", "narrative_shares_over", "narrative_shares_rest"}


def _check(data: bytes):
    doc = read_document(data, "t.txt")
    cells, _ = tabulate(doc)
    return doc, *check_narrative(doc, cells)


@pytest.fixture(scope="module")
def seed(seed_bytes):
    return _check(seed_bytes)


def test_seed_narrative_findings_are_exactly_6_to_14(seed):
    _, _, findings = seed
    got = sorted((f.severity, f.rule, f.line, f.expected, f.actual) for f in findings)
    assert got == sorted([
        ("error", "narrative_figure", 75, 9, 11),  # 6: 11 sessions vs Biểu 02's 9
        ("warning", "narrative_malformed_number", 17, None, "102,924,5"),  # 10
        ("warning", "narrative_rate", 17, 25.07, 25.64),  # 8
        ("warning", "narrative_rate", 17, 20.10, 20.56),  # 8
        ("warning", "narrative_rate", 17, 91.72, 91.3),  # 9
        ("info", "narrative_shares_rest", 17, 100, 99.13),  # 14
    ])


def test_sessions_error_cites_the_sentence_and_the_cell(seed):
    _, _, findings = seed
    (f,) = [f for f in findings if f.rule == "narrative_figure"]
    assert (f.form, f.indicator, f.year, f.measure, f.source) == ("BIEU_02", "G1.SO_BUOI", None, "actual", "L192:C5")
    assert "dòng 75" in f.message_vi and "11 buổi nói chuyện chuyên đề" in f.message_vi
    assert "dòng 192, cột 5" in f.message_vi and "cộng các năm được 9" in f.message_vi
    assert "line 75" in f.message_en and "line 192, column 5" in f.message_en


def test_rates_say_the_base_they_imply_and_that_they_agree(seed):
    _, _, findings = seed
    rates = {f.actual: f for f in findings if f.rule == "narrative_rate"}
    poor, near_poor, minority = rates[25.64], rates[20.56], rates[91.3]
    assert "4.281 / 17.077 hộ (dòng 17) = 25,07%" in poor.message_vi
    assert "khoảng 16.697 hộ" in poor.message_vi and "16.695 hộ" in poor.message_vi
    assert "3.432 / 17.077 hộ (dòng 17) = 20,10%" in near_poor.message_vi
    assert "about 16.695 households: the rates agree with each other, not with 17.077" in near_poor.message_en
    assert "74.996 / 81.770 nhân khẩu (dòng 17) = 91,72%" in minority.message_vi
    assert "16.695" not in minority.message_vi  # a single rate: no agreement remark


def test_malformed_area_suggests_the_number(seed):
    _, _, findings = seed
    (f,) = [f for f in findings if f.rule == "narrative_malformed_number"]
    assert "'102,924,5 ha'" in f.message_vi and "102.924,5 ha" in f.message_vi


def test_facts_that_hold_link_or_are_read(seed):
    doc, figures, _ = seed
    by = {(f.line, f.raw): f for f in figures}
    people = by[(53, "1.886")]
    assert (people.indicator, people.cell_source, people.cell_value) == ("TONG_SO_NGUOI", "L179:C5", 1886)
    assert doc.blocks[[b.line for b in doc.blocks].index(53)].text[people.start:people.end] == "1.886"
    attendance = by[(75, "840")]
    assert (attendance.indicator, attendance.cell_value, attendance.cell_derived) == ("G1.SO_NGUOI", 840, True)
    assert by[(55, "11")].indicator is None  # "11 người đi tham quan" is not Biểu 02's attendance
    assert (by[(101, "58")].unit, by[(101, "58")].year) == ("chiếc", 2020)
    assert by[(17, "102,924,5")].kind == "malformed"
    assert not any(f.raw in ("14", "10") and f.line == 5 for f in figures)  # the date is not a figure


def test_process_submission_keeps_findings_1_to_5_and_adds_6_to_14(seed_bytes):
    result = process_submission(seed_bytes, "seed.txt")
    rules = sorted(f.rule for f in result.findings)
    assert rules == sorted([
        "annex_parent", "annex_missing", "total_blank", "total_blank", "period_coverage",
        "narrative_figure", "narrative_malformed_number", "narrative_rate", "narrative_rate", "narrative_rate",
        "narrative_shares_rest",
    ])
    assert len(result.figures) >= 35 and result.status == "flagged"


@pytest.mark.parametrize("name, expected", [
    ("sin_ho_2020.txt", [("error", "narrative_figure", 37, 20, 21)]),  # the planted 21 vs 20 sessions
    ("tam_duong_2020.txt", []),
])
def test_examples(name, expected):
    _, _, findings = _check((ROOT / "examples" / "inbox" / name).read_bytes())
    assert [(f.severity, f.rule, f.line, f.expected, f.actual) for f in findings] == expected


def test_a_single_year_in_the_sentence_links_to_that_year(seed_bytes):
    text = seed_bytes.decode("utf-8")
    holds = text.replace("Tổ chức 11 buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo với 840",
                         "Năm 2018, tổ chức 5 buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo với 340")
    _, figures, findings = _check(holds.encode())
    assert not [f for f in findings if f.rule == "narrative_figure"]
    assert {(f.raw, f.cell_source) for f in figures if f.indicator} >= {("5", "L192:C9"), ("340", "L193:C9")}
    fails = holds.replace("tổ chức 5 buổi", "tổ chức 6 buổi")
    _, _, findings = _check(fails.encode())
    (f,) = [f for f in findings if f.rule == "narrative_figure"]
    assert (f.source, f.year, f.expected, f.actual) == ("L192:C9", 2018, 5, 6)
    assert "Năm 2018 / Thực hiện" in f.message_vi


def test_a_linked_figure_without_its_table_is_only_recorded(seed_bytes):
    doc = read_document(seed_bytes, "seed.txt")
    figures, findings = check_narrative(doc, None)
    assert not [f for f in findings if f.rule == "narrative_figure"]
    assert [f.indicator for f in figures if f.line == 75] == ["G1.SO_BUOI", "G1.SO_NGUOI"]


@pytest.mark.parametrize("case", CORPUS["sentences"], ids=lambda c: c["id"])
def test_corpus(case):
    doc = read_text(case["text"], source="corpus.txt", sha256="0" * 64, encoding="utf-8")
    _, findings = check_narrative(doc, None)
    loud = [f for f in findings if f.severity in ("warning", "error")]
    infos = {f.rule for f in findings if f.severity == "info"}
    assert infos <= ({case["info"]} if case.get("info") else set()), [f.message_en for f in findings]
    if case["expect"] == "holds":
        assert not loud, [f.message_en for f in loud]
        if case.get("info"):
            assert case["info"] in infos
    else:
        assert loud and {f.rule for f in loud} == {case["rule"]}, [f.message_en for f in loud]
        assert all(f.line and f.message_vi and f.message_en for f in loud)


def test_corpus_is_large_and_balanced():
    labels = [c["expect"] for c in CORPUS["sentences"]]
    assert len(labels) >= 25 and labels.count("holds") >= 15 and labels.count("fails") >= 8


def test_planning_words_link_to_the_plan_column(seed_bytes):
    text = seed_bytes.decode("utf-8")
    holds = text.replace("Tổ chức 11 buổi", "Kế hoạch tổ chức 9 buổi")
    _, figures, findings = _check(holds.encode())
    assert not [f for f in findings if f.rule == "narrative_figure"]
    (sessions,) = [f for f in figures if f.indicator == "G1.SO_BUOI"]
    assert (sessions.measure, sessions.cell_source, sessions.cell_value) == ("plan", "L192:C4", 9)
    _, _, findings = _check(text.replace("Tổ chức 11 buổi", "Kế hoạch tổ chức 10 buổi").encode())
    (f,) = [f for f in findings if f.rule == "narrative_figure"]
    assert (f.source, f.measure, f.expected, f.actual) == ("L192:C4", "plan", 9, 10)


WORDS = ["Toàn huyện có", "hộ", "nhân khẩu", "người", "chiếm", "chiếm tỷ lệ", "trong đó", "Trong đó có", "xã",
         "xã khu vực III", "xã, thị trấn khu vực II", "buổi nói chuyện chuyên đề", "người tham gia", ":", ",",
         ".", ";", " và ", "%", "năm", "Năm 2019", "Sin Suối Hồ", "0", "00", "1.886", "102,924,5", "25,64%", "0%",
         "1.", "-", "/", "17.077", "4.281", "9"]


@given(st.lists(st.sampled_from(WORDS) | st.from_regex(r"[0-9][0-9.,]{0,8}%?", fullmatch=True), max_size=40))
@settings(max_examples=100, deadline=None)
def test_no_text_makes_the_narrative_checks_raise(words):
    doc = read_text(" ".join(words), source="fuzz.txt", sha256="0" * 64, encoding="utf-8")
    figures, findings = check_narrative(doc, None)
    assert all(f.message_vi and f.message_en for f in findings)
    assert all(0 <= f.start < f.end for f in figures)


@pytest.mark.parametrize("sentence, year, linked", [
    ("Từ năm 2016-2020 cử 1.886 lượt người tham gia các lớp tập huấn.", None, True),
    ("Từ năm 2017 đến năm 2020 cử 1.886 lượt người tham gia các lớp tập huấn.", None, True),
    ("Năm 2020 cử 504 lượt người tham gia các lớp tập huấn.", 2020, True),
    ("Năm 2019 so với năm 2018 tăng 50 lượt người tham gia các lớp tập huấn.", None, False),
    ("Tính đến 31/12/2019, cử 1.886 lượt người tham gia các lớp tập huấn.", None, True),
])
def test_the_years_of_a_sentence_choose_the_column(seed_bytes, sentence, year, linked):
    text = seed_bytes.decode("utf-8").replace(
        "Kinh phí thực hiện không phân bổ về huyện, tuy nhiên từ năm 2016-2020 UBND huyện Phong Thổ đã phối với "
        "Ban Dân tộc tỉnh cử 1.886 lượt người tham gia các lớp tập huấn cán bộ xã và tập huấn nâng cao năng lực cho "
        "cộng đồng cấp thôn, bản.", sentence)
    _, figures, findings = _check(text.encode())
    (fig,) = [f for f in figures if f.line == 53]
    assert (fig.year, fig.indicator is not None) == (year, linked)
    assert not [f for f in findings if f.rule == "narrative_figure" and f.line == 53]
