"""Turn a Document's annex tables into cells: one row per numeric cell of a catalogued layout.

Cells include the blank ones (reconciliation needs to know where a total was left blank);
facts are the cells that hold a reported number or a dash.
"""
from __future__ import annotations

import re
from difflib import get_close_matches
from functools import lru_cache

import pandas as pd

from config.catalog import Form, Group, Match, best_match, form_for, load_forms
from config.messages import finding, rules
from contracts.document import Cell, Document, Table, TableRow
from contracts.facts import FACT_COLUMNS, VALUE_KINDS
from contracts.findings import Finding
from contracts.vietnamese import fold
from contracts.vietnamese import format_number, parse_number, read_stored
from tasks.check.drafts import drafted_form_for
from tasks.check.structure import tabulate_layout

_GROUP_NO = re.compile(r"^(\d{1,2}|[IVX]{1,4})\.?$")
_FORMULA = re.compile(r"=\s*\(?\s*[\d\s+]+\)?\s*$")

# A cell record: a tuple of these, in this order (a batch's records become one frame; a dict a cell cost 0.06 ms a
# report more to make, and as much again to turn into a tuple for the frame)
CELL_COLUMNS = FACT_COLUMNS + ["form_label", "table", "row", "is_total", "stt", "catalogued"]
CELL = {name: k for k, name in enumerate(CELL_COLUMNS)}  # a cell record's positions by column name


def tabulate(doc: Document, forms: dict[str, Form] | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Every numeric cell of every annex, placed by form, indicator, year and measure."""
    records, findings = tabulate_records(doc, forms)
    return pd.DataFrame.from_records(records, columns=CELL_COLUMNS), findings


def tabulate_records(doc: Document, forms: dict[str, Form] | None = None) -> tuple[list[tuple], list[Finding]]:
    """tabulate() as plain records (tuples in CELL_COLUMNS' order), so a batch builds one frame for all its
    documents."""
    forms = forms if forms is not None else load_forms()
    catalog = {code: form for code, form in forms.items() if not form.drafted}  # drafts place only their own table
    records: list[tuple] = []
    findings: list[Finding] = []
    for t_index, table in enumerate(doc.tables):
        if table.layout != "form":
            drafted, indicators = drafted_form_for(table, t_index, forms)
            match = form_for(table.form_no, table.title, catalog) if table.form_no and not drafted else None
            if match is None or match.target is None:
                records_t, findings_t = tabulate_layout(doc.sha256, t_index, table, drafted and drafted.code,
                                                        indicators)
                records.extend(records_t)
                findings.extend(findings_t)
                continue
        match = form_for(table.form_no, table.title, catalog)
        if match.target is None:
            known = ", ".join(sorted(catalog))
            suggested = f"BIEU_{table.form_no}" if table.form_no else "BIEU_XX"
            findings.append(finding(
                "unknown_form", source=table.ref, line=table.line,
                label=table.form_label or table.title, known=known, suggested=suggested,
            ))
            continue
        form: Form = match.target
        form_label = f"Biểu {form.number}"
        records_t, findings_t = _tabulate_table(doc.sha256, t_index, table, form, form_label)
        records.extend(records_t)
        findings.extend(findings_t)
    return records, findings


def facts_of(cells: pd.DataFrame) -> pd.DataFrame:
    """The reported numbers: cells that hold a value or a dash (blank and malformed cells are not facts)."""
    return cells.loc[cells["kind"].isin(VALUE_KINDS), FACT_COLUMNS].reset_index(drop=True)


def _cell(row: TableRow, index: int | None) -> Cell:
    if index is not None and index < len(row.cells):
        return row.cells[index]
    col = (index or 0) + 1
    return Cell(text="", ref=f"{row.ref}:C{col}" if row.ref else f"C{col}", line=row.line, column=col)


def _tabulate_table(sha: str, t_index: int, table: Table, form: Form, form_label: str):
    records: list[tuple] = []
    findings: list[Finding] = []
    group: Group | None = None
    group_no: str | None = None
    for r_index, row in enumerate(table.rows):
        stt = _cell(row, table.stt_col).text if table.stt_col is not None else ""
        label_cell = _cell(row, table.label_col)
        label = label_cell.text
        values = [(col, _cell(row, col.index)) for col in table.columns]
        has_numbers = any(c.text for _, c in values)
        if not label and not has_numbers:
            continue
        kind, match, unit = "item", Match(None, 0.0), None
        if _GROUP_NO.match(stt) and not _FORMULA.search(label):
            kind = "group"
            group_no = stt.rstrip(".")
            by_number = [g for g in form.groups if g.number == group_no]
            match = best_match(label, [(g, (g.label, *g.variants)) for g in by_number or form.groups])
            group = match.target
            indicator = group.code if group else None
        elif _FORMULA.search(label) or fold(label).startswith("tong cong"):
            kind = "total"
            written = label.split("=")[0].strip()
            match = best_match(written, [(t, (t.label, *t.variants)) for t in form.totals])
            indicator = match.target.code if match.target else None
            unit = match.target.unit if match.target else None
        else:
            candidates = group.items if group else ()
            match = best_match(label, [(i, (i.label, *i.variants)) for i in candidates])
            indicator = match.target.code if match.target else None
            unit = match.target.unit if match.target else None
        written_unit = _cell(row, table.unit_col).text if table.unit_col is not None else ""
        unit = unit or written_unit or None
        if match.target is None and (has_numbers or kind == "group"):
            closest = _closest(label, form, group)
            findings.append(finding(
                "uncatalogued_row", form_label=form_label, source=label_cell.ref, line=row.line,
                form=form.code, label=label, group=group_no, closest=closest,
                score=f"{match.score:.2f}",
            ))
        counts = fold(unit or "") in _count_units()
        row_group, score, is_total = group_no if kind != "total" else None, round(match.score, 3), kind == "total"
        for col, cell in values:
            number = parse_number(cell.text) if cell.stored is None else read_stored(cell.stored, cell.text, counts)
            fraction = cell.stored if cell.stored is not None else number.value
            if counts and cell.stored is None and number.kind == "number" and not float(number.value).is_integer():
                number = read_stored(number.value, cell.text, True)  # "1,568" people typed the English way
            records.append((  # CELL_COLUMNS
                sha, form.code, row_group, label, indicator, unit, col.year, col.measure, number.value, cell.text,
                number.kind, cell.ref, col.header, cell.line, score, form_label, t_index, r_index, is_total, stt, True,
            ))
            if number.kind == "malformed":
                findings.append(finding(
                    "malformed_number", form_label=form_label, source=cell.ref, line=cell.line,
                    form=form.code, label=label, year=col.year, measure=col.measure, actual=cell.text,
                ))
            elif number.kind in ("repaired", "ambiguous"):
                findings.append(_locale_finding(number, fraction, cell, form_label, form.code, label, col, unit))
            elif number.kind == "dot_decimal":
                findings.append(finding(
                    "dot_decimal", form_label=form_label, source=cell.ref, line=cell.line,
                    form=form.code, label=label, year=col.year, measure=col.measure, actual=cell.text,
                    value=number.value,
                ))
    return records, findings


def _closest(label: str, form: Form, group: Group | None) -> str:
    """The catalogued label nearest to an unknown one, to help the steward map it."""
    pool = [i.label for i in (group.items if group else form.indicators())] + [g.label for g in form.groups]
    close = get_close_matches(fold(label), [fold(p) for p in pool], n=1, cutoff=0)
    return next((p for p in pool if close and fold(p) == close[0]), "")


@lru_cache(maxsize=1)
def _count_units() -> frozenset[str]:
    """Units that count whole things (config/rules.yaml), folded."""
    return frozenset(fold(u) for u in rules()["locale_number_repaired"].get("count_units", ()))


def _locale_finding(number, stored: float, cell: Cell, form_label: str, form_code: str, label: str, col, unit) -> Finding:
    """A count read as a fraction (an English-locale workbook or writer): both readings, repaired or not."""
    whole, _, frac = repr(abs(stored)).partition(".")
    common = dict(form_label=form_label, source=cell.ref, line=cell.line, form=form_code, label=label,
                  year=col.year, measure=col.measure, unit=unit or "", stored_vi=cell.text, stored_en=repr(stored))
    if number.kind == "repaired":
        value = int(number.value)
        typed = f"{whole}.{frac}" if cell.stored is not None else cell.text
        return finding("locale_number_repaired", expected=value, actual=stored, typed=typed,
                       repaired_vi=format_number(value), repaired_en=str(value), **common)
    thousands = int(whole) * 1000 + int((frac + "000")[:3]) if len(frac) < 3 and whole.isdigit() else None
    options_vi = [format_number(thousands)] if thousands else []
    options_en = [str(thousands)] if thousands else []
    return finding("locale_number_ambiguous", expected=None, actual=stored,
                   candidates_vi=" hay ".join(options_vi + [cell.text]), candidates_en=" or ".join(options_en + [repr(stored)]),
                   **common)
