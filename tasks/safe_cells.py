"""Cells fit to export: text a spreadsheet would run as a formula is written as text."""
from __future__ import annotations

from numbers import Number

# Excel, LibreOffice and Google Sheets start a formula on these (OWASP "CSV injection"); tab and CR too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value for a CSV or XLSX cell: numbers and None pass; text a spreadsheet would evaluate gets a leading '."""
    if value is None or isinstance(value, Number):
        return value
    text = str(value)
    if text.lstrip(" \u00a0").startswith(FORMULA_STARTS):
        return "'" + text
    return text
