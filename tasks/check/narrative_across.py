"""The narrative's arithmetic across sentences: parts under a stated total, "poor and near-poor" against its two
parts, rates against the base they imply, stated orderings, one figure given two values.

What the words mean is configuration (config/narrative.yaml `across:`). Every check works on intervals at the
precision a figure is written in ("6,63%" is 6,625–6,635), and where what a figure is of is unclear it is left
out: no finding rather than a wrong one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from config.files import read_yaml
from config.messages import finding, rules
from contracts.findings import Finding
from contracts.vietnamese import fold, format_number

WHOLE = "whole"
_COUNT_UNITS = ("hộ",)


@lru_cache(maxsize=1)
def across_config() -> dict:
    """config/narrative.yaml `across:`, regexes compiled."""
    cfg = read_yaml("narrative.yaml")["across"]
    return {
        "measures": [(name, re.compile(rx)) for name, rx in cfg["measures"].items()],
        "measure_any": re.compile("|".join(f"(?:{rx})" for rx in cfg["measures"].values())),
        "change": re.compile(cfg["change_re"]),
        "subcategory": re.compile(cfg["subcategory_re"]),
        "whole": re.compile(cfg["whole_re"]),
        "regions": cfg["regions"],
        "region": re.compile(r"\b(?:" + "|".join(re.escape(r) for r in cfg["regions"]) + r")\b"),
        "area": re.compile(cfg["area_re"]),
        "breakdown": re.compile(cfg["breakdown_re"]),
        "descending": re.compile(cfg["descending_re"]),
        "ascending": re.compile(cfg["ascending_re"]),
        "min_ordered": int(cfg["min_ordered"]),
    }


@dataclass
class Statement:
    """One count or rate of the narrative with what it is of: the area, the measure, whether it is a part."""

    value: float
    raw: str
    percent: bool
    unit: str | None
    line: int
    block: int
    sentence: int  # index of the sentence (split at ". ") within the document
    clause: int  # index of the clause (split at ";") within the document
    start: int
    area: str | None = None  # "whole", a region code, "khu vuc mien nui", a list item's name
    measure: str | None = None  # "combined" | "poor" | "near_poor"
    part: str = ""  # "breakdown" for a "trong đó" item, "list" for a ":" list item, "" otherwise
    change: bool = False  # a change or a sub-category: never a statement of its area
    moved: bool = False  # a change ("giảm 1.432 hộ"): not even a part
    label: str = ""  # the folded words before it in its clause
    pair: "Statement | None" = field(default=None, repr=False)  # the rate of a count, the count of a rate

    @property
    def decimals(self) -> int:
        """How many decimals the figure is written with."""
        digits = self.raw.rstrip("%").strip()
        return len(digits.partition(",")[2]) if self.percent or "," in digits else 0

    @property
    def interval(self) -> tuple[float, float]:
        """The values a rounded figure may stand for: a count is exact, "6,63%" is 6,625–6,635."""
        if not self.percent:
            return self.value, self.value
        half = 0.5 * 10 ** -self.decimals
        return self.value - half, self.value + half


def check_across(spots) -> list[Finding]:
    """Every cross-sentence finding about a report's narrative figures (tasks/check/narrative.py's spots)."""
    statements = read_statements(spots)
    if not statements:
        return []
    findings: list[Finding] = []
    findings += check_breakdown_sums(statements)
    findings += check_region_sums(statements)
    findings += check_combined(statements)
    findings += check_bases(statements)
    findings += check_conflicts(statements)
    findings += check_orderings(statements, spots)
    return findings


# --- reading -------------------------------------------------------------------------------------

def read_statements(spots) -> list[Statement]:
    """The counts (in households) and rates of the narrative, each with its area, measure and role."""
    cfg = across_config()
    out: list[Statement] = []
    by_block: dict[int, list] = {}
    for spot in spots:
        fig = spot.fig
        if fig.value is None or fig.kind != "number":
            continue
        if not fig.percent and fig.unit not in _COUNT_UNITS:
            continue
        by_block.setdefault(spot.block, []).append(spot)
    sentence_no = clause_no = 0
    for block, block_spots in sorted(by_block.items()):
        text = block_spots[0].text
        sentences = _split(text, r"\.(?:/\.)?(?:\s+|$)")
        sentence_area = None  # a sentence that names no area speaks of the one before it
        for s_start, s_end in sentences:
            clauses = _split(text[s_start:s_end], r";\s*")
            colon = text.find(":", s_start, s_end)
            breakdown = cfg["breakdown"].search(fold(text[s_start:s_end]))
            marker_at = s_start + _marker_offset(text[s_start:s_end]) if breakdown else None
            previous: Statement | None = None
            for c_start, c_end in clauses:
                c_start, c_end = c_start + s_start, c_end + s_start
                clause_text = fold(text[c_start:c_end])
                clause_area = _area_of(clause_text, cfg)
                if clause_area is not None and (colon < 0 or c_start < colon):
                    sentence_area = clause_area
                for spot in block_spots:
                    fig = spot.fig
                    if not c_start <= fig.start < c_end:
                        continue
                    before = fold(text[c_start:fig.start])
                    after = fold(text[fig.end:min(c_end, fig.end + 40)])
                    label = before[-80:] + " | " + " ".join(after.split()[:4])
                    st = Statement(fig.value, fig.raw, fig.percent, fig.unit, fig.line, block, sentence_no,
                                   clause_no, fig.start, label=label)
                    st.measure = _measure(before, after, fig.percent, cfg)
                    own = " ".join(_own_words(text, c_start, fig.start, previous).split()[-6:])
                    st.moved = bool(cfg["change"].search(own))
                    st.change = st.moved or bool(cfg["subcategory"].search(own))
                    if previous is not None and previous.clause == clause_no and st.percent != previous.percent \
                            and previous.pair is None and previous.change:
                        st.change, st.moved = True, previous.moved  # "giảm 1.432 hộ (1,95%)": its rate is a change
                    in_list = colon >= 0 and fig.start > colon
                    in_breakdown = marker_at is not None and fig.start > marker_at
                    item_area = _area_of(fold(text[max(c_start, _item_start(text, c_start, fig.start)):fig.start]),
                                         cfg) if in_list or in_breakdown else None
                    if in_breakdown or in_list:
                        nested = text.count("(", marker_at or colon, fig.start) > text.count(")", marker_at or colon, fig.start)
                        st.part = "nested" if nested else "breakdown" if in_breakdown else "list"
                        item_text = fold(text[_item_start(text, c_start, fig.start):fig.start])
                        if item_area is None and _names_a_place(item_text):
                            item_area = "place:" + " ".join(item_text.split()[:4])  # "huyện A 12,5 %": its own base
                        st.area = item_area
                        if item_area is None and previous is not None and previous.sentence == sentence_no \
                                and previous.part == st.part and previous.pair is None \
                                and previous.percent != st.percent:
                            st.area = previous.area  # "A có tỷ lệ … 18,20%; tổng số … là 587.952 hộ"
                        if st.measure is None or not cfg["measure_any"].search(fold(text[_item_start(text, c_start, fig.start):fig.start])):
                            intro = fold(text[s_start:marker_at if in_breakdown else colon])
                            st.measure = _measure(intro, "", True, cfg) or st.measure
                    else:
                        st.area = clause_area or sentence_area or (WHOLE if not _names_a_place(before) else None)
                    if previous is None and out and out[-1].block == block and out[-1].sentence == sentence_no - 1 \
                            and not _names_area(text[s_start:fig.start], cfg):
                        if out[-1].measure is not None and out[-1].measure == st.measure:
                            previous = out[-1]  # "… 8,03%, giữ vị trí thứ ba. Tổng số … là 460.456 hộ."
                    if previous is not None and previous.pair is None \
                            and previous.percent != st.percent and previous.part == st.part \
                            and previous.area == st.area and previous.change == st.change:
                        previous.pair, st.pair = st, previous
                        if st.measure is None:
                            st.measure = previous.measure
                        elif previous.measure is None:
                            previous.measure = st.measure
                    out.append(st)
                    previous = st
                clause_no += 1
            sentence_no += 1
    return out


def _split(text: str, sep: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces of text between separators."""
    bounds = [0] + [m.end() for m in re.finditer(sep, text)] + [len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _marker_offset(sentence: str) -> int:
    """Where "trong đó" ends in a sentence as written (fold drops characters, so search the raw text)."""
    m = re.search(r"[Tt]rong\s+đó", sentence)
    return m.end() if m else 0


def _item_start(text: str, lower: int, at: int) -> int:
    """Where a list item starts: after the last separator (":", ";", ",") or figure before `at`."""
    cut = max(text.rfind(c, lower, at) for c in (":", ";"))
    return cut + 1 if cut >= 0 else lower


def _own_words(text: str, lower: int, at: int, previous: Statement | None) -> str:
    """The folded words between the figure before (in the same clause) and this one."""
    start = lower
    if previous is not None and lower <= previous.start < at:
        start = previous.start
        while start < at and not text[start].isspace():
            start += 1
    return fold(text[start:at])[-60:]


def _area_of(folded: str, cfg: dict) -> str | None:
    """The area a piece of text names: a region, "khu vực X", or the whole."""
    found = []
    if m := cfg["region"].search(folded):
        found.append((m.start(), cfg["regions"][m[0]]))
    if m := cfg["area"].search(folded):
        found.append((m.start(), f"khu vuc {m[1]}"))
    if m := cfg["whole"].search(folded):
        found.append((m.start(), WHOLE))
    return min(found)[1] if found else None


def _names_area(text: str, cfg: dict) -> bool:
    """The text (as written) names an area of its own."""
    return _area_of(fold(text), cfg) is not None


def _names_a_place(before: str) -> bool:
    """The clause names a district, commune or town before the figure: not the whole."""
    return bool(re.search(r"\b(?:huyen|xa|phuong|thi tran|thi xa|quan|thon|vung|khu vuc)\b", before))  # not "ban": "địa bàn"


def _measure(before: str, after: str, percent: bool, cfg: dict) -> str | None:
    """combined | poor | near_poor from the words around a figure, or None."""
    words = " ".join(after.split()[:5]) if not percent else ""
    for text in (words, before[-90:]):
        for name, rx in cfg["measures"]:
            if rx.search(text):
                return name
    return None


# --- the checks ----------------------------------------------------------------------------------

def _span(interval: tuple[float, float]) -> str:
    """An interval of households as a steward reads it: 1.234–1.240."""
    return f"{_fmt(interval[0])}–{_fmt(interval[1])}"


def _base_finding(line: int, expected, actual, area: tuple[str, str], detail_vi: str, detail_en: str) -> Finding:
    """A base that rates and counts imply does not agree with another statement's (narrative_base)."""
    return finding("narrative_base", source=f"L{line}", line=line, expected=expected, actual=actual,
                   area_vi=area[0], area_en=area[1], detail_vi=detail_vi, detail_en=detail_en)


def _fmt(value: float, decimals: int = 0) -> str:
    """A computed figure the Vietnamese way: 1.057.284."""
    return format_number(round(value, decimals)) if decimals else format_number(round(value))


def check_breakdown_sums(statements: list[Statement]) -> list[Finding]:
    """'N hộ ... trong đó a hộ, b hộ': the counts of the parts add up to N; their rates to N's rate."""
    out = []
    for sentence in sorted({s.sentence for s in statements if s.part == "breakdown"}):
        parts = [s for s in statements if s.sentence == sentence and s.part == "breakdown" and not s.moved]
        if not parts:
            continue
        total = _total_before(statements, parts)
        if total is None:
            continue
        counts = [p for p in parts if not p.percent and p.unit == total.unit]
        if len(counts) >= 2 and not total.percent:
            out += _list_total(total, counts)
        rates = [p for p in parts if p.percent]
        rate_total = total.pair if not total.percent else total
        if len(rates) >= 2 and rate_total is not None and rate_total.percent and all(p.area is None for p in parts):
            low = sum(r.interval[0] for r in rates)
            high = sum(r.interval[1] for r in rates)
            t_low, t_high = rate_total.interval
            if low > t_high + 1e-9 or high < t_low - 1e-9:
                computed = sum(r.value for r in rates)
                tolerance = max(high - computed, 0) + (t_high - rate_total.value)
                out.append(finding(
                    "narrative_rate_sum", source=f"L{rate_total.line}", line=rate_total.line,
                    expected=round(computed, 4), actual=rate_total.value, total=_pct(rate_total.raw),
                    parts=" + ".join(_pct(r.raw) for r in rates), computed=_pct_value(computed, rates),
                    diff=_pct_value(abs(computed - rate_total.value), rates), tolerance=_pct_value(tolerance, rates),
                ))
            if all(p.area is None for p in parts):
                out += _share_base(rate_total, [r for r in rates if r.pair is not None])
    return out


def _total_before(statements: list[Statement], parts: list[Statement]) -> Statement | None:
    """The count the parts break down: the last non-part count before the first part, in its sentence or the
    one before it."""
    first = min(parts, key=lambda p: (p.block, p.start))
    candidates = [s for s in statements if not s.part and not s.percent
                  and (s.block, s.start) < (first.block, first.start) and first.sentence - s.sentence <= 1]
    return candidates[-1] if candidates else None


def _list_total(total: Statement, parts: list[Statement]) -> list[Finding]:
    """One narrative_list_total finding when the parts do not add up to the total."""
    computed = sum(p.value for p in parts)
    if abs(computed - total.value) <= float(rules()["narrative_list_total"].get("tolerance", 0)) + 1e-9:
        return []
    return [finding(
        "narrative_list_total", source=f"L{total.line}", line=total.line, expected=computed, actual=total.value,
        what_vi=f"tổng nêu là {total.raw} {total.unit or ''}".strip(), what_en="the stated total",
        total=f"{total.raw} {total.unit or ''}".strip(), parts=" + ".join(p.raw for p in parts),
        parts_lines=", ".join(sorted({str(p.line) for p in parts})), computed=_fmt(computed),
        diff=_fmt(abs(computed - total.value)),
    )]


def _base_interval(count: Statement, rate: Statement) -> tuple[float, float] | None:
    """The bases a count and its rounded rate allow."""
    low, high = rate.interval
    if low <= 0:
        return None
    return count.value / (high / 100), count.value / (low / 100)


def _share_base(rate_total: Statement, rates: list[Statement]) -> list[Finding]:
    """Parts of one base ('trong đó' categories) with counts and rates: each part's implied base overlaps the
    total's; the first part that does not is a finding."""
    if rate_total.pair is None:
        return []
    whole = _base_interval(rate_total.pair, rate_total)
    if whole is None:
        return []
    for rate in rates:
        base = _base_interval(rate.pair, rate)
        if base is None or (base[1] >= whole[0] and base[0] <= whole[1]):
            continue
        at_whole = rate.pair.value / ((whole[0] + whole[1]) / 2) * 100
        stated, implied = _pct(rate.raw), _pct_value(at_whole, [rate])
        return [_base_finding(rate.line, round(at_whole, 2), rate.value, ("Các phần 'trong đó'", "The 'of which' parts"),
                              f"{rate_total.pair.raw} hộ với tỷ lệ {_pct(rate_total.raw)} ứng với tổng số khoảng "
                              f"{_span(whole)} hộ; với tổng đó {rate.pair.raw} hộ là {implied}, không phải {stated} "
                              f"(tỷ lệ này ứng với {_span(base)} hộ).",
                              f"{rate_total.pair.raw} households at {_pct(rate_total.raw)} imply a base of "
                              f"{_span(whole)}; at that base {rate.pair.raw} households are {implied}, not {stated} "
                              f"(which implies {_span(base)}).")]
    return []


def check_region_sums(statements: list[Statement]) -> list[Finding]:
    """The regions' counts add up to the whole's when all regions are listed; the bases their rates imply add up
    to the base the whole's rate implies (a lower bound already when some are missing)."""
    regions = set(across_config()["regions"].values())
    out = []
    for measure in ("combined", "poor", "near_poor"):
        whole = _single(statements, WHOLE, measure, percent=False)
        by_region: dict[str, Statement] = {}
        for s in statements:
            if s.area in regions and s.measure == measure and not s.percent and not s.change:
                if by_region.setdefault(s.area, s).value != s.value:
                    by_region[s.area] = None  # two values for one region: unclear
        if whole is None or None in by_region.values() or len(by_region) < 2:
            continue
        parts = sorted(by_region.values(), key=lambda s: (s.block, s.start))
        if set(by_region) == regions:
            out += _list_total(whole, parts)
        if whole.pair is None:
            continue
        whole_base = _base_interval(whole, whole.pair)
        paired = [p for p in parts if p.pair is not None]
        bases = [_base_interval(p, p.pair) for p in paired]
        if whole_base is None or len(paired) < 2 or None in bases:
            continue
        low = sum(b[0] for b in bases)
        high = sum(b[1] for b in bases)
        complete = len(paired) == len(regions)
        if low > whole_base[1] or (complete and high < whole_base[0]):
            lines, n = ", ".join(sorted({str(p.line) for p in paired})), len(paired)
            out.append(_base_finding(
                whole.line, round(low), round(whole_base[1]), ("Cả nước", "The whole country"),
                f"tỷ lệ {_pct(whole.pair.raw)} với {whole.raw} hộ ứng với tổng số {_span(whole_base)} hộ, nhưng tỷ lệ "
                f"và số hộ của {n} vùng (dòng {lines}) ứng với tổng số {_span((low, high))} hộ.",
                f"{_pct(whole.pair.raw)} with {whole.raw} households implies a base of {_span(whole_base)}, but the "
                f"rates and counts of {n} regions (lines {lines}) imply {_span((low, high))} households together."))
    return out


def _single(statements: list[Statement], area: str, measure: str, percent: bool) -> Statement | None:
    """The one statement of an area and measure; None when there is none or several disagree."""
    found = [s for s in statements if s.area == area and s.measure == measure and s.percent == percent
             and not s.part and not s.change]
    if not found or len({s.value for s in found}) > 1:
        return None
    return next((s for s in found if s.pair is not None), found[0])


def _areas(statements: list[Statement]) -> list[str]:
    """The areas the statements speak of, in the order the text first names them."""
    seen: list[str] = []
    for s in statements:
        if s.area is not None and s.area not in seen:
            seen.append(s.area)
    return seen


def _area_words(area: str) -> tuple[str, str]:
    """How a finding names an area, in Vietnamese and English."""
    if area == WHOLE:
        return "Toàn địa bàn", "The whole"
    return f"Vùng/khu vực '{area}'", f"Area '{area}'"


def _area_statements(statements: list[Statement], area: str, measure: str, percent: bool) -> list[Statement]:
    """The counts (or rates) an area's text gives for one measure, changes and sub-categories left out."""
    return [s for s in statements if s.area == area and s.measure == measure and s.percent == percent
            and not s.change and (s.area != WHOLE or not s.part)]


def check_combined(statements: list[Statement]) -> list[Finding]:
    """An area's "hộ nghèo và hộ cận nghèo" equals its "hộ nghèo" plus its "hộ cận nghèo" (counts exactly, rates
    within the rounding of the three); any of the three stated twice with two values: not checked."""
    out = []
    for area in _areas(statements):
        for percent in (False, True):
            three = [_area_statements(statements, area, m, percent) for m in ("combined", "poor", "near_poor")]
            if any(not xs or len({x.value for x in xs}) > 1 for xs in three):
                continue
            combined, poor, near = (xs[0] for xs in three)
            low = poor.interval[0] + near.interval[0]
            high = poor.interval[1] + near.interval[1]
            if combined.interval[1] + 1e-9 >= low and combined.interval[0] - 1e-9 <= high and \
                    (percent or combined.value == poor.value + near.value):
                continue
            computed = poor.value + near.value
            area_vi, area_en = _area_words(area)
            show = (lambda s: _pct(s.raw)) if percent else (lambda s: s.raw)
            out.append(finding(
                "narrative_combined", source=f"L{combined.line}", line=combined.line, expected=computed,
                actual=combined.value, area_vi=area_vi, area_en=area_en, combined=show(combined), poor=show(poor),
                near=show(near), poor_line=poor.line, near_line=near.line,
                computed=_pct_value(computed, [poor, near]) if percent else _fmt(computed),
                diff=_pct_value(abs(computed - combined.value), [poor, near]) if percent
                else _fmt(abs(computed - combined.value)),
            ))
    return out


def check_bases(statements: list[Statement]) -> list[Finding]:
    """The rates of one area (poor, near-poor, combined), each with its count, imply bases that overlap."""
    out = []
    for area in _areas(statements):
        pairs = []
        for measure in ("combined", "poor", "near_poor"):
            counts = [s for s in _area_statements(statements, area, measure, False) if s.pair is not None]
            if len({c.value for c in counts}) == 1:
                pairs.append(counts[0])
        bases = [(c, _base_interval(c, c.pair)) for c in pairs]
        bases = [(c, b) for c, b in bases if b is not None]
        if len(bases) < 2:
            continue
        low = max(b[0] for _, b in bases)
        high = min(b[1] for _, b in bases)
        if low <= high:
            continue
        (c1, b1), (c2, b2) = bases[0], next((cb for cb in bases[1:] if cb[1][0] > bases[0][1][1]
                                             or cb[1][1] < bases[0][1][0]), bases[1])
        area_vi, area_en = _area_words(area)
        out.append(finding(
            "narrative_base", source=f"L{c2.pair.line}", line=c2.pair.line, expected=round((b1[0] + b1[1]) / 2),
            actual=round((b2[0] + b2[1]) / 2), area_vi=area_vi, area_en=area_en,
            detail_vi=(f"{c1.raw} hộ với tỷ lệ {_pct(c1.pair.raw)} ứng với tổng số {_fmt(b1[0])}–{_fmt(b1[1])} hộ, "
                       f"còn {c2.raw} hộ với tỷ lệ {_pct(c2.pair.raw)} ứng với {_fmt(b2[0])}–{_fmt(b2[1])} hộ."),
            detail_en=(f"{c1.raw} households at {_pct(c1.pair.raw)} imply a base of {_fmt(b1[0])}–{_fmt(b1[1])}, "
                       f"while {c2.raw} at {_pct(c2.pair.raw)} imply {_fmt(b2[0])}–{_fmt(b2[1])}."),
        ))
    return out


def check_conflicts(statements: list[Statement]) -> list[Finding]:
    """The same label of the same area given two counts ("tổng số hộ nghèo là 815.101" … "là 771.235")."""
    out = []
    seen: dict[tuple, Statement] = {}
    for s in statements:
        if s.percent or s.part or s.change or s.area is None or s.measure is None:
            continue
        m = re.search(r"\b(tong so ho [a-z ]*?)\s*(?:la|co|con)?\s*\|", s.label)
        if not m:
            continue
        label = " ".join(across_config()["whole"].sub(" ", m[1]).replace(" chung ", " ").split())
        key = (s.area, label)
        first = seen.setdefault(key, s)
        if first is s or first.value == s.value:
            continue
        area_vi, area_en = _area_words(s.area)
        out.append(finding(
            "narrative_conflict", source=f"L{s.line}", line=s.line, expected=first.value, actual=s.value,
            area_vi=area_vi, area_en=area_en, label=key[1], first=first.raw, first_line=first.line, second=s.raw,
        ))
    return out


def check_orderings(statements: list[Statement], spots) -> list[Finding]:
    """A sentence that says its list is ordered ("cao nhất … thấp nhất", "giảm dần") lists its rates (or its
    counts) in that order."""
    cfg = across_config()
    out = []
    by_sentence: dict[int, list[Statement]] = {}
    for s in statements:
        by_sentence.setdefault(s.sentence, []).append(s)
    for sentence, items in by_sentence.items():
        text = items[0]
        block_text = next(sp.text for sp in spots if sp.block == text.block)
        first = min(i.start for i in items)
        lead = fold(block_text[max(0, block_text.rfind(". ", 0, first) + 1):first])
        descending = cfg["descending"].search(lead)
        ascending = cfg["ascending"].search(lead)
        if not (descending or ascending):
            continue
        rates = [i for i in items if i.percent and not i.change]
        counts = [i for i in items if not i.percent and not i.change]
        listed = rates if len(rates) >= cfg["min_ordered"] else counts
        if len(listed) < cfg["min_ordered"]:
            continue
        listed.sort(key=lambda s: s.start)
        for a, b in zip(listed, listed[1:]):
            wrong = b.value > a.value if descending else b.value < a.value
            if not wrong:
                continue
            show = (lambda s: _pct(s.raw)) if a.percent else (lambda s: s.raw)
            out.append(finding(
                "narrative_order", source=f"L{b.line}", line=b.line, expected=a.value, actual=b.value,
                order_vi="giảm dần" if descending else "tăng dần", order_en="descending" if descending else "ascending",
                after=show(b), before=show(a),
            ))
            break
    return out


def _pct(raw: str) -> str:
    """A rate as written, with its % sign and no space before it."""
    return raw.replace(" ", "") if raw.endswith("%") else raw + "%"


def _pct_value(value: float, like: list[Statement]) -> str:
    """A computed rate at the precision of the rates it comes from."""
    decimals = max((s.decimals for s in like), default=2)
    return f"{format_number(round(value, decimals))}%"
