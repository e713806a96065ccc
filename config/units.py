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

from tasks.read.normalize import fold

_PREFIXES = ("huyen", "thi xa", "thanh pho", "quan")
# Centrally-run cities (thành phố trực thuộc trung ương): Hà Nội, Hải Phòng, Đà Nẵng, Hồ Chí Minh, Cần Thơ.
# A report names them "thành phố X", never "tỉnh X".
CENTRAL_CITIES = frozenset({"01", "31", "48", "79", "92"})


@dataclass(frozen=True)
class Unit:
    """One district-level reporting unit."""

    code: str  # GSO district code, "109"
    name: str  # "Phong Thổ"
    full_name: str  # "Huyện Phong Thổ"
    kind: str  # "Huyện" | "Thị xã" | "Thành phố" | "Quận"
    province_code: str
    province: str  # "Lai Châu"


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


@lru_cache(maxsize=1)
def _folded_districts() -> tuple[tuple[Unit, str], ...]:
    """(unit, folded name), folded once per process rather than once per report."""
    return tuple((u, fold(u.name)) for u in legacy_districts())


def _longest_first(names) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=lambda n: (-len(n), n)))


# 'huyện X' and its kin: where a district name may start. Any kind word before any name, as before.
_MENTION = re.compile(rf"\b(?:{'|'.join(_PREFIXES)}) ")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _district_names() -> tuple[dict[str, tuple[Unit, ...]], int, dict[Unit, int]]:
    """Folded name -> the units of that name (a few names recur across provinces), the longest name's
    length, and each unit's place in the reference list (ties go to the first, as they always have)."""
    names: dict[str, list[Unit]] = {}
    for unit, name in _folded_districts():
        names.setdefault(name, []).append(unit)
    longest = max(len(n) for n in names)
    return {n: tuple(us) for n, us in names.items()}, longest, {u: i for i, u in enumerate(legacy_districts())}


@lru_cache(maxsize=1)
def _province_pattern() -> tuple[re.Pattern, dict[str, str]]:
    """'tinh <province>' for every province, 'thanh pho <city>' for the five centrally-run cities only
    ('thành phố Lai Châu' is a district of Lai Châu province, not a province), and folded name -> code."""
    codes = {fold(u.province): u.province_code for u in legacy_districts()}
    cities = [name for name, code in codes.items() if code in CENTRAL_CITIES]
    return re.compile(rf"\b(?:tinh ({_longest_first(codes)})|thanh pho ({_longest_first(cities)}))\b"), codes


def _provinces_named(folded: str) -> set[str]:
    pattern, codes = _province_pattern()
    return {codes[m[1] or m[2]] for m in pattern.finditer(folded)}


def resolve_unit(text: str) -> Unit | None:
    """The district a report comes from: the unit named most often as 'huyện X' in a province the text names.

    A mention counts for the longest district name it spells out, among the candidates: 'huyện Điện Biên Đông'
    is Điện Biên Đông and not also Điện Biên, 'huyện Vĩnh Thạnh' is not also 'Vinh'. The candidates are the
    districts of the provinces the text names ('tỉnh X', or 'thành phố X' for a centrally-run city), or every
    district when it names none. One pass over the text: each 'huyện ' (and kin) is followed by at most a few
    words, looked up longest first in a dict, whatever the number of candidates.
    """
    folded = fold(text)
    provinces = _provinces_named(folded)
    names, longest, rank = _district_names()
    counts: Counter[Unit] = Counter()
    reach = 0  # the end of the last counted mention: a name inside it does not count again
    for mention in _MENTION.finditer(folded):
        start = mention.end()
        if mention.start() < reach:
            continue
        # every place a word ends within reach of the longest name; a name is whole words, so it ends at one
        ends = [w.end() for w in _WORD.finditer(folded, start, start + longest + 1)]
        for end in reversed(ends):
            units = names.get(folded[start:end])
            if units and provinces:
                units = tuple(u for u in units if u.province_code in provinces)
            if units:
                counts.update(units)
                reach = end
                break
    if not counts:
        return None
    return max(counts, key=lambda u: (counts[u], -rank[u]))
