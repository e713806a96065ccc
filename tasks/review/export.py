"""Export the province's Biểu tổng hợp: one sheet per form, one row block per district, the province total as formulas."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, text

from config.units import display_name
from contracts.cells import formula_like

FIRST_VALUE_COLUMN = 4  # A STT, B Nội dung, C Đơn vị tính, then Tổng số and the years
HEADER_ROW = 5
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")


@dataclass
class Consolidation:
    """What an export wrote: per form, where each province total stands (form, indicator, year, measure) -> "E9"."""

    path: Path
    period: str
    province_code: str
    districts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    total_cells: dict[str, dict[tuple, str]] = field(default_factory=dict)


def put_text(cell: Cell, value: str | None) -> Cell:
    """Write text that stays text: a label starting with "=" is never read as a formula."""
    cell.value = value
    if isinstance(value, str) and formula_like(value):
        cell.data_type = "s"
    return cell


def _rows(conn, sql: str, **params) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def read_consolidation(engine: Engine, period: str, province_code: str) -> dict:
    """Everything the workbook shows, from the warehouse: reports, their facts, the catalog rows, the province."""
    with engine.connect() as conn:
        province = _rows(conn, "SELECT name FROM reporting_units WHERE code = :p", p=province_code)
        reports = _rows(conn, """
            SELECT r.submission_id, r.unit_code, r.unit_name, r.program, r.report_number, r.report_date, u.kind
            FROM latest_reports r LEFT JOIN reporting_units u ON u.code = r.unit_code
            WHERE r.province_code = :p AND r.period = :period ORDER BY r.unit_code""", p=province_code, period=period)
        facts = _rows(conn, """
            SELECT f.submission_id, f.form, f.indicator, f.year, f.measure, f.value
            FROM facts f JOIN latest_reports r ON r.submission_id = f.submission_id
            WHERE r.province_code = :p AND r.period = :period AND f.indicator IS NOT NULL""",
                      p=province_code, period=period)
        forms = _rows(conn, "SELECT code, number, title, program FROM forms ORDER BY code")
        indicators = _rows(conn, "SELECT form, code, position, kind, group_no, label, unit, sum_of FROM indicators "
                                 "ORDER BY form, position")
        expected = _rows(conn, "SELECT unit_code, unit_name FROM completeness WHERE province_code = :p "
                               "AND period = :period AND received = 0 ORDER BY unit_code", p=province_code, period=period)
    return {"province": province[0]["name"] if province else province_code, "reports": reports, "facts": facts,
            "forms": forms, "indicators": indicators, "missing": expected}


def _day(value) -> str:
    """dd/mm/yyyy from a date (PostgreSQL) or its ISO text (SQLite)."""
    return (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).strftime("%d/%m/%Y")


def _total_label(row: dict, groups: dict[str, str]) -> str:
    """'Tổng cộng số lớp = (1+2)': the groups a total row adds, as the district forms write it."""
    numbers = sorted({groups[code.split(".")[0]] for code in (row["sum_of"] or "").split(",") if code
                      and code.split(".")[0] in groups})
    return f"{row['label']} = ({'+'.join(numbers)})" if numbers else row["label"]


def export_consolidation(engine: Engine, period: str, out: Path, province_code: str) -> Consolidation:
    """Write the Biểu tổng hợp of a province for a period; province totals are =SUM() formulas over the districts."""
    data = read_consolidation(engine, period, province_code)
    result = Consolidation(path=out, period=period, province_code=province_code,
                           districts=[r["unit_name"] for r in data["reports"]],
                           missing=[m["unit_name"] for m in data["missing"]])
    values: dict[tuple, float] = {}
    years_of: dict[str, set[int]] = defaultdict(set)
    for f in data["facts"]:
        if f["value"] is not None:
            values[(f["submission_id"], f["form"], f["indicator"], f["year"], f["measure"])] = float(f["value"])
        if f["year"] is not None:
            years_of[f["form"]].add(int(f["year"]))
    forms_with_facts = {f["form"] for f in data["facts"]}
    book = Workbook()
    book.remove(book.active)
    for form in data["forms"]:
        if form["code"] not in forms_with_facts:
            continue
        rows = [i for i in data["indicators"] if i["form"] == form["code"]]
        reports = [r for r in data["reports"] if form["program"] in (None, r["program"])]
        sheet = book.create_sheet(f"Biểu {form['number']}")
        result.total_cells[form["code"]] = _write_form(
            sheet, form, rows, sorted(years_of[form["code"]]), reports, values, data["province"], period,
            result.missing)
    if not book.sheetnames:
        put_text(book.create_sheet("Biểu tổng hợp")["A1"],
                 f"Không có báo cáo nào của tỉnh {data['province']} cho giai đoạn {period}.")
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return result


def _write_form(sheet, form: dict, rows: list[dict], years: list[int], reports: list[dict],
                values: dict[tuple, float], province: str, period: str, missing: list[str]) -> dict[tuple, str]:
    columns = [(None, "plan"), (None, "actual")] + [(y, m) for y in years for m in ("plan", "actual")]
    last_col = FIRST_VALUE_COLUMN + len(columns)  # Ghi chú
    put_text(sheet.cell(1, 1), f"BIỂU TỔNG HỢP SỐ {form['number']}").font = BOLD
    put_text(sheet.cell(2, 1), form["title"].upper()).font = BOLD
    put_text(sheet.cell(3, 1), f"Tỉnh {province}, giai đoạn {period}: tổng hợp {len(reports)} báo cáo của các huyện"
             + (f"; chưa báo cáo: {', '.join(missing)}" if missing else ""))
    for row in (1, 2, 3):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center")
    _write_header(sheet, years, last_col)
    groups = {r["code"]: r["group_no"] for r in rows if r["kind"] == "group"}
    blocks = [("TỔNG CỘNG TOÀN TỈNH", None)] + [
        (f"{display_name(r['kind'], r['unit_name'])} (mã {r['unit_code']}): báo cáo số {r['report_number'] or '?'}"
         + (f" ngày {_day(r['report_date'])}" if r["report_date"] else ""), r)
        for r in reports
    ]
    # lay out every block first, so the province block can point at the district rows below it
    row_no = HEADER_ROW + 2
    starts = []
    for _ in blocks:
        starts.append(row_no)
        row_no += 1 + len(rows)
    cell_row = {(b, r["code"]): starts[b] + 1 + k for b in range(len(blocks)) for k, r in enumerate(rows)}
    total_cells: dict[tuple, str] = {}
    for b, (title, report) in enumerate(blocks):
        put_text(sheet.cell(starts[b], 1), ROMAN[b] if b < len(ROMAN) else str(b)).font = BOLD
        put_text(sheet.cell(starts[b], 2), title).font = BOLD
        sheet.merge_cells(start_row=starts[b], start_column=2, end_row=starts[b], end_column=last_col)
        for k, ind in enumerate(rows):
            r = cell_row[(b, ind["code"])]
            stt = ind["group_no"] if ind["kind"] == "group" else "-" if ind["kind"] == "item" else ""
            label = _total_label(ind, groups) if ind["kind"] == "total" else ind["label"]
            put_text(sheet.cell(r, 1), stt)
            put_text(sheet.cell(r, 2), label).font = BOLD if ind["kind"] != "item" else Font()
            put_text(sheet.cell(r, 3), ind["unit"])
            if ind["kind"] == "group":
                continue
            for c, (year, measure) in enumerate(columns):
                cell = sheet.cell(r, FIRST_VALUE_COLUMN + c)
                cell.number_format = "#,##0.##"
                key = (form["code"], ind["code"], year, measure)
                if report is not None:
                    cell.value = values.get((report["submission_id"], *key))
                    continue
                parts = [f"{get_column_letter(cell.column)}{cell_row[(d, ind['code'])]}"
                         for d in range(1, len(blocks)) if (blocks[d][1]["submission_id"], *key) in values]
                if parts:
                    cell.value = f"=SUM({','.join(parts)})"
                    total_cells[key] = cell.coordinate
    for row in sheet.iter_rows(min_row=HEADER_ROW, max_row=row_no - 1, max_col=last_col):
        for cell in row:
            cell.border = BOX
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 48
    sheet.column_dimensions["C"].width = 10
    for c in range(FIRST_VALUE_COLUMN, last_col + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 11
    sheet.freeze_panes = f"{get_column_letter(FIRST_VALUE_COLUMN)}{HEADER_ROW + 2}"
    return total_cells


def _write_header(sheet, years: list[int], last_col: int) -> None:
    """The district forms' two-level header: Tổng số and each year over Kế hoạch / Thực hiện."""
    top, sub = HEADER_ROW, HEADER_ROW + 1
    for col, label in ((1, "STT"), (2, "Nội dung"), (3, "Đơn vị tính"), (last_col, "Ghi chú")):
        put_text(sheet.cell(top, col), label)
        sheet.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
    for k, label in enumerate(["Tổng số"] + [f"Năm {y}" for y in years]):
        col = FIRST_VALUE_COLUMN + 2 * k
        put_text(sheet.cell(top, col), label)
        sheet.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 1)
        put_text(sheet.cell(sub, col), "Kế hoạch")
        put_text(sheet.cell(sub, col + 1), "Thực hiện")
    for row in (top, sub):
        for col in range(1, last_col + 1):
            sheet.cell(row, col).font = BOLD
            sheet.cell(row, col).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
