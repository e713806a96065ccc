"""Find tables in lines of text that no "Biểu số" line announces: pipe, TAB, space-aligned, one cell per line.

Each is built into the same contracts.document.Table as a catalogued annex, with what the table itself
says: its header rows, its coded column row (`A B 1 2 3`, `(3)=(1)+(2)`), the role of each column (order,
label, unit, value, rate, note), its row hierarchy from the order marks, its total rows, and whether its
numbers are written the Vietnamese way (1.886) or with a decimal dot (412204.00).
"""
from __future__ import annotations

import re

from contracts.document import Cell, ColumnSpec, Table, TableRow
from contracts.vietnamese import fold, squash

_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_NUMBER_TOKEN = re.compile(r"^[-+−]?\d[\d.,]*%?$")
_ROMAN = re.compile(r"^(?=[IVXL])(X{0,3})(IX|IV|V?I{0,3})\.?$")
_ORDER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]?$")
_LABEL_ORDER = re.compile(r"^\s*(\d{1,2}|[IVX]{1,4}|\*)\s*[.)]\s*(?=\S)")
_CODED = re.compile(r"^(?:[A-Z]|\(?\d{1,2}\)?(?:\s*=.*)?)$")
_FORMULA = re.compile(r"\(\s*([IVX\d]+(?:\s*[+\-]\s*[IVX\d]+)+)\s*\)\s*$")
_TOTAL_WORDS = ("tong cong", "cong", "tong so", "toan tinh", "ca nuoc", "tong")
_UNIT_WORDS = {
    "%", "ho", "nguoi", "ty dong", "trieu dong", "nghin dong", "dong", "usd", "vnd", "trieu usd", "ha", "tan",
    "km", "xa", "lop", "luot", "luot nguoi", "con", "cai", "chiec", "m2", "m3", "kg", "nghin tan", "tr.dong",
    "trieu", "ty", "nam", "thang", "lan", "buoi", "thon", "ban", "tram", "hoc vien",
}
_HEADER_STARTS = ("tt", "stt", "so tt", "chi tieu", "noi dung", "ten chi tieu")
_YEAR_ONLY = re.compile(r"\s*(?:19|20)\d{2}\s*")
# A line of prose is long and ends in a word or a stop; a table line is short (one cell) or ends in a number
# (a row of values, a header of years). Only these are looked at further, so prose costs one pass in C.
_TABLE_LINE_ENDS = frozenset("0123456789 ")


def find_tables(lines: list[str], end: int | None = None) -> list[Table]:
    """Every table in lines[:end] laid out as pipe, TAB, space-aligned or one-cell-per-line text."""
    end = len(lines) if end is None else end
    text = "\n".join(lines[:end])
    maybe = [i for i, line in enumerate(lines[:end]) if 0 < len(line) < 24 or line[-1:] in _TABLE_LINE_ENDS]
    short = [i for i in maybe if len(lines[i]) < 24]

    def lines_with(mark: str) -> list[int]:
        """The lines holding a column mark ('|', TAB), found only if the text holds one at all."""
        return [i for i, line in enumerate(lines[:end]) if mark in line] if mark in text else []

    tables: list[Table] = []
    taken: set[int] = set()
    finders = (
        (_pipe_blocks, lines_with("|")),
        (_tab_blocks, lines_with("\t")),
        (_space_blocks, maybe),
        (_keyword_cell_blocks, short),
        (_keyed_cell_blocks, [i for i in maybe if _YEAR_ONLY.fullmatch(lines[i])]),
    )
    for finder, candidates in finders:
        if not candidates:
            continue
        for table, used in finder(lines, end, taken, candidates):
            tables.append(table)
            taken.update(used)
    tables.sort(key=lambda t: t.line or 0)
    return tables


def table_lines(table: Table) -> set[int]:
    """The 0-based lines a table's header and rows stand on, so the narrative leaves them out."""
    used = {c.line - 1 for r in table.header_rows for c in r if c.line}
    used |= {c.line - 1 for r in table.rows for c in r.cells if c.line}
    return used


def _blocks_where(taken: set[int], candidates: list[int], min_lines: int = 3):
    """Runs of consecutive candidate lines no other table holds, at least min_lines long."""
    block: list[int] = []
    for i in [*candidates, -2]:
        if i not in taken and block and i == block[-1] + 1:
            block.append(i)
            continue
        if len(block) >= min_lines:
            yield block
        block = [i] if i >= 0 and i not in taken else []


def _pipe_blocks(lines, end, taken, candidates):
    for block in _blocks_where(taken, candidates):
        rows = [(i, [squash(c) for c in lines[i].strip().strip("|").split("|")]) for i in block]
        if len(rows[-1][1]) < 3:  # a row the text stops inside: "Tổng cộng (I+II) | 11,34 "
            rows[-1] = (rows[-1][0], [squash(c) for c in lines[rows[-1][0]].split("|")])
        table = _build(lines, rows, "pipe")
        if table:
            yield table, set(block)


def _tab_blocks(lines, end, taken, candidates):
    for block in _blocks_where(taken, candidates):
        table = _build(lines, [(i, [squash(c) for c in lines[i].split("\t")]) for i in block], "tab")
        if table:
            yield table, set(block)


def _split_space_row(line: str) -> list[str] | None:
    """'Tổng số hộ hộ 412204.00 421820.00' -> ['Tổng số hộ', 'hộ', '412204.00', '421820.00']."""
    tokens = line.split()
    values: list[str] = []
    while tokens and _NUMBER_TOKEN.match(tokens[-1]) and not (len(tokens) == 1 and _LABEL_ORDER.match(tokens[0] + " x")):
        values.insert(0, tokens.pop())
    if not tokens:
        return None
    unit = ""
    for size in (3, 2, 1):
        if len(tokens) > size and fold(" ".join(tokens[-size:])) in _UNIT_WORDS:
            unit = " ".join(tokens[-size:])
            tokens = tokens[:-size]
            break
    return [" ".join(tokens), unit, *values]


def _space_blocks(lines, end, taken, candidates):
    done = 0
    for i in candidates:
        header = lines[i]
        years = _YEAR.findall(header)
        if i < done or i in taken or len(years) < 3 or "\t" in header or "|" in header:
            continue
        head_tokens = header.split()
        first_year = next((k for k, t in enumerate(head_tokens) if _YEAR.fullmatch(t)), None)
        if first_year is None or len(head_tokens) - first_year != len(years):
            continue
        words = " ".join(head_tokens[:first_year])
        has_unit = any(u in fold(words) for u in ("don vi", "dv tinh", "dvt"))
        label_head = words
        unit_head = ""
        if has_unit:
            k = fold(words).find("d")
            cut = [m.start() for m in re.finditer(r"(?i)(đơn vị|ĐV|đv|ĐVT)", words)]
            label_head, unit_head = (words[:cut[0]].strip(), words[cut[0]:].strip()) if cut else (words, "")
        header_cells = [label_head, unit_head, *years]
        rows = [(i, header_cells)]
        j, quiet = i + 1, 0
        while j < end and j not in taken and lines[j].strip() and quiet < 2:
            parts = _split_space_row(lines[j])
            if parts is None:
                break
            quiet = quiet + 1 if len(parts) == 2 else 0
            rows.append((j, parts))
            j += 1
        while len(rows) > 1 and len(rows[-1][1]) == 2 and quiet and rows[-1][0] == j - 1 and j < end:
            rows.pop()
            j -= 1
        if sum(1 for _, p in rows[1:] if len(p) > 2) >= 2:
            table = _build(lines, rows, "space", header_count=1)
            if table:
                yield table, set(range(i, j))
        done = j


def _cells_of(lines, start, end):
    """(line, text) for each cell from `start`: every line that is not empty; a line of spaces is a blank cell."""
    return [(k, squash(lines[k])) for k in range(start, end) if lines[k] != ""]


def _keyword_cell_blocks(lines, end, taken, candidates):
    """A header of cells starting 'TT'/'Stt' then 'Chỉ tiêu', one cell per line, rows starting at an order mark."""
    done = 0
    for i in candidates:
        if i < done or i in taken or fold(lines[i].strip()) not in ("tt", "stt", "so tt"):
            continue
        cells = _cells_of(lines, i, end)
        second = fold(cells[1][1]) if len(cells) > 1 else ""
        if not second.startswith(("chi tieu", "noi dung", "ten", "don vi", "dia ban", "huyen")):
            continue
        width = next((k for k, (_, t) in enumerate(cells) if k >= 3 and _is_order(t)), None)
        if width is None:
            continue
        header = cells[:width]
        rows: list[tuple[int, list[str], list[int]]] = []
        current: list[tuple[int, str]] = []
        body = cells[width:]
        for k, (line, text) in enumerate(body):
            opens = _is_order(text) or (text == "" and len(current) >= width - 1)
            if current and opens and len(current) < width and _fills_row(body, k - len(current), width):
                opens = False  # '79' households inside a row that has room for it, not the row's order mark
            if current and opens:
                rows.append(current)
                current = []
            elif len(current) >= width:  # a full row and no next one: the table has ended, prose follows
                break
            if len(current) > 2 * width:  # prose after the table
                break
            current.append((line, text))
        if current and len(current) <= 2 * width:
            rows.append(current)
        if len(rows) < 2:
            continue
        table = _build_cells(lines, header, rows, "cell_per_line")
        used = {line for line, _ in header} | {line for r in rows for line, _ in r}
        yield table, set(range(min(used), max(used) + 1))
        done = max(used) + 1


def _fills_row(body: list[tuple[int, str]], start: int, width: int) -> bool:
    """A row opening at `start` takes exactly `width` cells: what follows them opens a row or ends the table."""
    after = start + width
    if after > len(body):
        return False
    if after == len(body):
        return True
    text = body[after][1]
    return _is_order(text) or text == "" or fold(text).startswith(_TOTAL_WORDS)


def _keyed_cell_blocks(lines, end, taken, candidates):
    """A yearbook table exported one cell per line: header cells, then a year and k numbers, repeated."""
    cells = [(k, lines[k].strip()) for k in range(end) if lines[k].strip() and k not in taken]
    n = len(cells)
    i = 0
    while i < n:
        if not re.fullmatch(r"(?:19|20)\d{2}", cells[i][1]):
            i += 1
            continue
        width = 0
        while i + 1 + width < n and _is_number(cells[i + 1 + width][1]) \
                and not re.fullmatch(r"(?:19|20)\d{2}", cells[i + 1 + width][1]):
            width += 1
        if width < 1:
            i += 1
            continue
        rows = []
        j = i
        while j + width < n and re.fullmatch(r"(?:19|20)\d{2}", cells[j][1]) \
                and all(_is_number(cells[j + 1 + m][1]) for m in range(width)):
            rows.append(cells[j:j + width + 1])
            j += width + 1
        if len(rows) < 3:
            i += 1
            continue
        before = [t for _, t in cells[max(0, i - 12):i] if not _is_number(t)]
        names = list(dict.fromkeys(t for t in before if not t.isascii()))  # the Vietnamese cells, not the English
        names = names[-width:] if len(names) >= width else [f"Cột {m + 1}" for m in range(width)]
        header_line = cells[max(0, i - len(before))][0] if before else cells[i][0]
        header = [(header_line, "Năm")] + [(header_line, t) for t in names]
        table = _build_cells(lines, header, rows, "cell_per_line", key_is_year=True)
        yield table, {line for r in rows for line, _ in r}
        i = j


def _is_number(text: str) -> bool:
    return bool(_NUMBER_TOKEN.match(text.replace(" ", "")))


def _is_order(text: str) -> bool:
    t = text.strip()
    return bool(t) and (bool(_ROMAN.match(t)) or bool(re.fullmatch(r"\d{1,2}\.?", t)))


def _build_cells(lines, header, rows, layout, key_is_year=False) -> Table:
    """A one-cell-per-line table: a row keeps its cells in order; one that does not fill the header is not aligned."""
    width = len(header)
    grid = [(header[0][0], [t for _, t in header])]
    body = []
    for r in rows:
        body.append((r[0][0], [t for _, t in r], [line for line, _ in r]))
    return _build(lines, grid + [(b[0], b[1], b[2]) for b in body], layout, header_count=1,
                  key_is_year=key_is_year, width=width)


def _decimal_style(texts: list[str]) -> str:
    """'dot' when the table's numbers carry a decimal dot (412204.00, 10.98) and never a decimal comma."""
    dots = sum(1 for t in texts if re.fullmatch(r"[-−]?\d+\.(\d{1,2}|\d{4,})%?", t))
    commas = sum(1 for t in texts if "," in t and re.fullmatch(r"[-−]?[\d.]+,\d+%?", t))
    return "dot" if dots and not commas else "comma"


def _build(lines, rows, layout, header_count: int | None = None, key_is_year=False, width=None) -> Table | None:
    """Header rows, coded row, column roles and body rows from rows of cell texts."""
    rows = [(r[0], r[1], r[2] if len(r) > 2 else None) for r in rows]
    if header_count is None:
        header_count = next((k for k, (_, cells, _) in enumerate(rows)
                             if sum(_is_number(c) for c in cells) >= 2 or _is_coded(cells)), None)
        if header_count is None or header_count == 0:
            header_count = 1 if rows and sum(_is_number(c) for c in rows[0][1]) == 0 else 0
    header_rows = rows[:header_count]
    coded: list[str] = []
    body = rows[header_count:]
    if body and _is_coded(body[0][1]):
        coded = body[0][1]
        body = body[1:]
    if not body:
        return None
    width = width or max([len(c) for _, c, _ in header_rows] + [len(coded)] + [len(c) for _, c, _ in body[:3]])
    names = _column_names([c for _, c, _ in header_rows], coded, width)
    texts = [c for _, cells, _ in body for c in cells]
    order_col = _order_col(body, width)
    label_col = _label_col(body, width, order_col)
    unit_col = next((k for k, n in enumerate(names) if fold(n).startswith(("don vi", "dv", "dvt"))), None)
    note_col = next((k for k, n in enumerate(names) if fold(n).startswith(("ghi chu", "danh gia"))), None)
    if key_is_year:
        order_col, label_col = None, 0
    columns = []
    for k in range(width):
        if k in (order_col, label_col, unit_col, note_col):
            continue
        name = names[k]
        if not name and not any(k < len(c) and _is_number(c[k]) for _, c, _ in body):
            continue
        folded = fold(name)
        year = _YEAR.search(name)
        plan = folded.startswith(("kh", "ke hoach", "chi tieu")) or " kh " in f" {folded} "
        role = "rate" if ("ty le" in folded or "(%)" in name or folded.startswith("co cau")) else "number"
        columns.append(ColumnSpec(index=k, year=int(year[1]) if year else None, measure="plan" if plan else "actual",
                                  header=(name or f"Cột {k + 1}")[:120], role=role,
                                  code=coded[k] if k < len(coded) and coded[k] else None))
    first = header_rows[0][0] if header_rows else body[0][0]
    title = _title(lines, first)
    table_rows = []
    last_line = body[-1][0]
    truncated = layout in ("pipe", "tab", "space") and last_line == len(lines) - 1 and not lines[-1].endswith("\n") \
        and len(body[-1][1]) < len(body[0][1])
    for line, cells, cell_lines in body:
        # "Tổng cộng (I+II) | 11,34": the total's label written once over the order and label columns (a merged
        # cell) moves its values one column right, where the header puts them; refs keep the file's own column.
        shift = 1 if (layout in ("pipe", "tab") and order_col == 0 and label_col == 1 and len(cells) > 1
                      and _is_merged_total(cells)) else 0
        cells = [""] * shift + list(cells)
        cell_objs = [Cell(text=t, ref=f"L{(cell_lines[k] if cell_lines else line) + 1}:C{max(k - shift, 0) + 1}",
                          line=(cell_lines[k] if cell_lines else line) + 1, column=k + 1)
                     for k, t in enumerate(cells)]
        values_written = len(cells) - sum(1 for k in (order_col, label_col, unit_col) if k is not None and k < len(cells))
        ragged = 0 < values_written and len(cells) < width and any(_is_number(t) for t in cells)
        table_rows.append(TableRow(cells=cell_objs, line=line + 1, ref=f"L{line + 1}", ragged=ragged))
    _hierarchy(table_rows, order_col, label_col)
    header_cells = [[Cell(text=t, ref=f"L{line + 1}:C{k + 1}", line=line + 1, column=k + 1) for k, t in enumerate(c)]
                    for line, c, _ in header_rows]
    if coded:
        header_cells.append([Cell(text=t, ref=f"L{first + 1}:C{k + 1}", column=k + 1) for k, t in enumerate(coded)])
    form_no = m[1].zfill(2) if (m := re.search(r"(?i)bi[eể]u\s*(?:s[oố])?\s*(\d{1,2})\b", title)) else None
    return Table(
        form_label=title, form_no=form_no, title=title, attached_to="", attached_number=None, attached_date=None,
        header_rows=header_cells, columns=columns, label_col=label_col, stt_col=order_col, unit_col=unit_col,
        note_col=note_col, rows=table_rows, ref=f"L{first + 1}", line=first + 1, layout=layout,
        key_col=0 if key_is_year else None, decimal=_decimal_style(texts), truncated=truncated,
    )


def _is_merged_total(cells: list[str]) -> bool:
    """A first cell holding a total's words ('Tổng cộng (I+II)') followed by a number, not by a label."""
    key = fold(_FORMULA.sub("", cells[0]).split("=")[0]).strip(" .:")
    return key.startswith(_TOTAL_WORDS) and not _is_order(cells[0]) and _is_number(cells[1].strip())


def _is_coded(cells: list[str]) -> bool:
    """`A | B | 1 | 2 | 3` or `(1) | (2) | (3)=(1)+(2)`: the row that numbers the columns."""
    filled = [c for c in cells if c]
    return len(filled) >= 3 and all(_CODED.match(c) for c in filled) and any(c[0].isalpha() or "(" in c for c in filled) \
        and len(set(filled)) == len(filled)


def _column_names(header_rows: list[list[str]], coded: list[str], width: int) -> list[str]:
    """One name per column; header rows whose filled cells together number the coded columns are read in sequence
    (a merged cell written once: `TT | Huyện | Tỷ lệ` above `Tổng số | Tỷ lệ hộ nghèo | …`)."""
    names = [""] * width
    filled_rows = [[c for c in r if c] for r in header_rows]
    n_coded = len([c for c in coded if c])
    if coded and len(header_rows) > 1 and sum(len(r) for r in filled_rows) == n_coded:
        seq = [c for r in filled_rows for c in r]
        slots = [k for k, c in enumerate(coded) if c]
        for k, text in zip(slots, seq):
            names[k] = text
        return names
    for r in header_rows:
        for k, text in enumerate(r[:width]):
            if text:
                names[k] = f"{names[k]} / {text}" if names[k] else text
    return names


def _order_col(body, width) -> int | None:
    for k in range(min(width, 2)):
        cells = [c[k] for _, c, _ in body if k < len(c) and c[k]]
        if cells and sum(_is_order(t) or bool(_ORDER.match(t)) or t in ("-", "+") for t in cells) >= 0.6 * len(cells):
            return k
    return None


def _label_col(body, width, order_col) -> int:
    for k in range(width):
        if k == order_col:
            continue
        cells = [c[k] for _, c, _ in body if k < len(c) and c[k]]
        if cells and sum(not _is_number(t) for t in cells) >= 0.6 * len(cells):
            return k
    return 0 if order_col != 0 else 1


def _hierarchy(rows: list[TableRow], order_col: int | None, label_col: int) -> None:
    """Order marks give the depth (I: 1, 1: 2, a: 3, -: 4, +: 5); an unmarked row sits under the last marked one."""
    heading = 0  # the level of the last "I" or "1." row: unmarked rows stand under it, dashes do not open one
    for row in rows:
        order = row.cells[order_col].text.strip() if order_col is not None and order_col < len(row.cells) else ""
        label = row.cells[label_col].text if label_col < len(row.cells) else ""
        if not order:
            if m := _LABEL_ORDER.match(label):
                order = m[1]
            elif label.startswith(("- ", "+ ")):
                order = label[0]
        row.order = order
        key = fold(_FORMULA.sub("", label).split("=")[0]).strip(" .:")
        row.is_total = key in _TOTAL_WORDS or bool(_FORMULA.search(label)) and key.startswith(_TOTAL_WORDS)
        if row.is_total:
            row.level = 0
        elif _ROMAN.match(order):
            row.level = 1
        elif re.fullmatch(r"\d{1,2}\.?", order) or order == "*":
            row.level = 2
        elif re.fullmatch(r"\d{1,2}\.\d{1,2}\.?", order) or re.fullmatch(r"[a-zđ][.)]?", order):
            row.level = 3
        elif order == "-":
            row.level = 4
        elif order == "+":
            row.level = 5
        else:
            row.level = heading + 1 if heading else 0
        if row.level in (1, 2):
            heading = row.level


def _title(lines: list[str], first: int) -> str:
    """The nearest line of words above the table, its title ('3. GIẢM NGHÈO', 'Biểu số 03 …')."""
    for k in range(first - 1, max(first - 6, -1), -1):
        text = squash(lines[k])
        if text and not _is_number(text):
            return text[:200]
    return ""
