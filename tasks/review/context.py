"""A failing value in its context: the archived file read again, its annex tables as grids with the failing cell and
the cells it is computed from marked, and the narrative lines around a figure."""
from __future__ import annotations

from dataclasses import dataclass, field

from contracts.document import Document, Table
from tasks.intake.archive import archived_bytes, archived_name


@dataclass
class GridCell:
    """One cell of an annex as the district wrote it; `mark` is "here" (failing) or "from" (a term of its total)."""

    text: str
    ref: str = ""
    mark: str | None = None
    failures: list[dict] = field(default_factory=list)


@dataclass
class Grid:
    """One annex table as a grid: its header rows and body rows."""

    title: str
    ref: str
    header: list[list[GridCell]]
    rows: list[list[GridCell]]


def read_archived(archive_path: str | None) -> Document | None:
    """The archived submission read again with today's readers; None when it is gone or unreadable."""
    data = archived_bytes(archive_path)
    if data is None:
        return None
    from tasks.read.submission import read_document

    try:
        return read_document(data, archived_name(archive_path))
    except Exception:  # an unreadable file has no grid to show; its quarantine finding says why
        return None


def computed_from(table: Table, row_cells: list, index: int) -> set[int]:
    """Positions of the cells a phase-total cell adds up: the years of the same measure on the same row."""
    spec = next((c for c in table.columns if c.index == index), None)
    if spec is None or spec.year is not None:
        return set()
    return {c.index for c in table.columns if c.year is not None and c.measure == spec.measure
            and c.index < len(row_cells)}


def _grid(table: Table, marks: dict[str, list[dict]], here: str | None) -> Grid:
    header = [[GridCell(c.text, c.ref) for c in row] for row in table.header_rows]
    rows = []
    for row in table.rows:
        cells = [GridCell(c.text, c.ref, failures=marks.get(c.ref, [])) for c in row.cells]
        for i, cell in enumerate(cells):
            if cell.failures:
                cell.mark = "failing"
            if here and cell.ref == here:
                cell.mark = "here"
                for j in computed_from(table, row.cells, i):
                    if cells[j].mark is None:
                        cells[j].mark = "from"
        rows.append(cells)
    title = " ".join(x for x in (table.form_label, table.title) if x)
    return Grid(title, table.ref, header, rows)


def failure_grid(doc: Document | None, source_ref: str | None) -> Grid | None:
    """The annex holding the failing cell, with that cell and the cells it is computed from marked."""
    if doc is None or not source_ref:
        return None
    for table in doc.tables:
        if any(c.ref == source_ref for row in table.rows for c in row.cells):
            return _grid(table, {}, source_ref)
    return None


def submission_grids(doc: Document | None, failures: list[dict]) -> list[Grid]:
    """Every annex of the submission, each failing cell carrying the failures that point at it."""
    if doc is None:
        return []
    marks: dict[str, list[dict]] = {}
    for f in failures:
        if f.get("source"):
            marks.setdefault(f["source"], []).append(f)
    return [_grid(t, marks, None) for t in doc.tables]


def lines_around(doc: Document | None, line: int | None, around: int = 3) -> list[tuple[int, str, bool]]:
    """The decoded lines of a text submission around one line (number, text, whether it is that line)."""
    if doc is None or not line or not doc.lines:
        return []
    lo, hi = max(1, line - around), min(len(doc.lines), line + around)
    return [(n, doc.lines[n - 1].replace("\t", " │ "), n == line) for n in range(lo, hi + 1)]


def read_with_figures(archive_path: str | None) -> tuple[Document | None, list]:
    """The archived submission read again with its narrative figures (contracts.narrative.Figure); only the figures
    the catalog ties to a table cell (`cell_source`) are kept."""
    data = archived_bytes(archive_path)
    if data is None:
        return None, []
    from tasks.check.submission import ReadSubmission, read_documents

    read = read_documents([(data, archived_name(archive_path))])[0]
    if not isinstance(read, ReadSubmission):
        return None, []
    return read.document, [f for f in read.figures if f.cell_source]
