"""Reference list of reporting units: the legacy (63-province) districts with GSO codes.

Read straight from the dataset that ships with `vietnamadminunits`, without importing that package
(its import is slow and `baocao check` must start fast).
"""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from contracts.vietnamese import fold

# The kind word a report writes before a district's name (folded), and the dataset's kind it stands for.
# "TP." and "TX." are how headers and addresses abbreviate thành phố and thị xã.
_KIND_WORDS = {"huyen": "Huyện", "thi xa": "Thị xã", "thanh pho": "Thành phố", "quan": "Quận",
               "tp": "Thành phố", "tx": "Thị xã"}
# Centrally-run cities (thành phố trực thuộc trung ương): Hà Nội, Hải Phòng, Đà Nẵng, Hồ Chí Minh, Cần Thơ.
# A report names them "thành phố X" or "TP. X", never "tỉnh X".
CENTRAL_CITIES = frozenset({"01", "31", "48", "79", "92"})
# Other ways reports name a province (folded) than "tỉnh <dataset name>" / "thành phố <city>":
# after "tỉnh", after "thành phố"/"TP", and standing alone. The dataset calls Thừa Thiên Huế "Huế";
# "thành phố Huế" is in that province whether read as the old provincial city or as the city it became in 2025.
_PROVINCE_AFTER_TINH = {"thua thien hue": "46"}
_PROVINCE_AFTER_CITY = {"hcm": "79", "hue": "46"}
_PROVINCE_ALONE = {"tphcm": "79", "thua thien hue": "46"}
_BRACKET_KIND = re.compile(r"\s*\((?:Huyện|Thị xã|Thành phố|Quận)\)$")


@dataclass(frozen=True)
class Unit:
    """One district-level reporting unit."""

    code: str  # GSO district code, "109"
    name: str  # "Phong Thổ"
    full_name: str  # "Huyện Phong Thổ"
    kind: str  # "Huyện" | "Thị xã" | "Thành phố" | "Quận"
    province_code: str
    province: str  # "Lai Châu"

    @property
    def plain(self) -> str:
        """The name as a report writes it on its own: the dataset's "Kỳ Anh (Thị xã)" is "Kỳ Anh"; "Quận 1" stays."""
        return _BRACKET_KIND.sub("", self.name)

    @property
    def called(self) -> str:
        """Kind and name as a report writes them after "UBND": "thị xã Kỳ Anh", "huyện Phong Thổ", "quận 1"
        (not "quận Quận 1": the numbered districts carry their kind in their name)."""
        return f"{self.kind.lower()} {_bare(self)}"


def display_name(kind: str | None, name: str) -> str:
    """A unit as a heading names it: "Thị xã Kỳ Anh" (not "Thị xã Kỳ Anh (Thị xã)"), "Quận 1" (not "Quận Quận 1")."""
    kind = kind or "Huyện"
    plain = _BRACKET_KIND.sub("", name)
    return plain if plain.startswith(kind + " ") else f"{kind} {plain}"


def bare_name(unit: Unit) -> str:
    """What follows the kind word: "Kỳ Anh" for "Kỳ Anh (Thị xã)", "1" for "Quận 1", else the name."""
    return _bare(unit)


def _bare(unit: Unit) -> str:
    """What follows the kind word: "Kỳ Anh" for "Kỳ Anh (Thị xã)", "1" for "Quận 1", else the name."""
    plain = unit.plain
    return plain[len(unit.kind) + 1:] if plain.startswith(unit.kind + " ") else plain


def _dataset() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the reference list needs the package vietnamadminunits: pip install vietnamadminunits")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "dataset.db"


@lru_cache(maxsize=1)
def legacy_districts() -> tuple[Unit, ...]:
    """Every legacy district of the country, once."""
    with sqlite3.connect(f"file:{_dataset()}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT districtCode, districtShort, district, districtType, provinceCode, provinceShort"
            " FROM admin_units_legacy ORDER BY districtCode"
        ).fetchall()
    return tuple(Unit(*row) for row in rows)


def districts_of(province_code: str) -> list[Unit]:
    return [u for u in legacy_districts() if u.province_code == province_code]


def _alternation(words) -> str:
    """A regex alternation of the words, longest first, grouped by first letter: re tries each group's first
    letter once per position instead of each word's (the keyword scan below is most of resolve_unit's time)."""
    by_first: dict[str, list[str]] = {}
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        by_first.setdefault(w[0], []).append(re.escape(w[1:]))
    return "|".join(f"{re.escape(f)}(?:{'|'.join(rest)})" if len(rest) > 1 else re.escape(f) + rest[0]
                    for f, rest in by_first.items())


# Every word after which a district or province name may follow ('huyện X' and kin, 'tỉnh X', 'thành phố X',
# 'TP. X'), and the province words that stand alone ('TPHCM', 'Thừa Thiên - Huế'): one scan finds them all.
_KEYWORDS = re.compile(rf"\b({_alternation([*_KIND_WORDS, 'tinh', *_PROVINCE_ALONE])})\b")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _district_names() -> tuple[dict[str, tuple[Unit, ...]], int, dict[Unit, int]]:
    """Folded name as a report writes it after the kind word ("ky anh", "1", "phong tho") -> the units of that name
    (a few names recur across provinces, and six pairs in one province differ only by kind), the longest name's
    length, and each unit's place in the reference list (ties go to the first, as they always have).
    The dataset's "Kỳ Anh (Thị xã)" and "Quận 1" are not keys: a report does not write them so, and
    "thị xã Kỳ Anh, huyện Kỳ Anh" would read as "thị xã <Kỳ Anh (Huyện)>"."""
    names: dict[str, list[Unit]] = {}
    for unit in legacy_districts():
        names.setdefault(fold(_bare(unit)), []).append(unit)
    longest = max(len(n) for n in names)
    return {n: tuple(us) for n, us in names.items()}, longest, {u: i for i, u in enumerate(legacy_districts())}


@lru_cache(maxsize=1)
def _province_names() -> tuple[dict[str, str], dict[str, str], int]:
    """Folded province name -> code after 'tinh' (every province, and Thừa Thiên Huế), and after 'thanh pho' /
    'tp' (the five centrally-run cities only: 'thành phố Lai Châu' is a district of Lai Châu province, not a
    province; and HCM, Huế), and the longest of them."""
    codes = {fold(u.province): u.province_code for u in legacy_districts()}
    after_tinh = codes | _PROVINCE_AFTER_TINH
    after_city = {name: code for name, code in codes.items() if code in CENTRAL_CITIES} | _PROVINCE_AFTER_CITY
    return after_tinh, after_city, max(len(n) for n in (*after_tinh, *after_city))


def _longest_at(folded: str, start: int, table: dict[str, str], longest: int) -> str | None:
    """The value of the longest key of table (a province name) spelled out from start."""
    # every place a word ends within reach of the longest key; a key is whole words, so it ends at one (a word cut
    # at the reach is longer than any key, so never one)
    ends = [w.end() for w in _WORD.finditer(folded, start, start + longest + 1)]
    for end in reversed(ends):
        hit = table.get(folded[start:end])
        if hit is not None:
            return hit
    return None


def _scan(folded: str) -> tuple[set[str], list[tuple[int, int, str]]]:
    """One pass over a folded text: the codes of the provinces it names, and each district mention as
    (where its kind word starts, where the name after it starts, the kind)."""
    after_tinh, after_city, longest = _province_names()
    provinces: set[str] = set()
    mentions: list[tuple[int, int, str]] = []
    for m in _KEYWORDS.finditer(folded):
        word, end = m[1], m.end()
        if word in _PROVINCE_ALONE:
            provinces.add(_PROVINCE_ALONE[word])
            continue
        if folded[end:end + 1] != " ":
            continue
        kind = _KIND_WORDS.get(word)
        table = after_tinh if word == "tinh" else after_city if kind == "Thành phố" else None
        if table is not None:
            code = _longest_at(folded, end + 1, table, longest)
            if code is not None:
                provinces.add(code)
        if kind is not None:
            mentions.append((m.start(), end + 1, kind))
    return provinces, mentions


def _provinces_named(folded: str) -> set[str]:
    return _scan(folded)[0]


def resolve_unit(text: str) -> Unit | None:
    """The district a report comes from: the unit named most often as 'huyện X' in a province the text names.

    A mention counts for the longest district name it spells out, among the candidates: 'huyện Điện Biên Đông'
    is Điện Biên Đông and not also Điện Biên, 'huyện Vĩnh Thạnh' is not also 'Vinh', 'quận 10' is not 'quận 1'.
    The candidates are the districts of the provinces the text names ('tỉnh X', or 'thành phố X' / 'TP. X' for a
    centrally-run city), or every district when it names none. Where one name stands for units of several kinds,
    the kind word written before it picks those of its kind ('thị xã Kỳ Anh' is not huyện Kỳ Anh); a kind word
    none of them has leaves them all. One scan over the text finds the province words and the kind words; each
    is followed by at most a few words, looked up longest first in a dict, whatever the number of candidates.
    """
    folded = fold(text)
    provinces, mentions = _scan(folded)
    names, longest, rank = _district_names()
    counts: Counter[Unit] = Counter()
    reach = 0  # the end of the last counted mention: a name inside it does not count again
    for at, start, kind in mentions:
        if at < reach:
            continue
        # longest name first; a name none of whose units is a candidate gives way to a shorter one
        ends = [w.end() for w in _WORD.finditer(folded, start, start + longest + 1)]
        for end in reversed(ends):
            name = folded[start:end]
            units = names.get(name)
            if units and provinces:
                units = tuple(u for u in units if u.province_code in provinces)
            if units:
                of_kind = tuple(u for u in units if u.kind == kind)
                # a kind word none of them has leaves them all, save for a bare number: "quận 1" is a district,
                # "toàn huyện 1.886 người" is not
                units = of_kind if of_kind or name.isdigit() else units
            if units:
                counts.update(units)
                reach = end
                break
    if not counts:
        return None
    return max(counts, key=lambda u: (counts[u], -rank[u]))


def unit_by_code(code: str | None) -> Unit | None:
    """The district with this GSO code ("109" or 109), or None."""
    if not code:
        return None
    return _by_code().get(str(code).strip().zfill(3))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Unit]:
    return {u.code: u for u in legacy_districts()}


def unit_named(name: str) -> list[Unit]:
    """Every district a name can mean, written as a report writes it ("Thị xã Kỳ Anh", "Quận 1", "Phong Thổ") or as
    the reference data does ("Kỳ Anh (Thị xã)"); the kind word written chooses between units of the same name."""
    folded = fold(name)
    kind = re.match(r"(huyen|thi xa|thanh pho|quan)\s+", folded)
    key = folded[kind.end():] if kind else folded
    match = [u for u in legacy_districts() if folded == fold(u.name) or key in (fold(u.plain), fold(bare_name(u)))]
    if len(match) > 1 and kind:
        match = [u for u in match if fold(u.kind) == kind[1]] or match
    return match
