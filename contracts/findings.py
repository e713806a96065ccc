"""The Finding record: one failure a steward must see, with where it came from and how to fix it."""
from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


@dataclass
class Finding:
    """One row per failure of one rule at one place in one submission."""

    rule: str
    severity: str
    message_vi: str
    message_en: str
    form: str | None = None
    group: str | None = None
    label: str | None = None
    indicator: str | None = None
    year: int | None = None
    measure: str | None = None
    expected: float | int | str | None = None
    actual: float | int | str | None = None
    source: str | None = None  # cell or line reference: "L143:C9", "Sheet1!H12"
    line: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")

    def to_dict(self) -> dict:
        return asdict(self)


def worst_severity(findings: list[Finding]) -> str | None:
    """The run's (or submission's) result is its worst severity; None when there is nothing."""
    if not findings:
        return None
    return max((f.severity for f in findings), key=SEVERITY_RANK.__getitem__)
