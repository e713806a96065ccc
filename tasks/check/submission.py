"""One submission through the plain steps: read, tabulate, validate, reconcile. No Prefect, no warehouse."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from config.catalog import load_forms
from config.limits import load_limits
from config.settings import load_settings
from contracts.document import Document
from contracts.findings import Finding
from tasks.check.narrative import check_narrative
from contracts.document import sha256_of
from tasks.read.submission import read_document
from tasks.check.reconcile import (
    check_metadata, check_period_coverage_of_years, cross_check_annexes, reconcile_group_totals, reconcile_pairs,
    reconcile_totals, reported_years,
)
from tasks.check.tabulate import CELL_COLUMNS, facts_of, tabulate_records
from tasks.check.validate import validate_facts
from tasks.check.result import (  # noqa: F401
    SubmissionResult, collector_paused, fact_table_rows, quarantined, status_for,
)


def for_loading(result):
    """The result as the loader needs it: the document's metadata, facts and findings, without the narrative
    blocks, tables, decoded lines and figures (three quarters of its pickle: 37 KB a report, 10 KB without),
    which a reading worker would otherwise send to the loading process for nothing."""
    doc = result.document
    light = replace(doc, blocks=[], tables=[], lines=[], findings=[f for f in doc.findings
                                                                    if f.rule == "format_mismatch"]) \
        if doc is not None else None
    if not isinstance(result, ReadSubmission) and result.facts is not None and result.rows is None:
        # rows, not a frame: unpickling one imports pandas
        return replace(result, document=light, figures=[], facts=None, rows=fact_table_rows(result.facts))
    return replace(result, document=light, figures=[])  # a read submission's cell records are tuples already


def process_submission(data: bytes, source: str) -> SubmissionResult:
    """Read, tabulate, validate and reconcile one file; never raises on bad data."""
    return process_batch([(data, source)])[0]


def _by_submission(pairs: list[tuple[str, Finding]]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for sub, f in pairs:
        out.setdefault(sub, []).append(f)
    return out


@dataclass
class ReadSubmission:
    """A file read in a worker: its document (without what loading does not need), its cell records, its narrative
    figures, and the findings of the checks that need the whole document (metadata, annexes, narrative)."""

    document: Document
    records: list[tuple]  # as tabulated: tuples in CELL_COLUMNS' order
    findings: list[Finding]
    figures: list = field(default_factory=list)

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def sha256(self) -> str:
        return self.document.sha256


# zip (docx, xlsx, odt, ods), OLE2 (doc, xls) and RTF (converted to docx): files whose readers leave reference cycles
_OFFICE = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf")


def all_text(files: list[tuple[bytes, str]]) -> bool:
    """No office file among them (see _gc_paused_for_text)."""
    return not any(data.startswith(_OFFICE) for data, _ in files)


def _gc_paused_for_text(files: list[tuple[bytes, str]]):
    """The collector paused while a batch of text files is read: the documents read so far stay alive until the
    batch is sent, so each collection scanned more of them (a quarter of a worker's time at 1 000 files), and
    reading text leaves about 4 cyclic objects a file. A batch with an office file keeps it running: its readers
    leave cycles holding megabytes (50 .docx read with it paused held 270 MB more; a reading worker has 600 MB)."""
    return collector_paused() if all_text(files) else nullcontext()


def read_documents(files: list[tuple[bytes, str]]) -> list[ReadSubmission | SubmissionResult]:
    """Read each file, tabulate it and run the checks that need the whole document; an unreadable file comes back
    quarantined. Plain and picklable: the bounded reading worker runs it on a batch."""
    forms, limits = load_forms(), load_limits()
    out: list[ReadSubmission | SubmissionResult] = []
    with _gc_paused_for_text(files):
        for data, source in files:
            try:
                doc = read_document(data, source, limits)
            except Exception as exc:  # a reader's bug on one file must not stop the batch
                out.append(quarantined(data, source, exc))
                continue
            records, findings = tabulate_records(doc, forms)
            findings += check_metadata(doc)
            findings += cross_check_annexes(doc, forms)
            figures, narrative = check_narrative(doc, records, forms)
            findings += narrative
            findings += doc.findings
            out.append(ReadSubmission(doc, records, findings, figures))
    return out


def read_light(files: list[tuple[bytes, str]]) -> list[ReadSubmission | SubmissionResult]:
    """read_documents, each document without its narrative blocks, tables and lines (what a worker sends back)."""
    with _gc_paused_for_text(files):  # through the slimming too: a collection there would scan the whole batch
        return [for_loading(r) for r in read_documents(files)]


def read_checked(files: list[tuple[bytes, str]]) -> list[SubmissionResult]:
    """What a reading worker sends back for a batch: each file read, slimmed (read_light) and given the batch's frame
    checks (check_read), its facts as the rows the loader writes and not also as a frame. Checking here rather than in
    the loading process moves a batch's pandas and pandera work off the process that writes the warehouse, and what
    comes back unpickles ~7 times faster (100 late reports of the bench corpus: 62 -> 9 ms) than cell records."""
    with _gc_paused_for_text(files):
        return check_read(read_light(files), frames=False)


PARALLEL_MIN = 20  # fewer files than this are read in-process: a worker's round trip would cost more
_pool = None  # a ProcessPoolExecutor, imported and started on first use (`check` never needs one)


def _workers_pool(workers: int):
    """One pool per process, started on first use. Spawned, not forked: the flow's process runs
    Prefect's threads, and a fork copies their locks."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _pool
    if _pool is None or _pool._max_workers != workers:
        import atexit

        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)  # no noise at interpreter exit
    return _pool


def process_batch(files: list[tuple[bytes, str]], workers: int | None = None) -> list[SubmissionResult]:
    """process_submission for many files at once: read each (on `workers` processes, BAOCAO_WORKERS by default),
    then check the whole batch as one frame (pandas' cost is per call, not per row). Results in input order."""
    with collector_paused():
        position: dict[str, int] = {}  # the same bytes twice: frames are keyed by content, so process once
        unique: list[tuple[bytes, str]] = []
        for data, source in files:
            if position.setdefault(sha256_of(data), len(unique)) == len(unique):
                unique.append((data, source))
        checked = check_read(_read_on(unique, load_settings().workers if workers is None else workers))
        results = []
        for data, source in files:
            result = checked[position[sha256_of(data)]]
            results.append(result if result.source == source else replace(result, source=source))
        return results


def _read_on(files: list[tuple[bytes, str]], workers: int) -> list[ReadSubmission | SubmissionResult]:
    if workers <= 1 or len(files) < PARALLEL_MIN:
        return read_documents(files)
    from concurrent.futures.process import BrokenProcessPool

    size = -(-len(files) // workers)
    chunks = [files[k:k + size] for k in range(0, len(files), size)]
    try:
        return [item for part in _workers_pool(workers).map(read_documents, chunks) for item in part]
    except BrokenProcessPool:  # a worker died (killed, out of memory): read this batch here instead
        global _pool
        _pool = None
        return read_documents(files)


@collector_paused()  # the batch's results stay alive while it is checked, as they do while it is read
def check_read(read: list[ReadSubmission | SubmissionResult], frames: bool = True) -> list[SubmissionResult]:
    """The checks that run on the whole batch as one frame: the facts contract (pandera), totals against their
    years, groups against their items, plan/actual pairs, period coverage. Quarantined files pass through.
    `frames`: each result's facts also as a frame (a slice of the batch's); without, `facts` is None and `rows`
    holds them."""
    readable = [r for r in read if isinstance(r, ReadSubmission)]
    if not readable:  # checked already (in a reading worker), or quarantined
        return list(read)
    forms = load_forms()
    records = [rec for r in readable for rec in r.records]
    cells = pd.DataFrame.from_records(records, columns=CELL_COLUMNS)
    facts, contract = validate_facts(facts_of(cells))
    contract_of = _by_submission(contract)
    catalogued = _catalogued(cells)
    totals_of = _by_submission(reconcile_totals(catalogued))
    groups_of = _by_submission(reconcile_group_totals(catalogued, forms))
    pairs_of = _by_submission(reconcile_pairs(catalogued))
    years_of = reported_years(cells) if not cells.empty else {}
    # Facts come document by document, so each submission's facts are one slice of the batch's frame.
    subs = facts["submission"].to_numpy()
    starts = [0, *(np.flatnonzero(subs[1:] != subs[:-1]) + 1).tolist()] if len(subs) else []
    bounds = {subs[a]: (a, b) for a, b in zip(starts, [*starts[1:], len(subs)])}
    rows = fact_table_rows(facts)
    out: list[SubmissionResult] = []
    for r in read:
        if not isinstance(r, ReadSubmission):
            out.append(r)
            continue
        doc, sha = r.document, r.sha256
        a, b = bounds.get(sha, (0, 0))
        findings = list(r.findings)
        findings += contract_of.get(sha, [])
        findings += totals_of.get(sha, [])
        findings += groups_of.get(sha, [])
        findings += pairs_of.get(sha, [])
        findings += check_period_coverage_of_years(doc, years_of.get(sha, []))
        noted = next((f.message_en for f in doc.findings if f.rule == "format_mismatch"), None)
        out.append(SubmissionResult(
            source=doc.source, sha256=sha, format=doc.format, encoding=doc.encoding,
            status=status_for(findings), document=doc, facts=_report_facts(facts, a, b) if frames else None,
            findings=findings, figures=r.figures, reason=noted, rows=rows[a:b],
        ))
    return out


def _catalogued(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells of catalogued tables (the rest were checked by their own structure); the batch's frame itself when
    every table is catalogued, as most are, rather than a copy of all its rows."""
    catalogued = cells["catalogued"].fillna(True).astype(bool)
    return cells if catalogued.all() else cells[catalogued]


def _report_facts(facts: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    """One report's facts: rows a to b of the batch's, numbered from 0. The slice gets a new index, where
    reset_index also copied it: 75 -> 52 us a report. (Copied on write: the batch's frame never changes.)"""
    part = facts.iloc[a:b]
    part.index = pd.RangeIndex(b - a)
    return part
