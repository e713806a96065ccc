"""A catalog entry drafted from a table the catalog does not know, and that entry's indicators placed back on the table.

`baocao forms draft` writes what the table says (groups, rows with labels and units, totals and what they add up,
column roles, narrative phrases next to its numbers) for a steward to review; once the entry is in config/forms/,
the same table's facts come out under its code and indicators. Row codes follow the order marks ("I", "I.1"),
or the row's place ("R3") where the table has none, so a draft and the next check name a row the same way.
"""
from __future__ import annotations

import re

import yaml

from config.catalog import MATCH_THRESHOLD, Form, best_match, label_score
from contracts.document import Document, Table
from contracts.vietnamese import fold, parse_number
from tasks.check.structure import _label, _total_parts, _unit, form_key, read_value

_MARK = re.compile(r"^[A-Za-z0-9đ]{1,5}$")


def _parents(table: Table) -> list[int | None]:
    """The row each row stands under: the nearest row above it at a lower level (totals stand under none)."""
    parents: list[int | None] = []
    for i, row in enumerate(table.rows):
        parent = None
        if not row.is_total:
            for j in range(i - 1, -1, -1):
                above = table.rows[j]
                if not above.is_total and above.level < row.level:
                    parent = j
                    break
        parents.append(parent)
    return parents


def row_codes(table: Table) -> list[str]:
    """One code per row: its order marks from the top ('II.3'), 'R<n>' for an unmarked row, 'TONG' for a total."""
    parents = _parents(table)
    codes: list[str] = []
    used: set[str] = set()
    siblings: dict[int | None, int] = {}
    for i, row in enumerate(table.rows):
        siblings[parents[i]] = siblings.get(parents[i], 0) + 1
        mark = (row.order or "").strip().rstrip(".)")
        if row.is_total:
            code = "TONG"
        elif not mark:
            code = f"R{i + 1}"
        else:
            own = mark if _MARK.match(mark) else str(siblings[parents[i]])
            code = f"{codes[parents[i]]}.{own}" if parents[i] is not None else own
        base, n = code, 1
        while code in used:  # a mark or a key written twice stays two rows
            n += 1
            code = f"{base}_{n}"
        used.add(code)
        codes.append(code)
    return codes


def draft_yaml(entry: dict) -> str:
    """The entry as YAML, opening with what it is and what the steward does with it."""
    layout = entry["layout"]
    head = (f"# Drafted by `baocao forms draft` from {layout['drafted_from']}, table {layout['table']} "
            f"(line {layout['line']}, {layout['layout']}): review labels, units and totals before relying on it.\n"
            "# narrative_found: figures of the narrative equal to one cell; move the right ones into narrative:.\n")
    return head + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=120)


def draft_form(doc: Document, table_no: int, code: str | None = None, taken: frozenset[str] = frozenset()) -> dict:
    """The catalog entry (as config/forms/*.yaml holds it) for table `table_no` (1-based) of a read document; its
    code is never one of `taken` (a 2021-2025 'Biểu số 03' must not replace the catalog's BIEU_03)."""
    table = doc.tables[table_no - 1]
    codes = row_codes(table)
    parents = _parents(table)
    has_children = {p for p in parents if p is not None}
    tops = [i for i, row in enumerate(table.rows) if parents[i] is None and not row.is_total]
    title = table.title or f"Bảng {table_no}"
    form_code = re.sub(r"[^A-Z0-9_]+", "_", fold(code).upper())[:16] if code else form_key(table, table_no - 1)
    n = 1
    while form_code in taken:
        n += 1
        form_code = f"{form_code[:13].rstrip('_')}_D{n}"

    def item(i: int) -> dict:
        entry = {"code": codes[i], "label": _label(table, table.rows[i]) or codes[i]}
        unit = _unit(table, table.rows[i])
        entry["unit"] = unit or None
        if table.rows[i].order:
            entry["order"] = table.rows[i].order
        return entry

    def top_of(i: int) -> int:
        while parents[i] is not None:
            i = parents[i]
        return i

    if has_children:
        groups = [{"code": codes[t], "group": (table.rows[t].order or codes[t]).rstrip("."),
                   "label": _label(table, table.rows[t]) or codes[t],
                   "items": [item(i) for i in range(len(table.rows)) if i != t and not table.rows[i].is_total
                             and top_of(i) == t]} for t in tops]
    else:
        groups = [{"code": "G", "group": "", "label": title, "items": [item(i) for i in tops]}]
    totals = []
    for i, row in enumerate(table.rows):
        if row.is_total:
            parts, named = _total_parts(table.rows, i)
            totals.append({"code": codes[i], "label": _label(table, row), "unit": _unit(table, row) or None,
                           "sum_of": [codes[j] for j in parts], "formula": named})
    columns = [{"index": c.index, "code": c.code, "header": c.header, "role": c.role, "year": c.year,
                "measure": c.measure} for c in table.columns]
    return {
        "code": form_code, "number": table.form_no or "", "program": None, "title": title, "title_variants": [],
        "layout": {"drafted_from": doc.source, "table": table_no, "line": table.line, "layout": table.layout,
                   "decimal": table.decimal, "order_column": table.stt_col, "label_column": table.label_col,
                   "unit_column": table.unit_col, "columns": columns},
        "rows": groups, "totals": totals, "narrative": [],
        "narrative_found": narrative_phrases(doc, table, codes),
    }


def narrative_phrases(doc: Document, table: Table, codes: list[str]) -> list[dict]:
    """Sentences of the narrative that write one of the table's numbers, with the words right after it, for the
    steward to turn into `narrative:` entries (left out of them: a phrase links figures in every report)."""
    by_value: dict[float, list[tuple[str, str]]] = {}
    for i, row in enumerate(table.rows):
        for col in table.columns:
            if col.index < len(row.cells):
                value = read_value(row.cells[col.index].text, table.decimal)[0]
                if value is not None and value >= 10:  # small numbers are order marks, days and months
                    by_value.setdefault(value, []).append((codes[i], col.header))
    found = []
    for block in doc.blocks:
        for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?|(?<![\d.,])\d+(?:,\d+)?", block.text):
            number = parse_number(m[0])
            places = by_value.get(number.value) if number.value is not None else None
            if not places or len(places) > 1:  # a number the table writes twice names no single cell
                continue
            words = " ".join(block.text[m.end():].split()[:3]).rstrip(".,;:")
            if len(fold(words).split()) >= 2:
                found.append({"indicator": places[0][0], "column": places[0][1], "value": number.value,
                              "phrase": words, "line": block.line})
    return found


def drafted_form_for(table: Table, t_index: int, forms: dict[str, Form]) -> tuple[Form | None, list]:
    """The drafted entry for a table and its indicators per row: the entry with the table's form key as code, else
    one whose title matches; either only when it names at least 80 % of the table's rows (a key such as TABLE_1
    or a title such as 'Bảng 1' alone says little)."""
    drafted = [f for f in forms.values() if f.drafted]
    if not drafted or table.layout == "form" or not table.rows:
        return None, []
    key = form_key(table, t_index)
    titled = best_match(table.title, [(f, (f.title, *f.title_variants)) for f in drafted]).target
    for form in [f for f in drafted if f.code == key] + ([titled] if titled else []):
        indicators = indicators_for(table, form)
        if sum(1 for code, _ in indicators if code) >= 0.8 * len(indicators):
            return form, indicators
    return None, []


def indicators_for(table: Table, form: Form) -> list[tuple[str | None, float]]:
    """(indicator, how sure) per row: the row's code when the entry holds it under the same label, else the entry's
    row whose label is closest; None when no row of the entry is close enough."""
    known = {g.code: g.label for g in form.groups}
    known |= {i.code: i.label for i in form.indicators()}
    out = []
    for code, row in zip(row_codes(table), table.rows):
        label = _label(table, row)
        if code in known and label_score(label, known[code]) >= MATCH_THRESHOLD:
            out.append((code, label_score(label, known[code])))
            continue
        match = best_match(label, [(c, (text,)) for c, text in known.items()])
        out.append((match.target, match.score))
    return out
