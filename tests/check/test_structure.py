"""Tables the catalog does not know: read from any layout and checked from their own structure.

The real texts are tests/fixtures/real (verbatim, sources in README.md); expected.yaml lists what was found by hand.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.check.structure import read_value
from tasks.check.submission import process_submission
from tasks.read.layout import find_tables

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
EXPECTED = yaml.safe_load((REAL / "expected.yaml").read_text(encoding="utf-8"))["files"]
TABLE_TEXTS = ["01_binh_dinh_ra_soat_2022_pipe.txt", "02_bac_giang_giam_ngheo_dot_decimals.txt",
               "03_quang_ngai_nien_giam_2016_ty_le_ho_ngheo.txt", "07_qdnd_12_chi_tieu_2019.txt",
               "08_thua_thien_hue_chi_tieu_2019.txt", "13_bac_giang_chi_tieu_kinh_te_dot_decimals.txt"]
# expected.yaml's kinds that are table checks, and the rules that report them
TABLE_KINDS = {"total": {"structure_sum", "structure_total", "coded_identity", "discovered_identity"},
               "sum": {"structure_sum", "structure_total"}, "ragged_row": {"ragged_row"},
               "non_integer_count": {"non_integer_count"}, "rate": {"rate_mismatch"}}
TABLE_RULES = set().union(*TABLE_KINDS.values())


def _result(name: str):
    return process_submission((REAL / name).read_bytes(), name)


@pytest.mark.parametrize("name", TABLE_TEXTS)
def test_every_table_of_a_real_text_is_read(name):
    result = _result(name)
    assert not [f for f in result.findings if f.rule == "no_tables"]
    assert result.document.tables and len(result.facts) > 0


@pytest.mark.parametrize("name", TABLE_TEXTS)
def test_real_table_inconsistencies_are_found_and_nothing_else(name):
    """Each hand-found table inconsistency (not derived) is a warning or error on one of its lines; every
    table warning or error stands on a line some inconsistency names."""
    result = _result(name)
    flagged = [f for f in result.findings if f.rule in TABLE_RULES and f.severity in ("warning", "error")]
    wanted = [i for i in EXPECTED[name]["inconsistencies"] if i["kind"] in TABLE_KINDS and not i.get("derived")]
    for item in wanted:
        hits = [f for f in flagged if f.rule in TABLE_KINDS[item["kind"]] and f.line in item["lines"]]
        assert hits, f"{name}: not found: {item['description']}"
    allowed = {line for i in wanted for line in i["lines"]}
    assert not [f.message_en for f in flagged if f.line not in allowed]


def test_group_rows_of_the_pipe_table_add_up_and_its_facts_carry_their_cells():
    """01 (Bình Định): I and II equal the sum of their 11 districts in every count column; no finding."""
    result = _result("01_binh_dinh_ra_soat_2022_pipe.txt")
    table = result.document.tables[0]
    assert table.layout == "pipe" and [c.code for c in table.columns] == ["1", "2", "3", "4", "5", "6"]
    assert [r.level for r in table.rows[:2]] == [1, 2]
    poor = result.facts[(result.facts["label"] == "Huyện An Lão") & (result.facts["column"] == "Hộ nghèo")]
    assert poor["value"].tolist() == [477.0, 2836.0] and poor["source"].tolist() == ["L15:C6", "L27:C6"]


def test_dot_decimal_table_reads_412204_00_as_412204():
    result = _result("02_bac_giang_giam_ngheo_dot_decimals.txt")
    assert result.document.tables[0].decimal == "dot"
    first = result.facts[(result.facts["label"] == "Tổng số hộ") & (result.facts["year"] == 2010)]
    assert first["value"].tolist() == [412204.0]


def test_yearbook_table_keeps_a_repeated_year_apart():
    """03: 2015 under two poverty lines is two rows, not one merged."""
    result = _result("03_quang_ngai_nien_giam_2016_ty_le_ho_ngheo.txt")
    rows = result.facts[result.facts["year"] == 2015]
    assert sorted(rows["raw"].tolist()) == sorted(["9,22", "3,51", "10,18", "15,19", "6,25", "16,68"])
    assert [f.rule for f in result.findings if f.rule == "repeated_row_key"] == ["repeated_row_key"]


def test_ranges_and_words_stay_text_never_zero():
    """07: '6,6-6,8', 'Khoảng 4', 'Xuất siêu' are not facts; '7,02' is."""
    result = _result("07_qdnd_12_chi_tieu_2019.txt")
    raws = set(result.facts["raw"])
    assert "7,02" in raws and not raws & {"6,6-6,8", "Khoảng 4", "Xuất siêu", "Dưới 3"}
    assert read_value("7,5-8,0", "comma")[0] is None and read_value("< 7,6", "comma")[0] is None


MADE_UP_TAB = """Made-up example (not a real report): a TAB table with a coded header, a group and a total.
Bảng tổng hợp hộ nghèo
STT\tChỉ tiêu\tĐơn vị tính\tHộ nghèo\tHộ cận nghèo\tTổng
A\tB\tC\t(1)\t(2)\t(3)=(1)+(2)
I\tVùng thấp\thộ\t30\t20\t50
1\tXã A\thộ\t10\t5\t15
2\tXã B\thộ\t20\t15\t36
II\tVùng cao\thộ\t12\t8\t20
1\tXã C\thộ\t12\t8\t20
\tTổng cộng (I+II)\thộ\t43\t28\t70
"""


def test_made_up_tab_table_coded_identity_group_sum_and_total():
    """A coded '(3)=(1)+(2)' broken in one row, a group that misses its rows by one, a total off its groups."""
    result = process_submission(MADE_UP_TAB.encode(), "made_up.txt")
    by_rule = {(f.rule, f.line, f.actual) for f in result.findings if f.rule in TABLE_RULES}
    assert ("coded_identity", 7, 36) in by_rule  # 20 + 15 = 35
    assert ("structure_sum", 5, 50) in by_rule  # 10 + 20 = 30 holds; the (3) column's 50 is not 15 + 36
    assert ("structure_total", 10, 43) in by_rule  # I + II = 30 + 12 = 42
    assert ("coded_identity", 10, 70) in by_rule  # 43 + 28 = 71
    assert len(by_rule) == 4


def test_finder_leaves_prose_alone():
    lines = ["Năm 2019 toàn tỉnh có 6.256 hộ thoát nghèo, đạt 19,84%.", "", "Huyện A giảm 1.204 hộ."]
    assert find_tables(lines) == []
