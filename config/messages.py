"""Findings are built from the templates of config/messages.yaml and the rules of config/rules.yaml."""
from __future__ import annotations

import re
from functools import lru_cache

from config.files import read_yaml
from contracts.errors import Unreadable
from contracts.findings import Finding
from contracts.vietnamese import format_number


@lru_cache(maxsize=1)
def templates() -> dict:
    return read_yaml("messages.yaml")


@lru_cache(maxsize=1)
def rules() -> dict:
    return read_yaml("rules.yaml")["rules"]


def where(ref: str | None) -> tuple[str, str]:
    """A source reference in words: 'L143:C5' -> ('dòng 143, cột 5', 'line 143, column 5')."""
    if not ref:
        return "không rõ vị trí", "position unknown"
    if m := re.fullmatch(r"L(\d+):C(\d+)", ref):
        return f"dòng {m[1]}, cột {m[2]}", f"line {m[1]}, column {m[2]}"
    if m := re.fullmatch(r"L(\d+)", ref):
        return f"dòng {m[1]}", f"line {m[1]}"
    if m := re.fullmatch(r"T(\d+):R(\d+):C(\d+)", ref):
        return f"bảng {m[1]}, hàng {m[2]}, cột {m[3]}", f"table {m[1]}, row {m[2]}, column {m[3]}"
    if m := re.fullmatch(r"T(\d+)", ref):
        return f"bảng {m[1]}", f"table {m[1]}"
    if m := re.fullmatch(r"R(\d+)(?::C(\d+))?", ref):
        return (f"hàng {m[1]}, cột {m[2]}", f"row {m[1]}, column {m[2]}") if m[2] else (f"hàng {m[1]}", f"row {m[1]}")
    if "!" in ref:
        return f"ô {ref}", f"cell {ref}"
    return ref, ref


def column_words(year: int | None, measure: str | None) -> tuple[str, str]:
    """('Năm 2018 / Thực hiện', 'year 2018 / actual'); year None is the phase total."""
    vi_year = "Tổng số" if year is None else f"Năm {year}"
    en_year = "phase total (Tổng số)" if year is None else f"year {year}"
    vi_m = {"plan": "Kế hoạch", "actual": "Thực hiện"}.get(measure or "", "")
    en_m = {"plan": "plan", "actual": "actual"}.get(measure or "", "")
    return (f"{vi_year} / {vi_m}" if vi_m else vi_year), (f"{en_year} / {en_m}" if en_m else en_year)


def _num(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(float(value))
    return "" if value is None else str(value)


def _plain(value):
    """Numbers stay numbers in the record (1886, not "1.886"); whole floats become ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def finding(rule: str, *, form_label: str | None = None, source: str | None = None,
            expected=None, actual=None, severity: str | None = None, **fields) -> Finding:
    """Build one Finding for a rule: severity from rules.yaml, messages from messages.yaml."""
    spec = rules()[rule]
    fields = {k: (None if isinstance(v, float) and v != v else v) for k, v in fields.items()}  # NaN is "none"
    where_vi, where_en = where(source)
    column_vi, column_en = column_words(fields.get("year"), fields.get("measure"))
    ctx = {
        **{k: _num(v) for k, v in fields.items()},
        "form": form_label or fields.get("form") or "",
        "label": fields.get("label") or "",
        "where_vi": where_vi, "where_en": where_en,
        "column_vi": column_vi, "column_en": column_en,
        "expected": _num(expected), "actual": _num(actual),
    }
    tmpl = templates()[rule]
    keys = {f.name for f in Finding.__dataclass_fields__.values()}
    return Finding(
        rule=rule,
        severity=severity or spec["severity"],
        message_vi=tmpl["vi"].format(**ctx),
        message_en=tmpl["en"].format(**ctx),
        expected=_plain(expected),
        actual=_plain(actual),
        source=source,
        **{k: v for k, v in fields.items() if k in keys},
    )


def unreadable(reason: str, **params) -> Unreadable:
    """The error for a file no reader can take, from the reason's templates (config/messages.yaml
    unreadable_reasons); an unknown reason id is a bug, not bad data."""
    texts = templates()["unreadable_reasons"][reason]
    filled = {k: v.format(**params) for k, v in texts.items()}
    return Unreadable(reason, filled["en"], filled["vi"], filled["fix_en"], filled["fix_vi"])

