"""What checking a file gives the loader: a SubmissionResult, its fact rows, its status, or its quarantine.

Kept apart from tasks.check.submission, which reads and checks with pandas and pandera: the loading process (the
flow's) receives results from the reading workers and needs neither (0.4 s and ~40 MiB less at every run's start).
"""
from __future__ import annotations

import gc
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from config.messages import finding, unreadable
from contracts.document import Document, sha256_of
from contracts.errors import Unreadable
from contracts.findings import Finding, worst_severity

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SubmissionResult:
    """What one file became: its document (unless unreadable), its facts and its findings."""

    source: str
    sha256: str
    format: str
    encoding: str | None
    status: str  # "ok" | "flagged" | "quarantined"
    document: Document | None
    facts: pd.DataFrame | None  # None once checked in a reading worker: `rows` holds them, and is what is sent
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None  # why it was quarantined, or what the reader had to assume (a misnamed file)
    trace: str | None = None  # a reader's traceback, for developers
    figures: list = field(default_factory=list)  # contracts.narrative.Figure: every number of the narrative
    rows: list[tuple] | None = None  # `facts` as rows of the facts table (FACT_ROW), made for the whole batch at once

    @property
    def worst(self) -> str | None:
        return worst_severity(self.findings)


# A fact row: the facts table's columns (but its id), in the table's order, as a plain tuple. Tuples, not dicts: a
# batch's rows are made, pickled by the reading worker and unpickled by the loader in about half the time (dicts:
# 0.08 + 0.04 + 0.07 ms a report), and the driver takes them as they are.
FACT_ROW = ("submission_id", "form", "group_no", "label", "indicator", "unit", "year", "measure", "value", "raw",
            "kind", "source", "column_header", "line", "match_score")
(SUBMISSION_ID, FORM, GROUP_NO, LABEL, INDICATOR, UNIT, YEAR, MEASURE, VALUE, RAW, KIND, SOURCE, COLUMN_HEADER, LINE,
 MATCH_SCORE) = range(len(FACT_ROW))
_FRAME_NAMES = {"submission_id": "submission", "group_no": "group", "column_header": "column"}


def fact_table_rows(facts: pd.DataFrame) -> list[tuple]:
    """A facts frame as rows for the facts table (FACT_ROW; NULL, never NaN: PostgreSQL keeps NaN as a number).

    Column by column (`tolist` gives Python scalars), once per batch: record by record, per report, it cost
    4 ms a report."""
    import pandas as pd  # a frame came with the result: pandas is loaded already

    if facts.empty:
        return []
    columns = []
    for name in FACT_ROW:
        column = facts[_FRAME_NAMES.get(name, name)]
        values = column.tolist()
        if name in ("year", "line"):
            values = [None if v is None or v is pd.NA or v != v else int(v) for v in values]
        elif column.hasnans:
            values = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]
        columns.append(values)
    return list(zip(*columns))


def as_fact_row(record: dict) -> tuple:
    """A fact as a dict (a facts-table row, or a frame's record under contracts/facts.py's names) as a fact row."""
    return tuple(record.get(name, record.get(_FRAME_NAMES.get(name, name))) for name in FACT_ROW)


def status_for(findings: list[Finding]) -> str:
    """Flagged when anything at warning level or worse was found; info alone leaves it ok."""
    return "flagged" if any(f.severity in ("error", "warning") for f in findings) else "ok"


def quarantined(data: bytes, source: str, exc: Exception, frame: bool = True) -> SubmissionResult:
    """An unreadable file: one error finding that says why, and the way out. `frame=False`, for the loader: no
    facts frame, no fact rows (the loading process does not import pandas for an empty frame)."""
    trace = None
    if not isinstance(exc, Unreadable):  # a reader's bug: the file is quarantined and developers get the traceback
        trace = "".join(traceback.format_exception(exc))
        exc = unreadable("reader_failed", error=f"{type(exc).__name__}: {exc}", kind=type(exc).__name__)
    f = finding("unreadable", source=None, source_name=source, reason_vi=exc.reason_vi, reason_en=exc.reason_en,
                fix_vi=exc.fix_vi, fix_en=exc.fix_en)
    reason_en = exc.reason_en
    from tasks.read.submission import detect_format

    facts = rows = None
    if frame:
        import pandas as pd

        from contracts.facts import FACT_COLUMNS

        facts = pd.DataFrame(columns=FACT_COLUMNS)
    else:
        rows = []
    return SubmissionResult(
        source=source, sha256=sha256_of(data), format=detect_format(data), encoding=None,
        status="quarantined", document=None, facts=facts, findings=[f], reason=reason_en, trace=trace, rows=rows,
    )


@contextmanager
def collector_paused():
    """The cyclic collector paused while a batch is read, checked or written: a batch allocates millions of objects,
    frees them by reference counting, and keeps its results alive to the end, so each automatic collection scanned
    more of them (15-20 % of reading a batch; 2 491 collections, 0.4-0.5 s, in the loading process at N = 5 000). It
    runs again when the batch is done; nested pauses leave it to the outermost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
