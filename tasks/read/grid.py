"""Rows of cells from a Word or Excel file, laid out as the text reader reads them, then given back their own sources.

A docx or xlsx is rendered line by line (a paragraph or title cell: one line; a table row: its cells
joined by tabs), read by tasks/read/text.py exactly as a text report is, and every cell's "L12:C5" is
replaced by the file's own reference ("T2:R5:C9", "Sheet1!H12"). So metadata, narrative and header
placement never differ between formats: only sources do.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from contracts.document import Cell, Document, Table
from tasks.read.text import _FORM_LINE, read_text


@dataclass(frozen=True)
class GridCell:
    """One cell as the file holds it: its text, its own reference, and the number it stored (xlsx)."""

    text: str
    ref: str
    stored: float | None = None


@dataclass
class Grid:
    """A file rendered as lines; tabbed lines remember the cell behind each column."""

    lines: list[str] = field(default_factory=list)
    cells: dict[tuple[int, int], GridCell] = field(default_factory=dict)  # (line, column), both 1-based
    rows: dict[int, str] = field(default_factory=dict)  # line -> row reference
    tables: dict[int, str] = field(default_factory=dict)  # line of a "Biểu số" title -> table reference

    def add_line(self, text: str, ref: str | None = None) -> int:
        self.lines.append(_flat(text))
        line = len(self.lines)
        if ref:
            self.tables[line] = ref
        return line

    def add_row(self, cells: list[GridCell], row_ref: str) -> int:
        self.lines.append("\t".join(_flat(c.text) for c in cells))
        line = len(self.lines)
        self.rows[line] = row_ref
        for k, cell in enumerate(cells, start=1):
            self.cells[(line, k)] = cell
        return line

    def settle_form_line(self) -> None:
        """'Biểu số 01' written above the annex's title: move it down to just above the table, where the text reader looks."""
        nearby = []
        for i in range(len(self.lines) - 1, max(len(self.lines) - 8, -1), -1):
            if "\t" in self.lines[i]:
                break
            if self.lines[i].strip():
                nearby.append(i)
        if not nearby or _FORM_LINE.match(self.lines[nearby[0]]):
            return
        for i in nearby[1:]:
            if _FORM_LINE.match(self.lines[i]):
                # the lines below it hold no table and no title reference: moving it shifts nothing that is keyed
                ref = self.tables.pop(i + 1, None)
                self.lines.append(self.lines.pop(i))
                if ref:
                    self.tables[len(self.lines)] = ref
                return


def _flat(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split("\n")).replace("\r", " ")


def read_grid(grid: Grid, *, source: str, sha256: str, fmt: str, encoding: str | None) -> Document:
    """Read the rendered lines with the text reader, then put the file's own references on every cell."""
    doc = read_text("\n".join(grid.lines), source=source, sha256=sha256, encoding=encoding)
    doc.format = fmt
    doc.tables = [_resourced(t, grid) for t in doc.tables]
    return doc


def _cell(cell: Cell, grid: Grid) -> Cell:
    own = grid.cells.get((cell.line, cell.column))
    if own is None:
        row_ref = grid.rows.get(cell.line, f"L{cell.line}")
        return Cell(text=cell.text, ref=f"{row_ref}:C{cell.column}", line=None, column=cell.column)
    return Cell(text=cell.text, ref=own.ref, line=None, column=cell.column, stored=own.stored)


def _resourced(table: Table, grid: Grid) -> Table:
    rows = [  # replace(): a row keeps what the layout finder said of it (order mark, level, total, ragged)
        replace(row, cells=[_cell(c, grid) for c in row.cells], line=None, ref=grid.rows.get(row.line, row.ref))
        for row in table.rows
    ]
    headers = [[_cell(c, grid) for c in header] for header in table.header_rows]
    return replace(table, rows=rows, header_rows=headers, ref=grid.tables.get(table.line, table.ref), line=None)
