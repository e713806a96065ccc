"""Read the figures of a report's narrative, link them to table cells, and check the text's own arithmetic.

What the words mean is configuration: config/narrative.yaml (units, sums, lists, rates, shares) and
the `narrative:` phrases of config/forms/*.yaml (which phrase reports which cell). Nothing here
raises on bad text: a malformed number is a finding.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from config.files import read_yaml
from config.catalog import Form, load_forms
from config.messages import finding, rules
from contracts.document import Document
from contracts.findings import Finding
from contracts.narrative import Figure
from contracts.vietnamese import fold
from contracts.vietnamese import format_number, parse_number
from tasks.check.narrative_across import check_across
from tasks.check.tabulate import CELL, CELL_COLUMNS

_NUMERIC = ("number", "dot_decimal", "repaired")
# a number standing alone: not glued to letters, a slash (dates, 311/QĐ) or a dash (2016-2020, Covid-19); the
# look-behind follows the first digit, so the scan skips to digits instead of trying the look-behind everywhere
_TOKEN = re.compile(r"(\d(?<![\w/.,\-–]\d)\d*(?:[.,]\d+)*)(\s?%)?(?![\w/\-–])")


@lru_cache(maxsize=1)
def narrative_config() -> dict:
    """config/narrative.yaml, read once."""
    return read_yaml("narrative.yaml")


@dataclass(frozen=True)
class _Patterns:
    """narrative.yaml's expressions, compiled once: a report has ~100 figures, each asked about all of them."""

    units: tuple[str, ...]
    unit_after: re.Pattern  # one group per unit, longest first: the first that matches is the loop's answer
    sentence_end: re.Pattern
    not_a_figure: re.Pattern
    any_year: re.Pattern
    year: re.Pattern
    year_range: re.Pattern


_YEAR = re.compile(r"(19|20)\d\d")


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    cfg = narrative_config()
    units = tuple(sorted(cfg["units"], key=len, reverse=True))
    return _Patterns(
        units=units,
        unit_after=re.compile(r"\s*(?:" + "|".join(f"({re.escape(u)})" for u in units) + r")(?!\w)", re.IGNORECASE),
        sentence_end=re.compile(cfg["sentence_end_re"]), not_a_figure=re.compile(cfg["not_a_figure_re"]),
        any_year=re.compile(cfg["any_year_re"]), year=re.compile(cfg["year_re"]), year_range=re.compile(cfg["range_re"]))


@dataclass
class _Spot:
    """A figure with the text around it, for the checks (not kept)."""

    fig: Figure
    block: int
    sentence: int  # the sentence's number within the document, counting only the blocks that hold numbers
    s_start: int
    s_end: int
    text: str  # the block's text
    before: str  # folded sentence text before the figure
    after: str  # folded sentence text after the figure (after its % sign)
    year_ambiguous: bool = False  # the sentence names years that fit no single column


def read_figures(doc: Document) -> list[_Spot]:
    """Every number of the narrative with its unit, phrase, sentence, line and span."""
    pat = _patterns()
    spots: list[_Spot] = []
    n_sentence = 0
    for b_index, block in enumerate(doc.blocks):
        text = block.text
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            continue  # headings and most prose: no sentences to find
        bounds = [0] + [m.end() for m in pat.sentence_end.finditer(text)] + [len(text)]
        sentences = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        openings = [a for a, _ in sentences]  # the sentences cover the block end to end
        for m in tokens:
            raw, start, end = m[0].strip(), m.start(), m.end()
            if start == 0 and text[end:end + 1] in (".", ")"):
                continue  # a heading's number: "1. Thuận lợi"
            number = parse_number(raw)
            digits = m[1]
            if number.kind == "number" and not number.percent and _YEAR.fullmatch(digits):
                continue  # a year
            if pat.not_a_figure.search(fold(text[max(0, start - 30):start])):
                continue  # a day, a month, an annex or program number
            s_index = bisect_right(openings, start) - 1
            s_start, s_end = sentences[s_index]
            sentence = text[s_start:s_end].strip()
            tail = text[end:s_end]
            after = None if number.percent else pat.unit_after.match(tail)
            unit = "%" if number.percent else (pat.units[after.lastindex - 1] if after else None)
            year, ambiguous = _year_of(text[s_start:start], pat)
            fig = Figure(
                raw=raw, value=number.value, kind=number.kind, percent=number.percent, unit=unit,
                phrase=_phrase(text, start, end), sentence=sentence, line=block.line, start=start, end=end,
                section=block.section, year=year,
            )
            spots.append(_Spot(fig, b_index, n_sentence + s_index, s_start, s_end, text,
                               fold(text[s_start:start]), fold(tail), ambiguous))
        n_sentence += len(sentences) or 1
    return spots


def _year_of(before: str, pat: _Patterns) -> tuple[int | None, bool]:
    """The column a sentence's years point to: (None, False) phase total, (year, False), or (None, True) unclear."""
    years = set(pat.any_year.findall(before))
    if not years:
        return None, False
    named = pat.year.findall(before)
    if len(years) == 1 and named:
        return int(named[-1]), False
    ranges = pat.year_range.findall(before)
    if len(ranges) == 1 and len(years) == 2:
        return None, False
    return None, True


def check_narrative(doc: Document, cells: pd.DataFrame | list[tuple] | None = None,
                    forms: dict[str, Form] | None = None) -> tuple[list[Figure], list[Finding]]:
    """The narrative's figures (linked to cells where the catalog says) and every finding about them.

    `cells`: the report's cells as a frame, or as the cell records the tabulator wrote (tasks/check/tabulate.py
    CELL_COLUMNS)."""
    forms = forms if forms is not None else load_forms()
    cells = cells if cells is not None else []
    spots = read_figures(doc)
    findings: list[Finding] = []
    findings += link_figures(spots, cells, forms)
    findings += check_malformed(spots)
    findings += check_sums(spots)
    findings += check_breakdowns(spots)
    findings += check_lists(spots)
    findings += check_rates(spots)
    findings += check_shares(spots)
    # a line whose sum one rule already reports is not reported again by the across-sentence list check
    summed = {f.line for f in findings if f.rule in ("narrative_sum", "narrative_breakdown")}
    findings += [f for f in check_across(spots) if not (f.rule == "narrative_list_total" and f.line in summed)]
    return [s.fig for s in spots], findings


# --- figures against table cells ------------------------------------------------------------------

def link_figures(spots: list[_Spot], cells: pd.DataFrame | list[tuple], forms: dict[str, Form]) -> list[Finding]:
    """Link each figure whose phrase the catalog knows to its cell; a figure that differs is an error."""
    out: list[Finding] = []
    plan_re = narrative_config()["plan_re"]
    tolerance = float(rules()["narrative_figure"].get("tolerance", 0))
    entries = [(form, entry) for form in forms.values() for entry in form.narrative]
    # entries without `near` first, so that `near` can see what its sentence already linked
    entries.sort(key=lambda fe: bool(fe[1].get("near")))
    index: _Cells | None = None
    for form, entry in entries:
        for spot in spots:
            fig = spot.fig
            if fig.indicator or fig.percent or fig.value is None or spot.year_ambiguous:
                continue
            phrase = _phrase_match(spot, entry)
            if phrase is None:
                continue
            near = entry.get("near")
            if near and not any(o.fig.form == form.code and o.fig.indicator == near
                                for o in spots if o.sentence == spot.sentence):
                continue
            year = fig.year if fig.year is not None else entry.get("year")
            measure = "plan" if re.search(plan_re, spot.before) else entry.get("measure", "actual")
            fig.form, fig.indicator, fig.measure = form.code, entry["indicator"], measure
            index = index or _Cells(cells)
            cell = _cell_of(index, form.code, fig.indicator, year, fig.measure)
            if cell is None:
                continue
            fig.cell_source, fig.cell_value, fig.cell_derived = cell["source"], cell["value"], cell["derived"]
            if fig.cell_value is None or abs(fig.cell_value - fig.value) <= tolerance + 1e-9:
                continue
            written = _written(spot, phrase)
            out.append(finding(
                "narrative_figure", form_label=cell["form_label"], source=cell["source"], line=fig.line,
                form=form.code, group=cell["group"], label=cell["label"], indicator=fig.indicator, year=year,
                measure=fig.measure, expected=fig.cell_value, actual=fig.value, section=fig.section or "?",
                written=written,
                cell_vi=(f"để trống; cộng các năm được {format_number(fig.cell_value)}" if fig.cell_derived
                         else f"ghi {format_number(fig.cell_value)}"),
                cell_en=(f"is blank; its years add up to {format_number(fig.cell_value)}" if fig.cell_derived
                         else f"says {format_number(fig.cell_value)}"),
            ))
    return out


def _phrase_match(spot: _Spot, entry: dict) -> str | None:
    """The catalog phrase written right after the figure (or right before it, for `before:` phrases)."""
    for phrase in entry.get("phrases") or ():
        if spot.after.startswith(fold(phrase)):
            return phrase
    for phrase in entry.get("before") or ():
        if spot.before.endswith(fold(phrase)):
            return phrase
    return None


def _written(spot: _Spot, phrase: str) -> str:
    """The figure and the catalog phrase as the report writes them: "11 buổi nói chuyện chuyên đề"."""
    fig = spot.fig
    if spot.before.endswith(fold(phrase)):
        return spot.text[fig.start:fig.end].strip()
    n = len(fold(phrase).split())
    words = re.match(rf"\s*((?:\S+\s*){{{n}}})", spot.text[fig.end:spot.s_end])
    tail = words[1].strip().rstrip(".,;:") if words else ""
    return f"{spot.text[fig.start:fig.end].strip()} {tail}".strip()


# a cell record's positions (tasks/check/tabulate.py CELL_COLUMNS)
(_C_FORM, _C_INDICATOR, _C_MEASURE, _C_YEAR, _C_KIND, _C_VALUE, _C_TABLE, _C_ROW, _C_SOURCE, _C_FORM_LABEL, _C_LABEL,
 _C_GROUP) = (CELL[c] for c in ("form", "indicator", "measure", "year", "kind", "value", "table", "row", "source",
                                "form_label", "label", "group"))


class _Cells:
    """A report's cells by (form, indicator, measure, year), built once per report: a frame filter per
    figure cost 5 ms a report at national scale."""

    def __init__(self, cells: pd.DataFrame | list[tuple]):
        self.first: dict[tuple, tuple] = {}
        self.yearly: dict[tuple, list[float]] = {}
        if isinstance(cells, pd.DataFrame):
            cells = list(cells[CELL_COLUMNS].itertuples(index=False, name=None)) if not cells.empty else []
        for rec in cells:
            year = rec[_C_YEAR]  # an int or None as tabulated; NaN or NA from a frame (pd.isna: 0.03 ms a report)
            year = year if type(year) is int else None if year is None or pd.isna(year) else int(year)
            self.first.setdefault((rec[_C_FORM], rec[_C_INDICATOR], rec[_C_MEASURE], year), rec)
            if year is not None and rec[_C_KIND] in _NUMERIC:
                self.yearly.setdefault((rec[_C_TABLE], rec[_C_ROW], rec[_C_MEASURE]), []).append(float(rec[_C_VALUE]))


def _cell_of(cells: _Cells, form: str, indicator: str, year: int | None, measure: str) -> dict | None:
    """The cell a figure reports; a blank total stands for the sum of its years when they are present."""
    cell = cells.first.get((form, indicator, measure, year))
    if cell is None:
        return None
    base = {"source": cell[_C_SOURCE], "form_label": cell[_C_FORM_LABEL], "label": cell[_C_LABEL],
            "group": None if pd.isna(cell[_C_GROUP]) else cell[_C_GROUP], "derived": False}
    if cell[_C_KIND] in _NUMERIC:
        return {**base, "value": float(cell[_C_VALUE])}
    if cell[_C_KIND] != "blank" or year is not None:
        return {**base, "value": None}
    years = cells.yearly.get((cell[_C_TABLE], cell[_C_ROW], measure))
    if not years:
        return {**base, "value": None}
    return {**base, "value": float(sum(years)), "derived": True}


# --- the text's own arithmetic -------------------------------------------------------------------

def check_malformed(spots: list[_Spot]) -> list[Finding]:
    """A number that is not a well-formed Vietnamese number ("102,924,5 ha") is a warning, never a crash."""
    out = []
    for spot in spots:
        fig = spot.fig
        if fig.kind != "malformed":
            continue
        guess = _guess(fig.raw)
        unit = f" {fig.unit}" if fig.unit and not fig.percent else ""
        out.append(finding(
            "narrative_malformed_number", source=f"L{fig.line}", line=fig.line, actual=fig.raw,
            section=fig.section or "?", written=fig.raw + unit,
            guess_vi=f"; có lẽ là {guess}{unit}" if guess else "",
            guess_en=f"; perhaps {guess}{unit}" if guess else "",
        ))
    return out


def _guess(raw: str) -> str | None:
    """What a malformed number probably meant: the last separator is the decimal comma, the others group thousands."""
    digits = raw.rstrip("%").strip()
    parts = re.split(r"[.,]", digits)
    if len(parts) < 3:
        return None
    candidate = ".".join(parts[:-1]) + "," + parts[-1]
    return candidate if parse_number(candidate).kind == "number" else None


def check_sums(spots: list[_Spot]) -> list[Finding]:
    """Parts stated in a section add up to the total the section states (config: sums)."""
    out = []
    for rule in narrative_config().get("sums") or ():
        total_spec, part_spec = rule["total"], rule["parts"]
        totals = [s for s in spots if _plain(s) and re.search(total_spec["before_re"], s.before)
                  and re.search(total_spec["after_re"], s.after)]
        if not totals:
            continue
        total = totals[0]
        parts = [s for s in spots if _plain(s) and s is not total and s.fig.section == total.fig.section
                 and re.search(part_spec["after_re"], s.after)]
        if len(parts) < 2:
            continue
        out += _sum_finding(total, parts, rule["what_vi"], rule["what_en"])
    return out


def check_breakdowns(spots: list[_Spot]) -> list[Finding]:
    """"5 trạm ... Trong đó có 01 xã ..., 04 xã ...": the counts after the marker add up to the count before it."""
    markers = [fold(m) for m in narrative_config()["breakdown"]["markers"]]
    out = []
    seen: set[int] = set()
    for spot in spots:
        if spot.sentence in seen or not any(m in spot.before for m in markers):
            continue
        seen.add(spot.sentence)
        parts = [s for s in spots if s.sentence == spot.sentence and any(m in s.before for m in markers)]
        if any(s.fig.percent for s in parts):
            continue  # a list of shares: check_shares
        parts = [s for s in parts if _plain(s)]
        units = {s.fig.unit for s in parts}
        if len(parts) < 2 or len(units) != 1 or None in units:
            continue
        before = [s for s in spots if s.block == spot.block and s.fig.start < parts[0].fig.start and _plain(s)
                  and not (s.sentence == spot.sentence and any(m in s.before for m in markers))]
        if not before:
            continue
        cfg = narrative_config()["breakdown"]
        out += _sum_finding(before[-1], parts, cfg["what_vi"], cfg["what_en"])
    return out


def _sum_finding(total: _Spot, parts: list[_Spot], what_vi: str, what_en: str) -> list[Finding]:
    """One narrative_sum finding when the parts do not add up to the total, else none."""
    expected = sum(p.fig.value for p in parts)
    if abs(expected - total.fig.value) <= float(rules()["narrative_sum"].get("tolerance", 0)) + 1e-9:
        return []
    listed = " + ".join(p.fig.raw for p in parts)
    lines = ", ".join(sorted({str(p.fig.line) for p in parts}))
    return [finding(
        "narrative_sum", source=f"L{total.fig.line}", line=total.fig.line, expected=expected,
        actual=total.fig.value, section=total.fig.section or "?", total=total.fig.raw,
        unit=total.fig.unit or "", parts=listed, parts_lines=lines, what_vi=what_vi, what_en=what_en,
    )]


def check_lists(spots: list[_Spot]) -> list[Finding]:
    """"06 xã: A, B, C, D, E và F": as many names as the number says."""
    cfg = narrative_config()["lists"]
    units = {u.lower() for u in cfg["units"]}
    separators = re.compile(cfg["separators_re"])
    out = []
    for spot in spots:
        fig = spot.fig
        if not _plain(spot) or (fig.unit or "").lower() not in units:
            continue
        tail = re.split(r"\.(?:\s|$)", spot.text[fig.end:], maxsplit=1)[0]  # names may be split by ";"
        m = re.match(rf"\s*{re.escape(fig.unit)}\s*:\s*(.+)", tail, re.IGNORECASE)
        if not m:
            continue
        names = [n.strip(" .;") for n in separators.split(m[1].strip().rstrip(".;")) if n.strip(" .;")]
        if not names or not all(n[0].isupper() for n in names):
            continue
        if len(names) == fig.value:
            continue
        out.append(finding(
            "narrative_list_count", source=f"L{fig.line}", line=fig.line, expected=len(names), actual=fig.value,
            section=fig.section or "?", written=f"{fig.raw} {fig.unit}", unit=fig.unit, count=len(names),
            names=", ".join(names),
        ))
    return out


def check_rates(spots: list[_Spot]) -> list[Finding]:
    """A stated share equals its count over its base, within rounding; when not, the base it implies."""
    cfg = narrative_config()["rates"]
    markers = [fold(m) for m in cfg["markers"]]
    other = [fold(w) for w in cfg["other_base_words"]]
    breakdown = [fold(m) for m in narrative_config()["breakdown"]["markers"]]
    failed: list[dict] = []
    for i, spot in enumerate(spots):
        fig = spot.fig
        if not fig.percent or not fig.value or not any(spot.before.endswith(m) for m in markers):
            continue
        if any(spot.after.startswith(w) for w in other):
            continue
        clause = []
        for prev in reversed(spots[:i]):
            if prev.sentence != spot.sentence or prev.fig.percent:
                break
            clause.append(prev)
        # after "trong đó" a share is of the count stated before the marker, not of the district's base
        inner = any(m in spot.before for m in breakdown)
        if inner:
            clause = [s for s in clause if any(m in s.before for m in breakdown)]
        for kind in cfg["kinds"]:
            counts = [s for s in clause if _plain(s) and s.fig.unit in kind["count_units"]]
            if not counts:
                continue
            count = counts[0]  # the nearest: clause runs backwards
            if inner:
                units = {*kind["count_units"], *kind["base_units"]}
                outer = [s for s in spots[:i] if s.block == spot.block and _plain(s) and s.fig.unit in units
                         and not (s.sentence == spot.sentence and any(m in s.before for m in breakdown))]
                base = outer[-1] if outer else None
            else:
                base = _whole_base(spots, kind["base_units"], cfg)
            if base is None or base is count or not base.fig.value or not count.fig.value:
                break
            if base.fig.value < count.fig.value:
                break  # a part cannot be the base of a larger count: the base is not the one the text means
            decimals = len(fig.raw.rstrip("%").strip().partition(",")[2])
            shown = max(decimals, 2)
            computed = count.fig.value / base.fig.value * 100
            if abs(computed - fig.value) <= cfg["last_digit_units"] * 10 ** -decimals + 1e-9:
                break
            failed.append({"spot": spot, "count": count, "base": base, "kind": kind,
                           "shown": shown, "computed": computed, "implied": count.fig.value / (fig.value / 100)})
            break
    out = []
    for item in failed:
        spot, kind = item["spot"], item["kind"]
        peers = [o for o in failed if o["kind"] is kind and o["base"] is item["base"]]
        implied = [o["implied"] for o in peers]
        same = len(peers) > 1 and (max(implied) - min(implied)) / min(implied) <= cfg["same_base_within"]
        others = [o for o in peers if o is not item]
        mean = round(sum(implied) / len(implied))
        if same:
            rates = " và ".join(_pct(o["spot"].fig.raw) for o in others)
            agree_vi = (f" Tỷ lệ {rates} cũng ứng với khoảng {format_number(mean)} {kind['what_vi']}: các tỷ lệ "
                        f"thống nhất với nhau nhưng không khớp với {item['base'].fig.raw} {kind['what_vi']}.")
            agree_en = (f" The rate {rates.replace(' và ', ' and ')} implies the same base, about {format_number(mean)} "
                        f"{kind['what_en']}: the rates agree with each other, not with {item['base'].fig.raw}.")
        else:
            agree_vi = agree_en = ""
        computed = round(item["computed"], item["shown"])
        out.append(finding(
            "narrative_rate", source=f"L{spot.fig.line}", line=spot.fig.line, expected=computed,
            actual=spot.fig.value, section=spot.fig.section or "?", stated=_pct(spot.fig.raw),
            computed=f"{computed:.{item['shown']}f}".replace(".", ","), count=item["count"].fig.raw,
            count_unit=item["count"].fig.unit, base=item["base"].fig.raw, base_unit=item["base"].fig.unit,
            base_line=item["base"].fig.line, implied=format_number(round(item["implied"])),
            what_vi=kind["what_vi"], what_en=kind["what_en"], agree_vi=agree_vi, agree_en=agree_en,
        ))
    return out


def _whole_base(spots: list[_Spot], units: list[str], cfg: dict) -> _Spot | None:
    """The figure the narrative names as the whole of a rate's base; None when none is, or two disagree."""
    candidates = [s for s in spots if _plain(s) and s.fig.unit in units]
    named = [s for s in candidates if re.search(cfg["whole_before_re"], s.before)
             or re.search(cfg["whole_after_re"], s.after)]
    if named:
        return named[0] if len({s.fig.value for s in named}) == 1 else None
    for spot in candidates:
        unit_words = " ".join(spot.after.split()[:3])
        own = " ".join(spot.before.split()[-6:])
        if re.search(r"\b(?:chiem|ty le)\b", " ".join(spot.after.split()[:4])):
            continue  # a count with its own rate, not a base
        if not re.search(cfg["part_re"], unit_words) and not re.search(cfg["part_re"], own):
            return spot
    return None


def check_shares(spots: list[_Spot]) -> list[Finding]:
    """Shares listed after "trong đó" must not exceed 100 %; when they fall short, the rest is noted (info)."""
    cfg = narrative_config()["shares"]
    markers = [fold(m) for m in cfg["markers"]]
    out = []
    for sentence in sorted({s.sentence for s in spots}):
        shares = [s for s in spots if s.sentence == sentence and s.fig.percent and s.fig.value is not None
                  and any(m in s.before for m in markers)]
        if len(shares) < cfg["min_count"]:
            continue
        total = round(sum(s.fig.value for s in shares), 2)
        first = shares[0].fig
        listed = " + ".join(_pct(s.fig.raw) for s in shares)
        common = dict(source=f"L{first.line}", line=first.line, section=first.section or "?", shares=listed)
        if total > 100 + 1e-9:
            out.append(finding("narrative_shares_over", expected=100, actual=total,
                               total=f"{format_number(total)}%", **common))
        elif total < 100 - 1e-9:
            out.append(finding("narrative_shares_rest", expected=100, actual=total,
                               total=f"{format_number(total)}%", rest=f"{format_number(round(100 - total, 2))}%",
                               **common))
    return out


# --- helpers --------------------------------------------------------------------------------------

def _plain(spot: _Spot) -> bool:
    """A count: a well-formed number that is not a percent."""
    return not spot.fig.percent and spot.fig.value is not None and spot.fig.kind == "number"


def _pct(raw: str) -> str:
    """A share as written, with its % sign and no space before it."""
    return raw.replace(" ", "") if raw.endswith("%") else raw + "%"


def _phrase(text: str, start: int, end: int, before: int = 40, after: int = 60) -> str:
    """The words around a figure, cut at word boundaries."""
    a, b = max(0, start - before), min(len(text), end + after)
    if a > 0 and (space := text.find(" ", a, start)) >= 0:
        a = space + 1
    if b < len(text) and (space := text.rfind(" ", end, b)) > end:
        b = space
    return text[a:b].strip()
