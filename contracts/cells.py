"""Cells fit to export: text a spreadsheet would run as a formula (OWASP "CSV injection") is written as text."""
from __future__ import annotations

import re
from numbers import Number

# Excel, LibreOffice and Google Sheets start a formula on these; tab and CR too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?|-")  # a negative number or a lone dash: data, never a formula


def formula_like(text: str) -> bool:
    """Text a spreadsheet would evaluate if it were written into a cell as it is."""
    return text.lstrip(" \u00a0").startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def safe_cell(value):
    """A value for a CSV or XLSX cell: numbers and None pass; text a spreadsheet would evaluate gets a leading '."""
    if value is None or isinstance(value, Number):
        return value
    text = str(value)
    return "'" + text if formula_like(text) else text


def csv_text(value) -> str:
    """safe_cell as CSV text: None is an empty cell."""
    return "" if value is None else str(safe_cell(value))
