"""Read an Excel .xlsx (openpyxl, read-only): every sheet top to bottom, one form per sheet or several stacked.

A merged cell holds its text in its top-left cell only, which is how the text reader expects a two-level
header ("Tổng số" then an empty cell). Numbers stored as numbers keep the stored value on the cell
(Cell.stored), so a count typed "1.568" on an English-locale machine (stored 1.568) is caught by
tabulate instead of being rounded here. Sources are "'Biểu 01'!H12".
"""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from contracts.document import Document
from tasks.read.encodings import repair_font_text
from tasks.read.grid import Grid, GridCell, read_grid
from contracts.vietnamese import nfc
from contracts.vietnamese import format_number
from tasks.read.text import _FORM_LINE

_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def read_xlsx(data: bytes, *, source: str, sha256: str, fmt: str = "xlsx") -> Document:
    """All sheets rendered as the text reader's lines, each cell keeping its A1 reference."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [(ws.title, [[_as_written(c) for c in r] for r in ws.iter_rows(min_row=1, min_col=1)])
                  for ws in book.worksheets if ws.sheet_state == "visible"]
    finally:
        book.close()
    strings = [v for _, rows in sheets for r in rows for v in r if isinstance(v, str)]
    _, font = repair_font_text("\n".join(strings))
    grid = Grid()
    for title, rows in sheets:
        _render_sheet(grid, title, rows, font)
    return read_grid(grid, source=source, sha256=sha256, fmt=fmt, encoding=f"utf-8 ({font})" if font else "utf-8")


def _as_written(cell):
    """A cell's value; a number shown as a percentage becomes the text a writer sees ("25,64%")."""
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (getattr(cell, "number_format", "") or ""):
        return vietnamese_number(round(float(value) * 100, 10)) + "%"
    return value


def sheet_ref(title: str, column: int, row: int) -> str:
    """'Sheet1!H12', or "'Biểu 01'!H12" when the sheet's name needs quoting."""
    from openpyxl.utils import get_column_letter

    name = title if _PLAIN_SHEET.match(title) else "'" + title.replace("'", "''") + "'"
    return f"{name}!{get_column_letter(column)}{row}"


def _render_sheet(grid: Grid, title: str, rows: list[list], font: str | None) -> None:
    grid.add_line("")
    in_table, blank_run = False, 0
    width = max((len(r) for r in rows), default=0)
    for r_no, values in enumerate(rows, start=1):
        cells = [_cell_text(v, font) for v in values] + [("", None)] * (width - len(values))
        filled = [(k, text) for k, (text, _) in enumerate(cells, start=1) if text.strip()]
        if not filled:
            grid.add_line("")
            blank_run += 1
            in_table = in_table and blank_run < 2
            continue
        blank_run = 0
        if len(filled) == 1:
            k, text = filled[0]
            if _FORM_LINE.match(text):
                grid.add_line(text, ref=sheet_ref(title, k, r_no))
                in_table = False
                continue
            if not (in_table and k <= 3):
                grid.add_line(text)
                continue
        if len(filled) >= 3:
            if not in_table:
                grid.settle_form_line()
            in_table = True
        grid.add_row(
            [GridCell(text, sheet_ref(title, k, r_no), stored) for k, (text, stored) in enumerate(cells, start=1)],
            row_ref=f"{sheet_ref(title, 1, r_no).rsplit('!', 1)[0]}!{r_no}",
        )


def _cell_text(value, font: str | None) -> tuple[str, float | None]:
    """(text as a Vietnamese writer would show it, the number the cell stored)."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return str(value).upper(), None
    if isinstance(value, (int, float)):
        number = float(value)
        return vietnamese_number(number), number
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y"), None
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y"), None
    text = nfc(str(value)).strip()
    return (repair_font_text(text)[0] if font else text), None


def vietnamese_number(value: float) -> str:
    """A stored number written the Vietnamese way at full precision: 1568 -> '1.568', 1.568 -> '1,568'."""
    return format_number(value, decimals=None)
