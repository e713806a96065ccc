"""Read a Word .docx: paragraphs for metadata and narrative, tables for the annexes (python-docx).

Merged cells come back from python-docx repeated (the same cell under every grid column it spans, and
under every row of a vertical merge); the repeats are blanked so the two-level header reads as the text
reader expects ("Tổng số" then an empty cell). Sources are "T2:R5:C9": table 2, row 5, grid column 9.
"""
from __future__ import annotations

import io

from contracts.document import Document
from tasks.read.encodings import repair_font_text
from tasks.read.grid import Grid, GridCell, read_grid
from tasks.read.text import _FORM_LINE


def read_docx(data: bytes, *, source: str, sha256: str) -> Document:
    """Every paragraph and table of the body, in order, read as the text reader reads the seed."""
    from docx import Document as open_docx
    from docx.table import Table as DocxTable

    word = open_docx(io.BytesIO(data))
    items: list[tuple[str, object]] = []
    for block in word.iter_inner_content():
        if isinstance(block, DocxTable):
            items.append(("table", _table_rows(block)))
        else:
            items.append(("p", block.text))
    texts = [t for kind, t in items if kind == "p"] + [c for kind, rows in items if kind == "table" for r in rows for c in r]
    _, font = repair_font_text("\n".join(texts))
    grid = Grid()
    t_no = 0
    for kind, content in items:
        if kind == "p":
            grid.add_line(_fix(content, font))
            continue
        t_no += 1
        rows: list[list[str]] = content
        body = 0
        for r_no, row in enumerate(rows, start=1):
            filled = [c for c in row if c.strip()]
            if body == 0 and len(filled) == 1 and len(set(row)) <= 2:
                grid.add_line(_fix(filled[0], font))  # a title row merged across the table
                continue
            if body == 0:
                grid.settle_form_line()
            body += 1
            grid.add_row([GridCell(_fix(c, font), f"T{t_no}:R{r_no}:C{k}") for k, c in enumerate(row, start=1)],
                         row_ref=f"T{t_no}:R{r_no}")
        grid.add_line("")
        _name_table(grid, t_no)
    return read_grid(grid, source=source, sha256=sha256, fmt="docx", encoding=f"utf-8 ({font})" if font else "utf-8")


def _fix(text: str, font: str | None) -> str:
    return repair_font_text(text)[0] if font else text


def _table_rows(table) -> list[list[str]]:
    """Cell texts by grid column, each merged cell's text kept once (top-left), its repeats blanked."""
    grid_rows = [list(row.cells) for row in table.rows]  # kept alive so `is` compares the same XML elements
    out: list[list[str]] = []
    for r, cells in enumerate(grid_rows):
        texts = []
        for k, cell in enumerate(cells):
            repeat_left = k > 0 and cell._tc is cells[k - 1]._tc
            above = grid_rows[r - 1] if r > 0 else []
            repeat_above = k < len(above) and cell._tc is above[k]._tc
            texts.append("" if repeat_left or repeat_above else " ".join(p.text for p in cell.paragraphs).strip())
        out.append(texts)
    return out


def _name_table(grid: Grid, t_no: int) -> None:
    """The table's reference is its own number, whichever line holds its 'Biểu số' title."""
    for i in range(len(grid.lines) - 1, -1, -1):
        line = grid.lines[i]
        if "\t" not in line and _FORM_LINE.match(line):
            grid.tables.setdefault(i + 1, f"T{t_no}")
            return
