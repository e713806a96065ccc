"""Validate facts against the fact contract, lazily: every failure becomes a finding, nothing raises."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from config.messages import finding, templates
from contracts.facts import FactSchema
from contracts.findings import Finding


@lru_cache(maxsize=1)
def row_checks() -> dict[str, dict[str, str]]:
    """The contract's checks on a whole row, by the error pandera reports them with: their words in
    config/messages.yaml (contract_checks)."""
    words = templates()["contract_checks"]
    return {check.error: words.get(check.name, {}) for check in FactSchema.to_schema().checks}


def validate_facts(facts: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, Finding]]]:
    """Check a batch of facts; returns them (coerced when they pass) and a finding per failed cell."""
    if facts.empty:
        return facts, []
    try:
        return FactSchema.validate(facts, lazy=True), []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        # a check on the whole row (FactSchema's dataframe checks) fails once a row, but pandera lists it once for
        # each of the row's columns: one negative number in a Biểu gave its cell 15 findings, each naming another
        # column ("submission: a catalogued form's number is never negative"); it is one finding, named by its check
        if "schema_context" in cases:
            whole_row = cases["schema_context"].eq("DataFrameSchema")
            cases = cases[~(whole_row & cases.duplicated(["schema_context", "check", "index"]))]
        out: list[tuple[str, Finding]] = []
        for _, case in cases.iterrows():
            idx = case.get("index")
            if idx is None or pd.isna(idx) or idx not in facts.index:
                continue
            row = facts.loc[idx]
            if case.get("schema_context") == "DataFrameSchema":
                words = row_checks().get(case["check"], {})
                check_vi, check_en = words.get("vi", case["check"]), words.get("en", case["check"])
            else:
                check_vi = check_en = f"{case['column']}: {case['check']}"
            out.append((row["submission"], finding(
                "contract", form_label=f"Biểu {str(row['form'])[-2:]}", source=row["source"],
                line=None if pd.isna(row["line"]) else int(row["line"]), form=row["form"],
                label=row["label"], indicator=row["indicator"],
                year=None if pd.isna(row["year"]) else int(row["year"]), measure=row["measure"],
                actual=row["raw"] or row["value"], check_vi=check_vi, check_en=check_en,
            )))
        # The warehouse holds what the district reported: failing rows stay, flagged by their findings.
        return facts, out
