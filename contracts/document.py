"""What a reader hands on: one Document per submitted file, in the same shape for every format.

No I/O here. Readers (tasks/read/*) build these; tabulate turns them into facts.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


class Cell(NamedTuple):
    """One table cell as written, with where it stands in the file.

    A named tuple: a report has hundreds of cells, and one built with tuple.__new__(Cell, (...)) where they are built
    most costs 0.42 us against 0.76 for the frozen dataclass it was."""

    text: str
    ref: str  # "L143:C9" for text, "T2:R5:C9" for docx, "Sheet1!H12" for xlsx
    line: int | None = None  # line number in a text file
    column: int | None = None  # 1-based column within the table row
    stored: float | None = None  # the number a spreadsheet cell held, before any Vietnamese reading of its text


@dataclass
class TableRow:
    """One body row of an annex table: its cells in column order."""

    cells: list[Cell]
    line: int | None = None
    ref: str = ""
    order: str = ""  # the order mark as written: "I", "2", "a", "-", "+" (tables found by layout)
    level: int = 0  # depth in the row hierarchy: 1 for "I", 2 for "1", 3 for "a", 4 for "-", 5 for "+"
    is_total: bool = False  # "Tổng cộng", "Cộng", "Toàn tỉnh", "(I+II)"
    ragged: bool = False  # fewer values than the header names columns


@dataclass
class ColumnSpec:
    """What one numeric column of an annex holds: the phase total or one year, plan or actual."""

    index: int  # 0-based position in TableRow.cells
    year: int | None  # None is the phase total ("Tổng số")
    measure: str  # "plan" | "actual"
    header: str  # "Năm 2018 / Thực hiện", as written
    role: str = "number"  # "number" | "rate" (a percentage), decided from the header
    code: str | None = None  # the coded column row's mark for this column: "2", "(3)=(1)+(2)"


@dataclass
class Table:
    """One annex table ("Biểu số 02") with the lines printed above it."""

    form_label: str  # "Biểu số 02" as written
    form_no: str | None  # "02"
    title: str  # "HOẠT ĐỘNG TUYỂN TRUYỀN VÀ GIẢM NGHÈO"
    attached_to: str  # the "(Kèm theo Báo cáo số … ngày …)" line, as written
    attached_number: str | None  # "2043/BC-UBND"
    attached_date: date | None
    header_rows: list[list[Cell]]
    columns: list[ColumnSpec]
    label_col: int  # index of "Nội dung"
    stt_col: int | None  # index of "STT"
    unit_col: int | None  # index of "Đơn vị tính"
    note_col: int | None  # index of "Ghi chú"
    rows: list[TableRow]
    ref: str = ""  # where the table starts: "L137" or "table 2" or "Sheet1!A5"
    line: int | None = None
    layout: str = "form"  # "form" (a catalogued Biểu) | "pipe" | "tab" | "space" | "cell_per_line"
    key_col: int | None = None  # a column of row keys that are years ("2010"), for yearbook tables
    decimal: str = "comma"  # "comma" (1.886 = 1886) or "dot" (412204.00), decided per table
    truncated: bool = False  # the text stops inside the table's last row


@dataclass
class Block:
    """One paragraph of narrative text and the line it starts on."""

    text: str
    line: int
    section: str = ""  # "III.2" once the reader knows the heading it stands under


@dataclass
class ReportMeta:
    """The report's identity as read from its header."""

    number: str | None = None  # "2049/BC-UBND"
    date: date | None = None
    issuer: str | None = None  # "UBND huyện Phong Thổ"
    unit_name: str | None = None  # "Phong Thổ"
    unit_code: str | None = None  # GSO district code, "109"
    province: str | None = None  # "Lai Châu"
    province_code: str | None = None  # "12"
    program: str | None = None  # program code from config, "GNBV"
    period: str | None = None  # "2016-2020" or "2020"
    period_start: int | None = None
    period_end: int | None = None
    title: str | None = None
    signer: str | None = None
    annex_refs: list[tuple[str, int, str]] = field(default_factory=list)
    # (form number "03", line, section) for every "(Có biểu 03 chi tiết kèm theo)"
    # district_submission | province_summary | news_summary | statistical_table (tasks/read/kind.py): which
    # metadata the document must state
    kind: str = "district_submission"


@dataclass
class Document:
    """A submission as read: metadata, narrative blocks, annex tables."""

    source: str  # file name as received
    sha256: str
    format: str  # "text" | "docx" | "xlsx" | "csv" | ...
    encoding: str | None
    meta: ReportMeta
    blocks: list[Block]
    tables: list[Table]
    lines: list[str] = field(default_factory=list)  # the decoded text, for source excerpts
    findings: list = field(default_factory=list)  # Finding records of what the reader had to assume (format_mismatch)


def sha256_of(data: bytes) -> str:
    """A submission's id: the SHA-256 of its bytes, so the same file is the same submission wherever it comes from."""
    return hashlib.sha256(data).hexdigest()
