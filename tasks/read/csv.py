"""Read the canonical long CSV: one row per reported number (the fact table's columns) plus the report's metadata.

For systems that already export data. Columns (header row, any order, `,` `;` or tab):
  report_number, report_date, reporting_unit | unit_code, period, [program],
  form, [group], label, [indicator], [unit], year (blank: phase total), measure (plan|actual), value.
`value` is a machine number ("1568", "25.64") or Vietnamese text ("1.568", "25,64", "-", blank).
A cell that starts with = + - @ is text, never a formula; one written as '=… (contracts.cells.csv_text) is read back without the quote.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from config.catalog import load_forms
from contracts.cells import PLAIN_NUMBER, formula_like
from contracts.period import Period
from contracts.document import Cell, ColumnSpec, Document, ReportMeta, Table, TableRow
from contracts.vietnamese import fold, nfc, squash
from tasks.read.xlsx import vietnamese_number

REQUIRED = ("form", "label", "measure", "value")
COLUMNS = ("report_number", "report_date", "reporting_unit", "unit_code", "period", "program",
           "form", "group", "label", "indicator", "unit", "year", "measure", "value")
_MEASURES = {"plan": "plan", "ke hoach": "plan", "kh": "plan", "actual": "actual", "thuc hien": "actual", "th": "actual"}


def _cell_text(raw: str) -> str:
    text = nfc(raw or "").strip()
    if text.startswith("'") and formula_like(text[1:]):
        return text[1:]
    return text


def _dialect(head: str) -> str:
    return _delimiter(next((line for line in head.splitlines() if line.strip()), ""))


def _delimiter(line: str) -> str:
    """The delimiter a header line uses the most of."""
    return max((",", ";", "\t"), key=line.count)


def _header(line: str, delimiter: str) -> list[str]:
    return [fold(c).replace(" ", "_") for c in next(csv.reader([line], delimiter=delimiter), [])]


def looks_like_fact_csv(data: bytes) -> bool:
    """True when the first line is a header naming at least form, label, measure and value."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    first = _first_line(head)
    delimiter = _delimiter(first)
    if first.count(delimiter) < len(REQUIRED) - 1:
        return False  # too few columns to name them all: a report's first line, not parsed and folded for nothing
    return set(REQUIRED) <= set(_header(first, delimiter))


def _first_line(head: bytes) -> str:
    """The first line of `head` (UTF-8) with something on it besides spaces. Every text report is asked: decoding and
    splitting its first 4 KB took 14 us a report, decoding the line the first visible byte stands on 2."""
    visible = len(head) - len(head.lstrip())  # the first byte that is not ASCII white space
    start = head.rfind(b"\n", 0, visible) + 1  # the line it stands on, from its beginning
    end = head.find(b"\n", visible)
    line = next((line for line in head[start:None if end < 0 else end].decode("utf-8", errors="ignore").splitlines()
                 if line.strip()), None)
    if line is not None:
        return line
    # that line is blank after all (its first byte starts a space only Unicode calls one): the whole head
    return next((line for line in head.decode("utf-8", errors="ignore").splitlines() if line.strip()), "")


def read_csv(text: str, *, source: str, sha256: str, encoding: str | None) -> Document:
    """Rows of facts to a Document: one table per form, one row per label, one column per year × measure."""
    delimiter = _dialect(text[:4096])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines = text.splitlines()
    header = None
    records: list[tuple[int, dict]] = []
    for row in reader:
        if header is None:
            if any(c.strip() for c in row):
                header = [fold(c).replace(" ", "_") for c in row]
            continue
        if not any(c.strip() for c in row):
            continue
        records.append((reader.line_num, {k: _cell_text(v) for k, v in zip(header, row)}))
    value_col = header.index("value") + 1 if header and "value" in header else 0
    meta = _meta(records)
    forms = load_forms()
    tables = []
    for form_no in dict.fromkeys(_form_no(r["form"]) for _, r in records if r.get("form")):
        rows = [(n, r) for n, r in records if _form_no(r.get("form", "")) == form_no]
        tables.append(_table(form_no, rows, value_col, forms))
    return Document(source=source, sha256=sha256, format="csv", encoding=encoding, meta=meta, blocks=[],
                    tables=tables, lines=lines)


def _form_no(text: str) -> str:
    m = re.search(r"(\d{1,2})\s*$", text or "")
    return m[1].zfill(2) if m else (text or "").strip()


def _meta(records: list[tuple[int, dict]]) -> ReportMeta:
    from config.units import unit_by_code, unit_named

    def first(key: str) -> str | None:
        return next((r[key] for _, r in records if r.get(key)), None)

    meta = ReportMeta(number=first("report_number"), date=_date(first("report_date")), program=first("program"))
    if period := first("period"):
        if found := Period.of_years([int(y) for y in re.findall(r"\d{4}", period)]):
            meta.period_start, meta.period_end, meta.period = found.start, found.end, found.code
    code, name = first("unit_code"), first("reporting_unit")
    match = [unit] if (unit := unit_by_code(code)) else unit_named(name) if name else []
    if len(match) == 1:
        unit = match[0]
        meta.unit_name, meta.unit_code, meta.province, meta.province_code = unit.name, unit.code, unit.province, unit.province_code
    return meta


def _date(text: str | None) -> date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text.strip()[:10], pattern).date()
        except ValueError:
            continue
    return None


def _year(text: str) -> int | None:
    m = re.search(r"\d{4}", text or "")
    return int(m[0]) if m else None


def _table(form_no: str, rows: list[tuple[int, dict]], value_col: int, forms) -> Table:
    form = next((f for f in forms.values() if f.number == form_no), None)
    # plan and actual come in pairs: a year with one of them has a (blank) column for the other
    years = {_year(r.get("year", "")) for _, r in rows}
    keys = sorted(((y, m) for y in years for m in ("plan", "actual")), key=lambda k: (k[0] is not None, k[0] or 0, k[1] != "plan"))
    columns = [
        ColumnSpec(index=3 + i, year=year, measure=measure,
                   header=f"{'Tổng số' if year is None else f'Năm {year}'} / {'Kế hoạch' if measure == 'plan' else 'Thực hiện'}")
        for i, (year, measure) in enumerate(keys)
    ]
    position = {k: 3 + i for i, k in enumerate(keys)}
    body: list[TableRow] = []
    by_label: dict[tuple[str, str], TableRow] = {}
    current_group = None
    for line, r in rows:
        group, label = squash(r.get("group", "")), squash(r.get("label", ""))
        is_total = not group or "=" in label or fold(label).startswith("tong cong")
        if not is_total and group != current_group:
            current_group = group
            title = next((g.label for g in (form.groups if form else []) if g.number == group), f"Nhóm {group}")
            body.append(TableRow(cells=[Cell(group, f"R{line}", line, 1), Cell(title, f"R{line}", line, 2)],
                                 line=line, ref=f"R{line}"))
        key = ("" if is_total else group, label)
        if key not in by_label:
            stt = "" if is_total else "-"
            cells = [Cell(stt, f"R{line}", line, 1), Cell(label, f"R{line}", line, 2),
                     Cell(r.get("unit", ""), f"R{line}", line, 3)]
            cells += [Cell("", f"R{line}", line, c.index + 1) for c in columns]
            by_label[key] = TableRow(cells=cells, line=line, ref=f"R{line}")
            body.append(by_label[key])
        k = (_year(r.get("year", "")), _MEASURES.get(fold(r.get("measure", "")), "plan"))
        raw = r.get("value", "")
        stored = float(raw) if PLAIN_NUMBER.fullmatch(raw) and raw != "-" else None
        text = vietnamese_number(stored) if stored is not None else raw
        by_label[key].cells[position[k]] = Cell(text, f"R{line}:C{value_col}", line, value_col, stored=stored)
    title = form.title if form else f"Biểu {form_no}"
    return Table(form_label=f"Biểu số {form_no}", form_no=form_no, title=title, attached_to="", attached_number=None,
                 attached_date=None, header_rows=[], columns=columns, label_col=1, stt_col=0, unit_col=2,
                 note_col=None, rows=body, ref=f"Biểu {form_no}", line=None)
