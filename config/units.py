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


@lru_cache(maxsize=None)
def _named(name: str) -> re.Pattern:
    """'huyện X' and its kin, compiled once: ~2 800 patterns would overflow re's own cache."""
    return re.compile(rf"\b(?:{'|'.join(_PREFIXES)}) {re.escape(name)}\b")


@lru_cache(maxsize=1)
def _districts_by_province() -> dict[str, list[tuple[Unit, str]]]:
    out: dict[str, list] = {}
    for entry in _folded_districts():
        out.setdefault(entry[0].province_code, []).append(entry)
    return out


@lru_cache(maxsize=1)
def _folded_provinces() -> dict[str, str]:
    """'tinh <folded province>' -> province code."""
    return {f"tinh {fold(u.province)}": u.province_code for u in legacy_districts()}


def resolve_unit(text: str) -> Unit | None:
    """The district a report comes from: the unit named most often as 'huyện X' in a province the text names."""
    folded = fold(text)
    provinces = {code for tinh, code in _folded_provinces().items() if tinh in folded}
    counts: Counter[Unit] = Counter()
    candidates = [d for code in sorted(provinces) for d in _districts_by_province()[code]] if provinces \
        else _folded_districts()
    for unit, name in candidates:
        if name not in folded:
            continue  # a name that does not occur at all counts 0: skip its regex
        counts[unit] += len(_named(name).findall(folded))
    if not counts or counts.most_common(1)[0][1] == 0:
        return None
    return counts.most_common(1)[0][0]
