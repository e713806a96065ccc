"""Validate facts against the fact contract, lazily: every failure becomes a finding, nothing raises."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from config.messages import finding
from contracts.facts import FactSchema
from contracts.findings import Finding


def validate_facts(facts: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, Finding]]]:
    """Check a batch of facts; returns them (coerced when they pass) and a finding per failed cell."""
    if facts.empty:
        return facts, []
    try:
        return FactSchema.validate(facts, lazy=True), []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        out: list[tuple[str, Finding]] = []
        for _, case in cases.iterrows():
            idx = case.get("index")
            if idx is None or pd.isna(idx) or idx not in facts.index:
                continue
            row = facts.loc[idx]
            out.append((row["submission"], finding(
                "contract", form_label=f"Biểu {str(row['form'])[-2:]}", source=row["source"],
                line=None if pd.isna(row["line"]) else int(row["line"]), form=row["form"],
                label=row["label"], indicator=row["indicator"],
                year=None if pd.isna(row["year"]) else int(row["year"]), measure=row["measure"],
                actual=row["raw"] or row["value"], check=f"{case['column']}: {case['check']}",
            )))
        # The warehouse holds what the district reported: failing rows stay, flagged by their findings.
        return facts, out
