"""Each reconciliation rule on small inline reports: where it must fire, and where it must not."""
from __future__ import annotations

import pytest

from tasks.check.submission import process_submission

HEADER = (
    "STT\tNội dung\tĐơn vị tính\tTổng số\t\tNăm 2019\t\tNăm 2020\t\tGhi chú\n"
    "\t\t\tKế hoạch\tThực hiện\tKế hoạch\tThực hiện\tKế hoạch\tThực hiện\t\n"
)


def report(body_01: str, *, number="15/BC-UBND", annex_number="15", annex_day="05", refs=("01",), extra="") -> bytes:
    """A minimal report of huyện Tam Đường, Lai Châu, phase 2019-2020, with one Biểu 01."""
    refs_text = "\n".join(f"(Có biểu {r} chi tiết kèm theo)" for r in refs)
    text = (
        f"Số: {number}\n\nTam Đường, ngày 05 tháng 10 năm 2020\n\nBÁO CÁO\n\n"
        "Kết quả thực hiện Chương trình MTQG giảm nghèo bền vững giai đoạn 2019-2020\n\n"
        "Ủy ban Nhân dân huyện Tam Đường, tỉnh Lai Châu báo cáo như sau:\n\n"
        f"III. KẾT QUẢ\n\n1. Nâng cao năng lực\n\n{refs_text}\n{extra}\n"
        "NÂNG CAO NĂNG LỰC CHO CỘNG ĐỒNG VÀ CÁN BỘ CƠ SỞ\n\n"
        f"(Kèm theo Báo cáo số: {annex_number}/BC-UBND ngày {annex_day} tháng 10 năm 2020 của UBND huyện Tam Đường)\n\n"
        "Biểu số 01\n\n" + HEADER + body_01
    )
    return text.encode("utf-8")


GOOD = (
    "1\tNâng cao năng lực cho cộng đồng\t\t\t\t\t\t\t\t\n"
    "-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3\t\n"
    "-\tSố lượng\tNgười\t100\t90\t40\t40\t60\t50\t\n"
    "2\tNâng cao năng lực cho cán bộ cơ sở\t\t\t\t\t\t\t\t\n"
    "-\tSố lớp\tLớp\t2\t2\t1\t1\t1\t1\t\n"
    "-\tSố lượng\tNgười\t30\t30\t10\t10\t20\t20\t\n"
    "\tTổng cộng số lớp = (1+2)\t\t7\t7\t3\t3\t4\t4\t\n"
    "\tTổng cộng số người = (1+2)\t\t130\t120\t50\t50\t80\t70\t\n"
)


def rules_of(result, severity=None):
    return sorted(f.rule for f in result.findings if severity is None or f.severity == severity)


def test_a_consistent_report_has_no_finding():
    result = process_submission(report(GOOD), "good.txt")
    assert result.findings == []
    assert result.status == "ok"
    assert len(result.facts) == 36


def test_total_that_is_not_the_sum_of_its_years_is_an_error_naming_the_cell():
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t6\t5\t2\t2\t3\t3")
    result = process_submission(report(body), "bad.txt")
    errors = [f for f in result.findings if f.severity == "error"]
    assert [(f.rule, f.measure, f.year, f.expected, f.actual) for f in errors] == [
        ("total_equals_sum_of_years", "plan", None, 5, 6),
        ("group_total", "plan", None, 8, 7),  # the (1+2) row still says 7 while 6 + 2 = 8
    ]
    assert errors[0].source == "L26:C4"
    assert "L26" not in errors[0].message_vi and "dòng 26, cột 4" in errors[0].message_vi
    assert "line 26, column 4" in errors[0].message_en


def test_total_within_tolerance_zero_only():
    body = GOOD.replace("\t130\t120\t50\t50\t80\t70", "\t130\t121\t50\t50\t80\t70")
    result = process_submission(report(body), "bad.txt")
    assert rules_of(result, "error") == ["group_total", "total_equals_sum_of_years"]


def test_blank_total_with_years_is_a_warning_with_the_sum():
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t5\t\t2\t2\t3\t3")
    result = process_submission(report(body), "blank.txt")
    warnings = [f for f in result.findings if f.severity == "warning"]
    assert [(f.rule, f.expected) for f in warnings] == [("total_blank", 5)]
    assert rules_of(result, "error") == []  # the (1+2) row holds for the years and the total is simply missing


def test_all_years_blank_skips_the_sum_rule():
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t5\t5\t\t\t\t")
    result = process_submission(report(body), "skip.txt")
    assert "total_equals_sum_of_years" not in rules_of(result)
    assert "total_blank" not in rules_of(result)


def test_blank_year_beside_a_present_one_is_an_unpaired_plan():
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t5\t3\t2\t\t3\t3")
    result = process_submission(report(body), "pair.txt")
    assert "plan_actual_pair" in rules_of(result, "warning")
    assert "total_equals_sum_of_years" not in rules_of(result)  # 3 = 3 over the years present


def test_group_total_uses_the_catalog_formula_per_column():
    body = GOOD.replace("\tTổng cộng số người = (1+2)\t\t130\t120\t50\t50\t80\t70",
                        "\tTổng cộng số người = (1+2)\t\t130\t120\t50\t50\t81\t70")
    result = process_submission(report(body), "g.txt")
    group = [f for f in result.findings if f.rule == "group_total"]
    assert [(f.year, f.measure, f.expected, f.actual) for f in group] == [(2020, "plan", 80, 81)]


def test_annex_stamped_with_another_report_is_an_error():
    result = process_submission(report(GOOD, annex_number="16", annex_day="07"), "a.txt")
    assert rules_of(result, "error") == ["annex_parent"]
    f = result.findings[0]
    assert (f.expected, f.actual) == ("15/BC-UBND (05/10/2020)", "16/BC-UBND (07/10/2020)")


def test_annex_with_the_right_stamp_holds():
    assert "annex_parent" not in rules_of(process_submission(report(GOOD), "a.txt"))


def test_referenced_annex_not_attached_is_an_error_once():
    result = process_submission(report(GOOD, refs=("01", "02", "02")), "m.txt")
    missing = [f for f in result.findings if f.rule == "annex_missing"]
    assert [(f.form, f.severity) for f in missing] == [("BIEU_02", "error")]


def test_unknown_row_is_kept_as_uncatalogued_fact():
    body = GOOD.replace("-\tSố lượng\tNgười\t30\t30", "-\tSố xe máy\tChiếc\t30\t30")
    result = process_submission(report(body), "u.txt")
    assert "uncatalogued_row" in rules_of(result, "warning")
    kept = result.facts[result.facts["label"] == "Số xe máy"]
    assert len(kept) == 6 and kept["indicator"].isna().all()


def test_malformed_number_is_an_error_and_not_a_fact():
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3,0,1")
    result = process_submission(report(body), "mal.txt")
    assert "malformed_number" in rules_of(result, "error")
    assert len(result.facts) == 35


@pytest.mark.parametrize("number_line", ["", "Số: /BC-UBND"])
def test_missing_report_number_is_an_error(number_line):
    data = report(GOOD).replace(b"S\xe1\xbb\x91: 15/BC-UBND", number_line.encode())
    result = process_submission(data, "n.txt")
    assert "metadata_missing" in rules_of(result, "error")


def test_period_coverage_is_info_only_when_years_are_missing():
    result = process_submission(report(GOOD), "p.txt")
    assert "period_coverage" not in rules_of(result)
    short = report(GOOD).replace(b"2019-2020", b"2018-2020")
    result = process_submission(short, "p.txt")
    assert rules_of(result) == ["period_coverage"] and result.status == "ok"


def test_binary_garbage_is_quarantined_with_a_reason():
    result = process_submission(b"\x00\x01\x02garbage\x00", "junk.txt")
    assert result.status == "quarantined"
    assert [f.rule for f in result.findings] == ["unreadable"]
    assert "NUL" in result.reason and result.findings[0].message_vi


def test_a_negative_number_is_one_contract_finding_on_its_cell_in_both_languages():
    # pandera lists a failed check on a whole row once for each of the row's columns: 15 findings for one cell
    body = GOOD.replace("-\tSố lớp\tLớp\t5\t5\t2\t2\t3\t3", "-\tSố lớp\tLớp\t5\t5\t2\t2\t-3\t3")
    result = process_submission(report(body), "neg.txt")
    contract = [f for f in result.findings if f.rule == "contract"]
    assert len(contract) == 1
    (found,) = contract
    assert found.severity == "error" and found.actual == "-3" and found.year == 2020 and found.measure == "plan"
    assert "số liệu của biểu trong danh mục không âm" in found.message_vi
    assert "a catalogued form's number is never negative" in found.message_en
