"""A reporting period as the warehouse spells it: one year ("2020") or a phase ("2016-2020")."""
from __future__ import annotations

import re
from dataclasses import dataclass

_WRITTEN = re.compile(r"(\d{4})(?:\s*[-\u2013\u2014]\s*(\d{4}))?")


@dataclass(frozen=True, order=True)
class Period:
    """One row per reporting period: its first and last year."""

    start: int
    end: int

    @property
    def code(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    @property
    def years(self) -> range:
        return range(self.start, self.end + 1)

    def __str__(self) -> str:
        return self.code

    @classmethod
    def parse(cls, text: str | None) -> Period | None:
        """"2016-2020", "2016 – 2020" or "2020" (nothing else around it); None for anything else."""
        m = _WRITTEN.fullmatch((text or "").strip())
        if not m:
            return None
        start, end = int(m[1]), int(m[2] or m[1])
        return cls(start, end) if start <= end else None

    @classmethod
    def of_years(cls, years: list[int]) -> Period | None:
        """The period from the first to the last of the years a text names."""
        return cls(min(years), max(years)) if years else None


def checked_period(text: str) -> str:
    """The period's code, or a ValueError that says how to write it."""
    period = Period.parse(text)
    if period is None:
        raise ValueError(f"period {text!r} is not YYYY or YYYY-YYYY; write it like 2016-2020 (the phase) or 2020")
    return period.code
