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


def resolve_unit(text: str) -> Unit | None:
    """The district a report comes from: the unit named most often as 'huyện X' in a province the text names."""
    folded = fold(text)
    provinces = {u.province_code for u in legacy_districts() if f"tinh {fold(u.province)}" in folded}
    candidates = [u for u in legacy_districts() if not provinces or u.province_code in provinces]
    counts: Counter[Unit] = Counter()
    for unit in candidates:
        name = fold(unit.name)
        for prefix in _PREFIXES:
            counts[unit] += len(re.findall(rf"\b{prefix} {re.escape(name)}\b", folded))
    if not counts or counts.most_common(1)[0][1] == 0:
        return None
    return counts.most_common(1)[0][0]
