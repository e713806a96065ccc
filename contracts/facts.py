"""The fact table and report metadata as pandera contracts. No I/O.

FACT_COLUMNS is the order every reader, the warehouse loader and the JSON output share.
"""
from __future__ import annotations

import re
import sys

import pandera.pandas as pa
from pandera.typing import Series


def _strategies_without_hypothesis() -> None:
    """pandera's data synthesis imports hypothesis (a test-only dependency here) on the first validate: 0.1 s of a
    cold `baocao check` for a feature baocao never uses. Its strategies module is imported now with hypothesis
    hidden, then hypothesis is visible again to whoever imports it next (the property tests)."""
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # `import hypothesis` raises ImportError
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401  imports pandera.strategies
    finally:
        del sys.modules["hypothesis"]


_strategies_without_hypothesis()

MEASURES = ("plan", "actual")
_CATALOGUED_FORM = re.compile(r"BIEU_\d{2}$")  # matched from the start: Biểu 01, 02, ...
VALUE_KINDS = ("number", "dot_decimal", "dash", "repaired")


class FactSchema(pa.DataFrameModel):
    """One row per reported number: a value a district wrote in one cell of one annex."""

    submission: Series[str] = pa.Field(str_length={"min_value": 64, "max_value": 64})
    form: Series[str] = pa.Field(str_matches=r"^[A-Z0-9_]{1,16}$")  # BIEU_02, or a key from an uncatalogued table's title
    group: Series[str] = pa.Field(nullable=True)
    label: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator: Series[str] = pa.Field(nullable=True)
    unit: Series[str] = pa.Field(nullable=True)
    year: Series[pa.Int64] = pa.Field(nullable=True, ge=1990, le=2100)
    measure: Series[str] = pa.Field(isin=list(MEASURES))
    value: Series[float] = pa.Field(nullable=True)
    raw: Series[str] = pa.Field()
    kind: Series[str] = pa.Field(isin=list(VALUE_KINDS))
    source: Series[str] = pa.Field(str_length={"min_value": 1})
    column: Series[str] = pa.Field()
    line: Series[pa.Int64] = pa.Field(nullable=True)
    match_score: Series[float] = pa.Field(ge=0, le=1)

    class Config:
        strict = "filter"
        coerce = True
        ordered = False

    # ignore_na=False: a check that ignores NAs spares the rows whose every column is NA, which pandera finds by
    # asking every column of the batch (0.5 ms a string column at 300 reports: 22 of validation's 42 isna scans);
    # such a row cannot pass the columns' own checks anyway
    @pa.dataframe_check(error="a catalogued form's number is never negative", ignore_na=False)
    def catalogued_not_negative(cls, df):
        forms = df["form"]
        # the form pattern asked of the batch's few distinct forms, not of each of its ~26 000 rows
        catalogued = forms.isin([f for f in forms.unique() if isinstance(f, str) and _CATALOGUED_FORM.match(f)])
        return ~catalogued | df["value"].isna() | (df["value"] >= 0)

    @pa.dataframe_check(error="a dash is recorded with no value, a number always has one", ignore_na=False)
    def value_present_unless_dash(cls, df):
        return (df["kind"] == "dash") | df["value"].notna()


FACT_COLUMNS = list(FactSchema.to_schema().columns)

