"""Tables without a 'Biểu' line in Word and Excel files: merged two-row headers, the coded column row, groups.

The files are built here with python-docx and openpyxl from the rows of a real table text,
tests/fixtures/real/01_binh_dinh_ra_soat_2022_pipe.txt (Bình Định, 2022): its 24 data rows verbatim. Only the
header's arrangement over two merged rows ('Tổng cộng', 'Hộ nghèo', 'Hộ cận nghèo' above the six columns) is ours;
the text has one wrapped header row."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tasks.check.submission import process_submission

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "01_binh_dinh_ra_soat_2022_pipe.txt"
TOP = ["TT", "Huyện/thị xã/thành phố", "Tổng cộng", "", "Hộ nghèo", "", "Hộ cận nghèo", ""]
SECOND = ["", "", "Tỷ lệ nghèo đa chiều (%)", "Tổng số hộ nghèo và hộ cận nghèo (Hộ)", "Tỷ lệ hộ nghèo (%)",
          "Hộ nghèo", "Tỷ lệ hộ cận nghèo (%)", "Hộ cận nghèo"]
CODED = ["A", "B", "1", "2", "3", "4", "5", "6"]
STRUCTURE_RULES = {"structure_sum", "structure_total", "coded_identity", "discovered_identity", "rate_mismatch",
                   "ragged_row", "non_integer_count"}


def real_rows() -> list[list[str]]:
    """The 24 district and group rows of the real text (lines 4-27), their cells as written."""
    lines = REAL.read_text(encoding="utf-8").split("\n")[3:27]
    return [[c.strip() for c in line.strip().strip("|").split("|")][:8] for line in lines]


def as_docx(rows: list[list[str]]) -> bytes:
    from docx import Document

    word = Document()
    word.add_paragraph("Kết quả rà soát hộ nghèo, hộ cận nghèo đầu kỳ theo chuẩn nghèo đa chiều giai đoạn 2022-2025")
    table = word.add_table(rows=3 + len(rows), cols=8)
    for r, cells in enumerate([TOP, SECOND, CODED, *rows]):
        for k, text in enumerate(cells):
            if text:
                table.cell(r, k).text = text
    for k in (0, 1):
        table.cell(0, k).merge(table.cell(1, k))
    for k in (2, 4, 6):
        table.cell(0, k).merge(table.cell(0, k + 1))
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue()


def as_xlsx(rows: list[list[str]]) -> bytes:
    """Numbers stored as numbers, as a spreadsheet holds them: '10.618' is 10618, '6,39' is 6.39."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Kết quả rà soát hộ nghèo, hộ cận nghèo đầu kỳ theo chuẩn nghèo đa chiều giai đoạn 2022-2025"
    for r, cells in enumerate([TOP, SECOND, CODED], start=3):
        for k, text in enumerate(cells, start=1):
            sheet.cell(row=r, column=k, value=text or None)
    for k in (1, 2):
        sheet.merge_cells(start_row=3, start_column=k, end_row=4, end_column=k)
    for k in (3, 5, 7):
        sheet.merge_cells(start_row=3, start_column=k, end_row=3, end_column=k + 1)
    for r, cells in enumerate(rows, start=6):
        for k, text in enumerate(cells, start=1):
            value = float(text.replace(".", "").replace(",", ".")) if k > 2 else text
            sheet.cell(row=r, column=k, value=value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_office_table_without_a_bieu_line_is_read_with_its_merged_header_groups_and_codes(fmt):
    data = as_docx(real_rows()) if fmt == "docx" else as_xlsx(real_rows())
    result = process_submission(data, f"binh_dinh_2022.{fmt}")
    assert result.format == fmt
    table = result.document.tables[0]
    assert table.layout == "tab" and [c.code for c in table.columns] == ["1", "2", "3", "4", "5", "6"]
    headers = [c.header for c in table.columns]
    assert "Hộ nghèo" in headers[3] and "Tỷ lệ hộ nghèo (%)" in headers[2] and "Tổng cộng" in headers[0]
    assert [c.role for c in table.columns] == ["rate", "number"] * 3
    assert [(r.order, r.level) for r in table.rows[:2]] == [("I", 1), ("1", 2)]
    # I and II add up their districts in every count column (checked by hand in the fixtures' README)
    assert not [f.message_en for f in result.findings if f.rule in STRUCTURE_RULES and f.severity != "info"]
    poor = result.facts[(result.facts["label"] == "Huyện An Lão") & (result.facts["column"] == headers[3])]
    assert poor["value"].tolist() == [477.0, 2836.0]
    assert poor["source"].tolist() == (["T1:R15:C6", "T1:R27:C6"] if fmt == "docx" else ["Sheet!F17", "Sheet!F29"])


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_office_table_group_that_misses_its_districts_is_found(fmt):
    """The same rows with group I's households made 10.619 (a changed copy, not the real text): one sum finding."""
    rows = real_rows()
    rows[0][3] = "10.619"
    data = as_docx(rows) if fmt == "docx" else as_xlsx(rows)
    result = process_submission(data, f"changed.{fmt}")
    sums = [f for f in result.findings if f.rule == "structure_sum"]
    assert [(f.expected, f.actual) for f in sums] == [(10618, 10619)]
