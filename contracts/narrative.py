"""The figures of a report's narrative, as tasks/narrative.py reads them. No I/O."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Figure:
    """One row per number written in the narrative: its value, unit, phrase and where it stands."""

    raw: str  # "4.281", "25,64%", "102,924,5" as written
    value: float | None  # None when malformed
    kind: str  # parse_number's kind: "number" | "dot_decimal" | "malformed"
    percent: bool
    unit: str | None  # "hộ", "người", "%" ... (config/narrative.yaml units), None when no known unit follows
    phrase: str  # the words around it, as written
    sentence: str  # the sentence it stands in
    line: int  # line of the block it stands in
    start: int  # character span within that block's text
    end: int
    section: str = ""  # "III.2"
    year: int | None = None  # a single year the sentence names before it ("Năm 2020, ...")
    # set when the catalog says which table cell the phrase reports (config/forms/*.yaml `narrative:`)
    form: str | None = None
    indicator: str | None = None
    measure: str | None = None
    cell_source: str | None = None  # "L192:C5"
    cell_value: float | None = None  # the cell, or the sum of its years when the cell is blank
    cell_derived: bool = False  # True when cell_value is the years' sum of a blank total

    @property
    def ref(self) -> str:
        return f"L{self.line}:{self.start}-{self.end}"

    def to_dict(self) -> dict:
        return asdict(self)
