"""A synthetic corpus of district reports whose tables come in every layout a province receives, with planted errors.

Synthetic, not real: every report says so in its first line. Each report has a narrative with a list of groups
under a stated total and one table the catalog does not know, laid out as TAB, pipe, space-aligned columns,
one cell per line, a .docx table or an .xlsx sheet (merged two-row headers there). Tables of households by
area have a coded column row (`A | B | 1 | 2 | 3 | 4=2+3 | 5`), two or three levels (I, 1, a), a rate column
and a `Tổng cộng (I+II)` row; space-aligned tables have indicators as rows and years as columns, dot decimals.
The manifest lists each planted error, the rows whose checks it breaks and the rules that may report it.
"""
from __future__ import annotations

import io
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tasks.synth.corpus import PROGRAM, SIGNERS, _communes, province_words, reporting_units, vn, vn_rate

LAYOUTS = ("tab", "pipe", "space", "cell", "docx", "xlsx")
SUFFIX = {"docx": ".docx", "xlsx": ".xlsx"}
MADE_UP = "Dữ liệu tổng hợp giả lập (synthetic, made up for testing baocao; not a real report)."
GROUP_NAMES = (("Khu vực thành thị", "Khu vực nông thôn"), ("Vùng thấp", "Vùng cao"), ("Cụm xã phía Bắc", "Cụm xã phía Nam"))
HEADERS = ["STT", "Đơn vị", "Tổng số hộ", "Hộ nghèo", "Hộ cận nghèo", "Hộ nghèo và cận nghèo", "Tỷ lệ hộ nghèo (%)"]
CODES = ["A", "B", "1", "2", "3", "4=2+3", "5"]
T, HN, HCN, SUM, RATE = range(5)
SUM_RULES = ("structure_sum", "structure_total", "coded_identity", "discovered_identity")
PLANTS = {
    "area": ("leaf_off", "parent_off", "total_off", "coded_off", "rate_off", "ragged", "fraction", "narrative_sum"),
    "years": ("rate_off", "count_off", "fraction", "ragged", "narrative_sum"),
}
RULES = {
    "leaf_off": SUM_RULES + ("rate_mismatch",), "parent_off": SUM_RULES, "total_off": SUM_RULES + ("rate_mismatch",),
    "coded_off": SUM_RULES, "rate_off": ("rate_mismatch",), "ragged": ("ragged_row",),
    "fraction": SUM_RULES + ("non_integer_count",), "count_off": ("rate_mismatch",), "narrative_sum": ("narrative_sum",),
}


@dataclass
class TRow:
    """One table row of the model: order mark, label, level (0 for the total), numbers, and cells written over."""

    order: str
    label: str
    level: int
    nums: list = field(default_factory=list)
    parent: int | None = None
    written: dict = field(default_factory=dict)  # column -> text written instead of the number (a planted error)
    ragged: int | None = None  # the column a short row leaves out


@dataclass
class SynthTable:
    """The model of one table: its title, shape ('area' or 'years'), header cells, rows."""

    title: str
    shape: str
    rows: list[TRow]
    years: list[int] = field(default_factory=list)
    three_levels: bool = False


def _rate(count: int, base: int) -> float:
    return round(100.0 * count / base, 2) if base else 0.0


def area_table(rng: random.Random, communes: tuple[str, ...], three_levels: bool) -> SynthTable:
    """Households by area: groups I, II of communes (and villages a, b under each for three levels), a total."""
    names = rng.choice(GROUP_NAMES)
    pool = list(communes) or ["Trung Tâm"]
    rng.shuffle(pool)
    rows: list[TRow] = []
    groups = []
    for g, name in enumerate(names):
        group_at = len(rows)
        rows.append(TRow(["I", "II"][g], name, 1))
        groups.append(group_at)
        kids = []
        for k in range(rng.randint(2, 4)):
            label = f"Xã {pool[(g * 4 + k) % len(pool)]}"
            at = len(rows)
            rows.append(TRow(str(k + 1), label, 2, parent=group_at))
            kids.append(at)
            if three_levels:
                for v in range(rng.randint(2, 3)):
                    rows.append(TRow("abc"[v], f"Thôn {v + 1}", 3, parent=at))
    for row in rows:
        if not any(r.parent is not None and rows[r.parent] is row for r in rows):
            base = rng.randint(300, 3000)
            poor, near = round(base * rng.uniform(0.02, 0.3)), round(base * rng.uniform(0.02, 0.2))
            row.nums = [base, poor, near, poor + near, _rate(poor, base)]
    for i in range(len(rows) - 1, -1, -1):  # parents after their children: bottom-up
        if not rows[i].nums:
            kids = [r for r in rows if r.parent is not None and rows[r.parent] is rows[i]]
            sums = [sum(k.nums[c] for k in kids) for c in (T, HN, HCN, SUM)]
            rows[i].nums = sums + [_rate(sums[1], sums[0])]
    total = [sum(rows[g].nums[c] for g in groups) for c in (T, HN, HCN, SUM)]
    rows.append(TRow("", "Tổng cộng (I+II)", 0, total + [_rate(total[1], total[0])]))
    title = "Kết quả rà soát hộ nghèo, hộ cận nghèo theo đơn vị"
    return SynthTable(title, "area", rows, three_levels=three_levels)


def years_table(rng: random.Random, last: int) -> SynthTable:
    """Indicators by year: households, poor, near-poor, the poverty rate, written with dot decimals."""
    years = list(range(last - 4, last + 1))
    base = [rng.randint(20_000, 90_000)]
    for _ in years[1:]:
        base.append(base[-1] + rng.randint(100, 900))
    poor = [round(b * rng.uniform(0.03, 0.2)) for b in base]
    near = [round(b * rng.uniform(0.02, 0.1)) for b in base]
    rows = [TRow("", "Tổng số hộ", 1, base), TRow("", "Số hộ nghèo", 1, poor), TRow("", "Số hộ cận nghèo", 1, near),
            TRow("", "Tỷ lệ hộ nghèo", 1, [_rate(p, b) for p, b in zip(poor, base)])]
    return SynthTable("Một số chỉ tiêu giảm nghèo của huyện", "years", rows, years=years)


def plant(rng: random.Random, table: SynthTable, kind: str, narrative: dict) -> dict:
    """Write one error into the model; the entry names its kind, rows (by index, -1 the narrative) and rules."""
    rows = table.rows
    entry = {"kind": kind, "rules": list(RULES[kind])}
    if kind == "narrative_sum":
        delta = rng.choice([-30, -7, -2, 3, 11, 40])
        narrative["stated"] = narrative["total"] + delta
        return entry | {"rows": [-1], "written": narrative["stated"], "correct": narrative["total"]}
    if table.shape == "years":
        col = rng.randrange(len(table.years))
        if kind == "rate_off":
            at = 3
            rows[at].written[col] = f"{rows[at].nums[col] + rng.choice([-1.5, -0.4, 0.3, 0.8, 2.1]):.2f}"
            affected = [3]
        elif kind == "count_off":
            at = 1
            rows[at].written[col] = f"{rows[at].nums[col] + rng.choice([-900, -300, 250, 700]):.2f}"
            affected = [1, 3]
        elif kind == "fraction":
            at = 2
            rows[at].written[col] = f"{rows[at].nums[col]}.{rng.randint(11, 89)}"
            affected = [2]
        else:  # ragged: the row stops one value short, as real rows do (its values still read from the left)
            at, col = rng.choice([0, 2]), len(table.years) - 1
            rows[at].ragged = col
            affected = [at]
        return entry | {"rows": affected, "label": rows[at].label, "column": table.years[col]}
    leaves = [i for i, r in enumerate(rows) if r.level == (3 if table.three_levels else 2)]
    leaf = rng.choice(leaves)
    parent = rows[leaf].parent
    if kind == "leaf_off":
        at, col, affected = leaf, HN, [leaf, parent]
        rows[at].written[col] = vn(rows[at].nums[col] + rng.choice([-3, -1, 2, 5, 9]))
    elif kind == "parent_off":
        at = rng.choice([i for i, r in enumerate(rows) if r.level == 1])
        col, affected = HCN, [at, len(rows) - 1]
        rows[at].written[col] = vn(rows[at].nums[col] + rng.choice([-4, -1, 2, 6]))
    elif kind == "total_off":
        at, col, affected = len(rows) - 1, T, [len(rows) - 1]
        rows[at].written[col] = vn(rows[at].nums[col] + rng.choice([-1, 1]) * max(200, rows[at].nums[col] // 20))
    elif kind == "coded_off":
        at, col, affected = leaf, SUM, [leaf, parent]
        rows[at].written[col] = vn(rows[at].nums[col] + rng.choice([-2, 1, 3, 10]))
    elif kind == "rate_off":
        at, col, affected = leaf, RATE, [leaf]
        rows[at].written[col] = vn_rate(rows[at].nums[col] + rng.choice([-1.5, -0.6, 0.4, 1.2, 3.0]))
    elif kind == "fraction":
        at, col, affected = leaf, HCN, [leaf, parent]
        rows[at].written[col] = f"{rows[at].nums[col]},5"
    else:  # ragged: the row stops before its last cell (its rate), as real rows do
        at, col, affected = leaf, RATE, [leaf]
        rows[at].ragged = col
    return entry | {"rows": affected, "label": rows[at].label, "column": HEADERS[col + 2]}


def cell_texts(table: SynthTable, row: TRow, decimal: str = "comma") -> list[str]:
    """The row's value cells as written: Vietnamese numbers, or dot decimals; planted texts where there are some."""
    out = []
    for c, value in enumerate(row.nums):
        if c in row.written:
            out.append(row.written[c])
        elif decimal == "dot":
            out.append(f"{value:.2f}")
        else:
            out.append(vn_rate(value) if (table.shape == "area" and c == RATE) else vn(value))
    return out if row.ragged is None else out[:row.ragged] + out[row.ragged + 1:]


# ---- the report around the table -----------------------------------------------------------------

@dataclass
class SynthReport:
    """A district's report with one table of some layout."""

    lines: list[str]  # header and narrative, one paragraph a line
    table: SynthTable
    narrative_at: int  # index in `lines` of the sentence with the list under a stated total
    year: int
    narrative: dict = field(default_factory=dict)  # the list's parts, its total, and the total as stated


def build(rng: random.Random, unit, layout: str) -> SynthReport:
    """The report's header, narrative (with a list under a stated total) and table, before any error."""
    year = rng.randint(2021, 2024)
    day = date(year, 12, rng.randint(1, 28))
    kind = unit.called.split(" ")[0] if unit.called else "huyện"
    communes = _communes().get(unit.code, ()) or ("Trung Tâm",)
    three = layout != "cell" and rng.random() < 0.5  # one cell per line marks rows by I and 1 only
    table = years_table(rng, year) if layout == "space" else area_table(rng, communes, three)
    if table.shape == "area":
        parts = [(r.label, r.nums[HN]) for r in table.rows if r.level == 1]
    else:
        parts = [("khu vực thành thị", table.rows[1].nums[-1] // 3)]
        parts.append(("khu vực nông thôn", table.rows[1].nums[-1] - parts[0][1]))
    narrative = {"total": sum(p for _, p in parts), "parts": parts}
    lines = [MADE_UP, f"UBND {unit.called.upper()}", f"Số: {rng.randint(100, 2999)}/BC-UBND",
             f"{unit.plain}, ngày {day.day} tháng {day.month} năm {day.year}", "BÁO CÁO",
             f"Kết quả rà soát hộ nghèo, hộ cận nghèo năm {year} thuộc {PROGRAM} giai đoạn 2021-2025",
             f"Thực hiện chỉ đạo của UBND {province_words(unit)}, UBND {unit.called} báo cáo kết quả rà soát hộ "
             f"nghèo, hộ cận nghèo năm {year} như sau:", "I. KẾT QUẢ RÀ SOÁT", "", "II. KIẾN NGHỊ",
             "Đề nghị cấp trên tiếp tục hỗ trợ kinh phí cho các xã đặc biệt khó khăn.",
             "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", rng.choice(SIGNERS)]
    return SynthReport(lines, table, 8, year, narrative)


def _list_sentence(narrative: dict, year: int) -> str:
    parts = ", ".join(f"{name[0].lower() + name[1:]} {vn(n)} hộ" for name, n in narrative["parts"])
    stated = narrative.get("stated", narrative["total"])
    return f"Năm {year}, toàn huyện có {vn(stated)} hộ nghèo, trong đó {parts}."


def _header_lines(table: SynthTable, sep: str, coded: bool) -> list[list[str]]:
    if table.shape == "years":
        return [["Chỉ tiêu", "ĐVT", *map(str, table.years)]]
    return [HEADERS] + ([CODES] if coded else [])


def _body(table: SynthTable, decimal: str = "comma") -> list[list[str]]:
    if table.shape == "years":
        return [[r.label, "%" if r.label.startswith("Tỷ lệ") else "hộ", *cell_texts(table, r, "dot")] for r in table.rows]
    return [[r.order, r.label, *cell_texts(table, r)] for r in table.rows]


def write_text(report: SynthReport, layout: str, year: int) -> tuple[bytes, list]:
    """TAB, pipe, space-aligned or one-cell-per-line text; returns the bytes and each model row's lines (1-based)."""
    lines = list(report.lines[:report.narrative_at])
    lines += ["", _list_sentence(report.narrative, year), ""]
    lines += [report.table.title, ""]
    places: list = []
    if layout == "cell":
        for text in HEADERS:
            lines.append(text)
        for cells in _body(report.table):
            first = len(lines) + 1
            lines += [c if c else " " for c in cells]
            places.append(("line", first, len(lines)))
    else:
        sep = {"tab": "\t", "pipe": " | ", "space": "  "}[layout]
        for cells in _header_lines(report.table, sep, coded=layout != "space"):
            lines.append(sep.join(cells))
        for cells in _body(report.table):
            lines.append(sep.join(cells))
            places.append(("line", len(lines), len(lines)))
    lines += ["", *report.lines[report.narrative_at + 1:]]
    narrative_line = report.narrative_at + 2
    return ("\n".join(lines) + "\n").encode("utf-8"), places + [("line", narrative_line, narrative_line)]


def write_docx(report: SynthReport, year: int) -> tuple[bytes, list]:
    """A Word file: paragraphs, then the table with a two-row merged header and the coded column row."""
    from docx import Document as new_docx

    word = new_docx()
    for text in report.lines[:report.narrative_at]:
        word.add_paragraph(text)
    word.add_paragraph(_list_sentence(report.narrative, year))
    word.add_paragraph(report.table.title)
    body = _body(report.table)
    grid = word.add_table(rows=3 + len(body), cols=7)
    top = ["STT", "Đơn vị", "Tổng số hộ", "Số hộ", "", "", "Tỷ lệ hộ nghèo (%)"]
    for k, text in enumerate(top):
        grid.cell(0, k).text = text
    for k, text in ((3, "Hộ nghèo"), (4, "Hộ cận nghèo"), (5, "Hộ nghèo và cận nghèo")):
        grid.cell(1, k).text = text
    for k in (0, 1, 2, 6):
        grid.cell(0, k).merge(grid.cell(1, k))
    grid.cell(0, 3).merge(grid.cell(0, 5)).text = "Số hộ"
    for k, text in enumerate(CODES):
        grid.cell(2, k).text = text
    for r, cells in enumerate(body):
        for k, text in enumerate(cells):
            grid.cell(3 + r, k).text = text
    for text in report.lines[report.narrative_at + 1:]:
        word.add_paragraph(text)
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue(), [("docx", 4 + r) for r in range(len(body))] + [("narrative",)]


def write_xlsx(report: SynthReport, year: int) -> tuple[bytes, list]:
    """An Excel sheet: one paragraph a row, then the table with merged header cells; numbers stored as numbers."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    r = 1
    for text in [*report.lines[:report.narrative_at], _list_sentence(report.narrative, year), "", report.table.title]:
        sheet.cell(row=r, column=1, value=text or None)
        r += 1
    head = r
    for k, text in enumerate(["STT", "Đơn vị", "Tổng số hộ", "Số hộ", None, None, "Tỷ lệ hộ nghèo (%)"], start=1):
        sheet.cell(row=head, column=k, value=text)
    for k, text in ((4, "Hộ nghèo"), (5, "Hộ cận nghèo"), (6, "Hộ nghèo và cận nghèo")):
        sheet.cell(row=head + 1, column=k, value=text)
    sheet.merge_cells(start_row=head, start_column=4, end_row=head, end_column=6)
    for k in (1, 2, 3, 7):
        sheet.merge_cells(start_row=head, start_column=k, end_row=head + 1, end_column=k)
    for k, text in enumerate(CODES, start=1):
        sheet.cell(row=head + 2, column=k, value=text)
    places = []
    for i, row in enumerate(report.table.rows):
        at = head + 3 + i
        sheet.cell(row=at, column=1, value=row.order or None)
        sheet.cell(row=at, column=2, value=row.label)
        for c, value in enumerate(row.nums):
            if c in row.written:
                text = row.written[c]
                value = float(text.replace(".", "").replace(",", ".")) if any(ch.isdigit() for ch in text) else text
            sheet.cell(row=at, column=3 + c, value=value)
        places.append(("xlsx", at))
    r = head + 3 + len(report.table.rows) + 1
    for text in report.lines[report.narrative_at + 1:]:
        sheet.cell(row=r, column=1, value=text or None)
        r += 1
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue(), places + [("narrative",)]


def synth_layouts(n: int, out: Path, *, seed: int = 0, error_rate: float = 0.5) -> dict:
    """Write n reports, layouts in turn, into out/inbox/ and the manifest (planted errors, their rows and rules)."""
    out = Path(out)
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    units = list(reporting_units())
    random.Random(f"{seed}:layout-units").shuffle(units)
    files, errors = [], []
    for i in range(n):
        rng = random.Random(f"{seed}:layouts:{i}")
        unit, layout = units[i % len(units)], LAYOUTS[i % len(LAYOUTS)]
        report = build(rng, unit, layout)
        narrative, year = report.narrative, report.year
        planted = []
        if rng.random() < error_rate:
            menu = [k for k in PLANTS[report.table.shape] if not (k == "ragged" and layout in ("cell", "docx", "xlsx"))]
            planted.append(plant(rng, report.table, menu[len(errors) % len(menu)], narrative))
        if layout in ("docx", "xlsx"):
            data, places = (write_docx if layout == "docx" else write_xlsx)(report, year)
        else:
            data, places = write_text(report, layout, year)
        name = f"{i:05d}_{unit.code}_{layout}{SUFFIX.get(layout, '.txt')}"
        (inbox / name).write_bytes(data)
        for entry in planted:
            entry["places"] = [places[r] for r in entry.pop("rows")]
        files.append({"file": name, "layout": layout, "unit_code": unit.code, "errors": len(planted),
                      "levels": 3 if report.table.three_levels else (2 if report.table.shape == "area" else 1)})
        errors += [{"file": name, "layout": layout, **e} for e in planted]
    manifest = {"seed": seed, "submissions": n, "error_rate": error_rate, "layouts": list(LAYOUTS), "files": files,
                "errors": errors}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                       encoding="utf-8")
    return manifest


def _place_of(finding) -> tuple:
    """Where a finding stands, as the manifest names places: a text line, a docx table row, an xlsx sheet row."""
    source = finding.source or ""
    if m := re.match(r"T\d+:R(\d+):C\d+$", source):
        return ("docx", int(m[1]))
    if m := re.search(r"![A-Z]+(\d+)$", source):
        return ("xlsx", int(m[1]))
    return ("line", finding.line)


def _explains(entry: dict, finding, layout: str) -> bool:
    if finding.rule not in entry["rules"]:
        return False
    kind, *where = _place_of(finding)
    for place in entry["places"]:
        if place[0] == "narrative" and finding.rule == "narrative_sum":
            return True
        if place[0] == "line" and kind == "line" and finding.line is not None and place[1] <= finding.line <= place[2]:
            return True
        if place[0] == kind and place[0] in ("docx", "xlsx") and where and place[1] == where[0]:
            return True
    return False


def score(manifest: dict, results: list) -> dict:
    """Recall of planted errors (a warning or error by one of its rules on one of its rows) and every warning or
    error that no planted error explains."""
    by_file = {}
    for e in manifest["errors"]:
        by_file.setdefault(e["file"], []).append(e)
    layouts = {f["file"]: f["layout"] for f in manifest["files"]}
    found, missed, stray = 0, [], []
    for result in results:
        planted = by_file.get(result.source, [])
        alarms = [f for f in result.findings if f.severity in ("warning", "error")]
        for entry in planted:
            if any(_explains(entry, f, layouts[result.source]) for f in alarms):
                found += 1
            else:
                missed.append({"file": result.source, "kind": entry["kind"], "label": entry.get("label")})
        stray += [{"file": result.source, "rule": f.rule, "source": f.source, "message": f.message_en}
                  for f in alarms if not any(_explains(e, f, layouts[result.source]) for e in planted)]
    total = len(manifest["errors"])
    return {"reports": len(results), "planted": total, "found": found, "recall": found / total if total else 1.0,
            "missed": missed, "stray": stray}
