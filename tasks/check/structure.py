"""Facts and checks for a table the catalog does not know, from the table's own structure.

Parents sum their children, totals sum their groups (or what their label's formula names), the coded header's
identities hold, identities that hold in almost every row hold in the rest, a rate equals its count over the
base the table names as the whole. Tolerances come from the decimals written: three shares written to two
decimals may miss 100 by 0,03.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations

from config.messages import finding, rules
from contracts.document import Cell, Table, TableRow
from contracts.findings import Finding
from contracts.vietnamese import fold, format_number, parse_number

_DOT = re.compile(r"^(?P<sign>[-−]?)(?P<int>\d+)\.(?P<frac>\d+)$")
_FORMULA = re.compile(r"\(\s*([IVX\d]+(?:\s*[+\-]\s*[IVX\d]+)+)\s*\)\s*$")
_CODE_EXPR = re.compile(r"^\(?(\d{1,2})\)?\s*=\s*(.+)$")
_RATE_WORDS = ("ty le", "toc do", "co cau", "(%)")
_BASE_WORDS = ("tong so ho", "so ho dan", "tong so ho dan", "ho tu nhien", "tong so dan")
_COUNT_HEADERS = ("(ho)", "(nguoi)")


@dataclass(frozen=True)
class Value:
    """One number of the table as read: its value, the decimals that matter, and its cell."""

    value: float
    decimals: int
    cell: Cell


def form_key(table: Table, t_index: int) -> str:
    """'Biểu số 03' -> BIEU_03; otherwise a slug of the title (16 characters, the warehouse's width)."""
    if table.form_no:
        return f"BIEU_{table.form_no}"
    slug = re.sub(r"[^A-Z0-9]+", "_", fold(table.title).upper()).strip("_")
    return (slug[:16].rstrip("_") if slug else f"TABLE_{t_index + 1}") or f"TABLE_{t_index + 1}"


def read_value(text: str, decimal: str) -> tuple[object, str, int]:
    """(value or None, kind, decimals that matter) the way the table writes its numbers; text stays text."""
    raw = text.strip().rstrip("%").strip()
    if decimal == "dot" and (m := _DOT.match(raw)):
        value = float(f"{m['int']}.{m['frac']}") * (-1 if m["sign"] else 1)
        return value, "number", len(m["frac"].rstrip("0"))
    number = parse_number(text)
    if number.kind in ("number", "dot_decimal"):
        frac = raw.split("," if number.kind == "number" else ".")[-1] if ("," in raw or number.kind == "dot_decimal") else ""
        return number.value, "number", len(frac.rstrip("0"))
    if number.kind in ("blank", "dash"):
        return None, number.kind, 0
    return None, "text", 0


def _label(table: Table, row: TableRow) -> str:
    cells = row.cells
    label = cells[table.label_col].text if table.label_col < len(cells) else ""
    return label or (row.order or "")


def _unit(table: Table, row: TableRow) -> str:
    return row.cells[table.unit_col].text if table.unit_col is not None and table.unit_col < len(row.cells) else ""


def tabulate_layout(sha: str, t_index: int, table: Table, drafted: str | None = None,
                    indicators: list[tuple[str | None, float]] | None = None) -> tuple[list[tuple], list[Finding]]:
    """Records for every value cell of an uncatalogued table (under its form key, or the code of the entry drafted
    from it with that entry's indicators), and its structural findings."""
    form = drafted or form_key(table, t_index)
    title = table.title or f"Bảng {t_index + 1}"
    records: list[tuple] = []
    values: dict[tuple[int, int], Value] = {}
    width = max((len(r) for r in table.header_rows), default=0)
    aligned = table.layout != "cell_per_line"
    for r_index, row in enumerate(table.rows):
        if not aligned and len(row.cells) != width:
            continue  # a row of a one-cell-per-line table that does not fill the header: not placed by guess
        label = _label(table, row) or f"{r_index + 1}"
        indicator, score = indicators[r_index] if indicators else (None, 0.0)
        key_year = None
        if table.key_col is not None and re.fullmatch(r"(?:19|20)\d{2}", row.cells[table.key_col].text):
            key_year = int(row.cells[table.key_col].text)
        for col in table.columns:
            if col.index >= len(row.cells):
                continue
            cell = row.cells[col.index]
            value, kind, decimals = read_value(cell.text, table.decimal)
            if value is not None:
                values[(r_index, col.index)] = Value(value, decimals, cell)
            if kind == "text" or kind == "blank":
                continue
            year = col.year if col.year is not None else key_year
            records.append((  # tasks/check/tabulate.py CELL_COLUMNS
                sha, form, (row.order or None) and row.order[:8], label, indicator,
                (_unit(table, row) or None) and _unit(table, row)[:40], year, col.measure, value, cell.text[:64], kind,
                cell.ref, col.header[:120], cell.line, round(score, 3), title, t_index, r_index, row.is_total,
                row.order, False,
            ))
    findings = [] if drafted else [finding("uncatalogued_table", source=table.ref, line=table.line, form=form, label=title,
                        layout=table.layout, rows=len(table.rows), columns=len(table.columns))]
    findings += check_structure(table, values, form, title)
    return records, findings


def _is_rate_row(table: Table, row: TableRow) -> bool:
    text = fold(_label(table, row))
    return fold(_unit(table, row)) == "%" or any(w in text for w in _RATE_WORDS)


def _summable(table: Table, row: TableRow, col) -> bool:
    """Counts and amounts add up; rates and growth do not, except shares of a structure ('Cơ cấu')."""
    if col.role == "rate":
        return False
    return not _is_rate_row(table, row) or "co cau" in fold(_label(table, row))


def _tolerance(parts: list[Value]) -> float:
    """Whole numbers add up exactly; a rounded part may be off by one unit of its last decimal that matters."""
    return sum(10.0 ** -p.decimals for p in parts if p.decimals) + 1e-9


def _children(rows: list[TableRow], i: int) -> list[int]:
    level = rows[i].level
    out = []
    for j in range(i + 1, len(rows)):
        if rows[j].level <= level or rows[j].is_total:
            break
        out.append(j)
    if not out:
        return []
    top = min(rows[j].level for j in out)
    return [j for j in out if rows[j].level == top]


def check_structure(table: Table, values: dict, form: str, title: str) -> list[Finding]:
    """The checks an uncatalogued table carries in its own structure."""
    out: list[Finding] = []
    rows = table.rows
    common = dict(form_label=title, form=form)
    counts = {fold(u) for u in rules()["locale_number_repaired"].get("count_units", ())}
    value_cols = [c for c in table.columns]
    n_header = len(value_cols)
    for r_index, row in enumerate(rows):
        label = _label(table, row)
        if row.ragged and table.layout != "cell_per_line":
            written = sum(1 for c in value_cols if c.index < len(row.cells))
            last = r_index == len(rows) - 1
            rule = "table_truncated" if last and table.truncated else "ragged_row"
            out.append(finding(rule, source=row.ref, line=row.line, label=label, expected=n_header, actual=written,
                               **common))
        for col in value_cols:
            v = values.get((r_index, col.index))
            if v is None or float(v.value).is_integer():
                continue
            unit = fold(_unit(table, row))
            header = fold(col.header)
            if col.role != "rate" and (unit in counts or header.endswith(_COUNT_HEADERS) or header in ("ho ngheo", "ho can ngheo")):
                whole = [values[(r_index, c.index)] for c in value_cols if (r_index, c.index) in values]
                out.append(finding("non_integer_count", source=v.cell.ref, line=v.cell.line, label=label,
                                   column=col.header, actual=v.value, unit=_unit(table, row) or col.header,
                                   whole=sum(1 for w in whole if float(w.value).is_integer()), **common))
    for i, row in enumerate(rows):
        kids = [] if row.is_total else _children(rows, i)
        if kids:
            out += _check_sum(table, values, i, kids, "structure_sum", common,
                              parts_vi=f"các dòng con ({len(kids)} dòng)", parts_en=f"its {len(kids)} sub-rows")
        if row.is_total:
            parts, named = _total_parts(rows, i)
            if parts:
                out += _check_sum(table, values, i, parts, "structure_total", common, parts_vi=named, parts_en=named)
    out += _coded_identities(table, values, common)
    out += _discovered_identities(table, values, common)
    out += _rates(table, values, common)
    out += _repeated_keys(table, common)
    return out


def _total_parts(rows: list[TableRow], i: int) -> tuple[list[int], str]:
    """What a total adds up: the groups its formula names ('(I+II)'), else the top-level rows above it."""
    label = rows[i].cells[1].text if len(rows[i].cells) > 1 else ""
    text = " ".join(c.text for c in rows[i].cells[:2])
    if m := _FORMULA.search(text):
        names = [n.strip() for n in m[1].split("+")]
        return [j for j, r in enumerate(rows[:i]) if r.order.rstrip(".") in names and r.level <= 2], "+".join(names)
    above = [j for j, r in enumerate(rows[:i]) if not r.is_total and r.level > 0]
    if not above:
        return [], label
    top = min(rows[j].level for j in above)
    return [j for j in above if rows[j].level == top], "các nhóm"


def _check_sum(table, values, i, parts, rule, common, **words) -> list[Finding]:
    row = table.rows[i]
    out = []
    for col in table.columns:
        if not _summable(table, row, col):
            continue
        total = values.get((i, col.index))
        got = [values.get((j, col.index)) for j in parts]
        if total is None or any(p is None for p in got):
            continue
        expected = sum(p.value for p in got)
        if abs(expected - total.value) > _tolerance(got):
            out.append(finding(rule, source=total.cell.ref, line=total.cell.line, label=_label(table, row),
                               column=col.header, expected=round(expected, 6), actual=total.value,
                               lines=", ".join(str(table.rows[j].line) for j in parts if table.rows[j].line),
                               **words, **common))
    return out


def _coded_identities(table, values, common) -> list[Finding]:
    """'(3)=(1)+(2)' in the coded column row: column 3 is the sum of columns 1 and 2 in every row."""
    by_code = {re.sub(r"\D", "", (c.code or "").split("=")[0]): c for c in table.columns if c.code}
    out = []
    for col in table.columns:
        m = _CODE_EXPR.match((col.code or "").replace(" ", ""))
        if not m:
            continue
        terms = re.findall(r"([+\-]?)\(?(\d{1,2})\)?", m[2])
        if not terms or any(t[1] not in by_code for t in terms):
            continue
        for r_index, row in enumerate(table.rows):
            left = values.get((r_index, col.index))
            right = [(sign, values.get((r_index, by_code[code].index))) for sign, code in terms]
            if left is None or any(v is None for _, v in right):
                continue
            expected = sum(-v.value if sign == "-" else v.value for sign, v in right)
            if abs(expected - left.value) > _tolerance([v for _, v in right]):
                out.append(finding("coded_identity", source=left.cell.ref, line=left.cell.line,
                                   label=_label(table, row), column=col.header, formula=col.code,
                                   expected=round(expected, 6), actual=left.value, **common))
    return out


def _discovered_identities(table, values, common) -> list[Finding]:
    """a = b + c among value columns, holding in ≥ 90 % and ≥ 5 rows: a rule; the rows that break it, findings."""
    spec = rules()["discovered_identity"]
    share, least = float(spec.get("share", 0.9)), int(spec.get("min_rows", 5))
    cols = [c for c in table.columns if c.role != "rate"]
    if sum(1 for c in cols if c.year is not None) >= 3 or len(cols) < 3 or len(cols) > 12:
        return []  # years as columns: a relation among years is chance, not a rule
    coded = {c.index for c in table.columns if c.code and "=" in c.code}
    out = []
    for a, b, c in permutations(cols, 3):
        if b.index > c.index or a.index in coded:
            continue
        held, broke = 0, []
        for r_index, row in enumerate(table.rows):
            va, vb, vc = (values.get((r_index, x.index)) for x in (a, b, c))
            if va is None or vb is None or vc is None or (vb.value == 0 and vc.value == 0):
                continue
            if abs(vb.value + vc.value - va.value) <= _tolerance([vb, vc]):
                held += 1
            else:
                broke.append((row, va, vb.value + vc.value))
        if held >= least and held >= share * (held + len(broke)):
            for row, va, expected in broke:
                out.append(finding("discovered_identity", source=va.cell.ref, line=va.cell.line,
                                   label=_label(table, row), column=a.header, left=a.header, right_b=b.header,
                                   right_c=c.header, held=held, rows=held + len(broke),
                                   expected=round(expected, 6), actual=va.value, **common))
    return out


def _subject(text: str) -> str:
    return re.sub(r"\(.*?\)|%", "", fold(text).split("ty le", 1)[-1]).strip()


def _rates(table, values, common) -> list[Finding]:
    """A rate equals its count over the base the table names as the whole ('Tổng số hộ'), never over a part."""
    out = []
    rows = table.rows
    labels = [fold(_label(table, r)) for r in rows]
    base_rows = [i for i, t in enumerate(labels) if t.startswith(_BASE_WORDS) and "ngheo" not in t]
    for i, text in enumerate(labels):  # rows are indicators, columns years
        if not text.startswith("ty le") or not base_rows:
            continue
        subject = _subject(text)
        count_rows = [j for j, t in enumerate(labels) if j != i and subject and subject in t and not t.startswith("ty le")
                      and j not in base_rows]
        if not count_rows:
            continue
        for col in table.columns:
            out += _rate_cell(table, values, (i, col.index), (count_rows[0], col.index), (base_rows[0], col.index),
                              rows[i], col.header, common)
    headers = [fold(c.header) for c in table.columns]
    bases = [c for c, h in zip(table.columns, headers) if h.startswith(_BASE_WORDS) and "ngheo" not in h]
    for col, h in zip(table.columns, headers):  # columns are measures
        if col.role != "rate" or not bases or not h.startswith("ty le"):
            continue
        subject = _subject(h)
        counts = [c for c, hh in zip(table.columns, headers) if c is not col and subject and subject in hh
                  and not hh.startswith("ty le") and c not in bases]
        if not counts:
            continue
        for r_index, row in enumerate(rows):
            out += _rate_cell(table, values, (r_index, col.index), (r_index, counts[0].index),
                              (r_index, bases[0].index), row, col.header, common)
    return out


def _rate_cell(table, values, at, count_at, base_at, row, header, common) -> list[Finding]:
    rate, count, base = values.get(at), values.get(count_at), values.get(base_at)
    if rate is None or count is None or base is None or base.value == 0:
        return []
    computed = 100.0 * count.value / base.value
    if abs(computed - rate.value) <= 0.5 * 10.0 ** -rate.decimals + 1e-9:
        return []
    return [finding("rate_mismatch", source=rate.cell.ref, line=rate.cell.line, label=_label(table, row),
                    column=header, count=count.value, base=base.value, count_ref=count.cell.ref,
                    base_ref=base.cell.ref, expected=round(computed, rate.decimals or 0), actual=rate.value,
                    computed=format_number(round(computed, 4)), **common)]


def _repeated_keys(table, common) -> list[Finding]:
    """A row key written twice (a year under two poverty lines) is kept as two rows; the steward is told."""
    if table.key_col is None:
        return []
    seen: dict[str, TableRow] = {}
    out = []
    for row in table.rows:
        key = row.cells[table.key_col].text
        if key in seen:
            out.append(finding("repeated_row_key", source=row.ref, line=row.line, label=key,
                               first=seen[key].line, **common))
        seen.setdefault(key, row)
    return out
