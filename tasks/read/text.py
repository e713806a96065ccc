"""Read a report laid out as the seed is: narrative lines, then annex tables as tab-separated lines."""
from __future__ import annotations

import re
from datetime import date

from contracts.period import Period
from contracts.document import Block, Cell, ColumnSpec, Document, ReportMeta, Table, TableRow
from contracts.vietnamese import fold, nfc, squash
from tasks.read.layout import find_tables, table_lines

_new = tuple.__new__  # a Cell from its fields' tuple, without NamedTuple's generated __new__

_FORM_LINE = re.compile(r"^\s*bi[eể]u\s*(?:s[oố])?\s*:?\s*(\d{1,2})\b", re.IGNORECASE)
_ATTACHED = re.compile(r"k[eè]m\s+theo", re.IGNORECASE)
_REPORT_NO = re.compile(r"[Ss][ốo]\s*:?\s*(\d+)\s*/\s*([A-ZĐ]+(?:\s*-\s*[A-ZĐ]+)*)")
_DATE = re.compile(r"ng[àa]y\s*(\d{1,2})\s*th[áa]ng\s*(\d{1,2})\s*n[ăa]m\s*(\d{4})", re.IGNORECASE)
_PHASE = re.compile(r"giai\s+đoạn\s*(\d{4})\s*[-–—]\s*(\d{4})", re.IGNORECASE)
_ANNEX_REF = re.compile(r"\(\s*c[óo]\s+bi[ểe]u\s*(?:s[ốo]\s*)?(\d{1,2})\s+chi\s+ti[ếe]t\s+k[èe]m\s+theo\s*\)", re.IGNORECASE)
_ROMAN = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)\.\s+\S")
_ARABIC = re.compile(r"^(\d{1,2})\.\s+\S")
_YEAR_HEADER = re.compile(r"n[ăa]m\s*(\d{4})", re.IGNORECASE)


def parse_report_number(text: str) -> str | None:
    """'Số: **2043** /BC-UBND' -> '2043/BC-UBND'."""
    m = _REPORT_NO.search(text.replace("*", ""))
    if not m:
        return None
    kind = re.sub(r"\s+", "", m[2])
    return f"{m[1]}/{kind}"


def parse_date(text: str) -> date | None:
    """'ngày 14 tháng 10 năm 2020' -> date(2020, 10, 14); None when absent or impossible."""
    m = _DATE.search(text.replace("*", ""))
    if not m:
        return None
    try:
        return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def read_text(raw_text: str, *, source: str, sha256: str, encoding: str | None) -> Document:
    """Split decoded text into metadata, narrative blocks and annex tables."""
    # the whole text normalised at once, then split (NFC and the spaces it makes plain never cross a line's end): a
    # call a line cost 0.04 ms a report
    text = nfc(raw_text)
    lines = text.split("\n") if "\r" not in text else [line.rstrip("\r") for line in text.split("\n")]
    table_starts = [i for i, line in enumerate(lines) if "\t" not in line and _FORM_LINE.match(line)]
    narrative_end = _narrative_end(lines, table_starts)
    found = find_tables(lines, narrative_end)
    in_tables = {i for t in found for i in table_lines(t)}
    blocks = [b for b in _blocks(lines[:narrative_end]) if b.line - 1 not in in_tables]
    tables = found + [_table(lines, start) for start in table_starts]
    meta = _meta(lines[:narrative_end], blocks)
    return Document(
        source=source, sha256=sha256, format="text", encoding=encoding,
        meta=meta, blocks=blocks, tables=[t for t in tables if t is not None], lines=lines,
    )


def _narrative_end(lines: list[str], table_starts: list[int]) -> int:
    """The narrative stops at the title above the first annex (the lines before its 'Kèm theo' line)."""
    if not table_starts:
        return len(lines)
    first = table_starts[0]
    attached = _attached_line(lines, first)
    if attached is None:
        return first
    title = _previous_nonblank(lines, attached)
    return title if title is not None else attached


def _previous_nonblank(lines: list[str], index: int) -> int | None:
    for i in range(index - 1, max(index - 6, -1), -1):
        if lines[i].strip():
            return i
    return None


def _attached_line(lines: list[str], form_line: int) -> int | None:
    for i in range(form_line - 1, max(form_line - 6, -1), -1):
        if _ATTACHED.search(lines[i]):
            return i
    return None


def _blocks(lines: list[str]) -> list[Block]:
    """Each non-empty line is a paragraph; the section it stands under is tracked from its headings."""
    blocks: list[Block] = []
    roman, arabic = "", ""
    for i, line in enumerate(lines):
        text = squash(line)
        if not text:
            continue
        if m := _ROMAN.match(text):
            roman, arabic = m[1], ""
        elif (m := _ARABIC.match(text)) and roman:
            arabic = m[1]
        section = f"{roman}.{arabic}" if arabic else roman
        blocks.append(Block(text=text, line=i + 1, section=section))
    return blocks


def _meta(lines: list[str], blocks: list[Block]) -> ReportMeta:
    meta = ReportMeta()
    head = "\n".join(lines[:15])
    meta.number = parse_report_number(head)
    meta.date = parse_date(head)
    body = "\n".join(lines)
    if m := _PHASE.search(body):
        phase = Period(int(m[1]), int(m[2]))
        meta.period_start, meta.period_end, meta.period = phase.start, phase.end, phase.code
    for i, line in enumerate(lines):
        if fold(line) == "bao cao":
            title = [squash(t) for t in lines[i + 1:i + 4] if t.strip()]
            meta.title = title[0] if title else None
            break
    for block in blocks:
        for m in _ANNEX_REF.finditer(block.text):
            meta.annex_refs.append((m[1].zfill(2), block.line, block.section))
    for i in range(len(lines) - 1, -1, -1):
        if fold(lines[i]) in ("pho chu tich", "chu tich"):
            after = [squash(t) for t in lines[i + 1:i + 6] if t.strip()]
            meta.signer = after[0] if after else None
            break
    return meta


def _split(line: str) -> list[str]:
    """A tabbed line's cells, squashed; stripped only, where the line has no run of spaces to collapse (nearly every
    line: squash a cell, 250 cells a report, cost 0.07 ms)."""
    if "  " in line or "\u00a0" in line or "\u202f" in line:
        return [squash(c) for c in line.split("\t")]
    return [c.strip() for c in line.split("\t")]


def _cells(texts: list[str], at: int) -> list[Cell]:
    """The cells of the tabbed line `at` (1-based), each referenced "L<at>:C<column>": one prefix a line, each cell
    the named tuple made directly (0.42 us a cell, against 0.76 for the frozen dataclass Cell was)."""
    ref = f"L{at}:C"
    return [_new(Cell, (text, f"{ref}{k}", at, k, None)) for k, text in enumerate(texts, start=1)]


def _table(lines: list[str], form_line: int) -> Table | None:
    """One annex: title, 'Kèm theo' line, two header rows, then body rows until the text stops being tabular."""
    form_match = _FORM_LINE.match(lines[form_line])
    attached_i = _attached_line(lines, form_line)
    attached = squash(lines[attached_i]) if attached_i is not None else ""
    title_i = _previous_nonblank(lines, attached_i) if attached_i is not None else None
    title = squash(lines[title_i]) if title_i is not None else ""

    i = form_line + 1
    while i < len(lines) and "\t" not in lines[i]:
        if lines[i].strip() and _FORM_LINE.match(lines[i]):
            return None
        i += 1
    if i >= len(lines):
        return None
    header1_i = i
    header1 = _split(lines[i])
    header2_i = i + 1 if i + 1 < len(lines) and lines[i + 1].startswith("\t") else None
    header2 = _split(lines[header2_i]) if header2_i is not None else []
    body_start = (header2_i or header1_i) + 1

    rows: list[TableRow] = []
    j = body_start
    while j < len(lines):
        line = lines[j]
        if "\t" in line:
            rows.append(TableRow(cells=_cells(_split(line), j + 1), line=j + 1, ref=f"L{j + 1}"))
        elif line.strip():
            break
        j += 1

    header_rows = [_cells(header1, header1_i + 1)]
    if header2_i is not None:
        header_rows.append(_cells(header2, header2_i + 1))
    layout = layout_header(header1, header2)
    return Table(
        form_label=squash(lines[form_line]),
        form_no=form_match[1].zfill(2),
        title=title,
        attached_to=attached,
        attached_number=parse_report_number(attached) if attached else None,
        attached_date=parse_date(attached) if attached else None,
        header_rows=header_rows,
        rows=rows,
        ref=f"L{form_line + 1}",
        line=form_line + 1,
        **layout,
    )


def layout_header(header1: list[str], header2: list[str]) -> dict:
    """Place the numeric columns from a two-level header.

    The first row decides: "Tổng số" or "Năm YYYY" opens a span that runs until the next labelled
    cell. Within a span the second row's "Kế hoạch"/"Thực hiện" say which is which; where the
    second row is ragged and says nothing (the seed's Biểu 02 under "Năm 2020"), plan comes first.
    Shared by every reader, so a docx or xlsx header is placed exactly as a text one is.
    """
    label_col = stt_col = unit_col = note_col = None
    spans: list[tuple[int, int | None, str]] = []  # (start, year, header text)
    for k, text in enumerate(header1):
        key = fold(text)
        if not key:
            continue
        if key == "stt" or key.startswith("so tt"):
            stt_col = k
        elif key.startswith("noi dung") or key.startswith("chi tieu") or key.startswith("ten chi tieu"):
            label_col = k
        elif key.startswith("don vi"):
            unit_col = k
        elif key.startswith("ghi chu"):
            note_col = k
        elif key.startswith("tong so") or key.startswith("tong cong") or key == "tong":
            spans.append((k, None, text))
        elif m := _YEAR_HEADER.search(text) or re.fullmatch(r"(\d{4})", key):
            spans.append((k, int(m[1]), text))
    labelled = sorted(
        [k for k, t in enumerate(header1) if fold(t)]
    )
    columns: list[ColumnSpec] = []
    for start, year, text in spans:
        nxt = [k for k in labelled if k > start]
        end = nxt[0] if nxt else start + 2
        width = max(1, min(end - start, 2))
        measures_seen: list[tuple[int, str, str]] = []
        for k in range(start, start + width):
            sub = fold(header2[k]) if k < len(header2) else ""
            if sub.startswith("ke hoach") or sub == "kh":
                measures_seen.append((k, "plan", header2[k]))
            elif sub.startswith("thuc hien") or sub == "th":
                measures_seen.append((k, "actual", header2[k]))
        if not measures_seen:
            measures_seen = [(start, "plan", "Kế hoạch"), (start + 1, "actual", "Thực hiện")][:width]
        for k, measure, sub_text in measures_seen:
            columns.append(ColumnSpec(index=k, year=year, measure=measure, header=f"{text} / {sub_text or measure}"))
    return {
        "columns": columns,
        "label_col": label_col if label_col is not None else 1,
        "stt_col": stt_col,
        "unit_col": unit_col,
        "note_col": note_col,
    }
