"""The functions Prefect tasks call, one per stage of a batch of files: take in, read, check, load, review.

`python -m tasks.batch --inbox DIR` is the nightly run without Prefect: the same functions in the same order, in one
plain process, the next batches read by workers while this one is checked and loaded. The crash and concurrency
tests start it (Prefect's ephemeral start costs 15-25 s, too much to pay a dozen times); nightly-ingest adds
retries, artifacts and progress reports.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from config.limits import load_limits
from config.settings import load_settings
from tasks.check.result import SubmissionResult, collector_paused
from tasks.intake.archive import Taken, archived_bytes, archived_size, sweep_archive, take_file, write_pack
from tasks.intake.discover import InboxFile, discover_inbox
from tasks.load.chunk import Arrival, arrivals_now, load_chunk, write_chunk
from tasks.load.locks import locked_ids
from tasks.load.rebuild import clear_submissions, lock_period_submissions, stored_periods
from tasks.load.rerun import redo_chunk
from tasks.load.submissions import FileOutcome, known_ids, outcome_of
from tasks.review.runs import finish_run, start_run
from tasks.workers import oversized_result, process_many_isolated, read_ahead, start_readers
from warehouse import queries
from warehouse.db import engine_for, upgrade

log = logging.getLogger("baocao.load")
# batches read side by side (each in its worker) while this process checks and loads one: a rerun of 5 598 reports
# took 14.4-14.7 s with two, 15.8-16.9 s with one (nightly-ingest reads the next batch while it loads one: IN_FLIGHT
# in flows/nightly.py)
READERS = 2


def redo_chunk_size() -> int:
    """Submissions a rerun or a rebuild writes at a time: one nightly batch (200 by default). PostgreSQL pays per chunk
    (a query for the history, a COPY each for facts and findings): scale.py, 7 000 reports on PostgreSQL, chunks of
    100 against 200: rebuild 17.9 against 12.9 CPU s, rerun 11.4 against 9.8."""
    return load_settings().batch_size


@dataclass
class Intake:
    """One batch after intake: what became of each file so far (None: still to read), and the files to read."""

    outcomes: list[FileOutcome | None] = field(default_factory=list)
    pending: list[tuple[int, InboxFile, Taken]] = field(default_factory=list)  # (position in outcomes, file, bytes)

    @property
    def hashes(self) -> frozenset[str]:
        return frozenset(taken.sha256 for _, _, taken in self.pending)

    @property
    def readable(self) -> list[tuple[bytes, str]]:
        return [(taken.data, f.name) for _, f, taken in self.pending if taken.data is not None]


def take_batch(files: list[InboxFile], engine: Engine, archive_dir: Path, seen: frozenset[str] = frozenset()) -> Intake:
    """Hash each file and skip what the warehouse holds already (one query a batch) or what this run took in before
    (`seen`: the hashes of its earlier batches, which may not be loaded yet); archive the rest in one pack, durable
    before this returns."""
    freeze_startup()
    limits = load_limits()
    with engine.connect():  # an unreachable warehouse fails the batch (retried) before any file is taken in
        pass
    intake = Intake()
    hashed: list[tuple[int, InboxFile, Taken]] = []
    for f in files:
        try:
            taken = take_file(f, archive_dir, limits.max_file_bytes, pack=True)
        except OSError as exc:
            intake.outcomes.append(FileOutcome(f.name, None, "quarantined", f"could not read the file: {exc.strerror}"))
            continue
        hashed.append((len(intake.outcomes), f, taken))
        intake.outcomes.append(None)
    known = known_ids(engine, [taken.sha256 for _, _, taken in hashed])
    seen = set(seen)  # the same bytes twice in one inbox load once
    for pos, f, taken in hashed:
        if taken.sha256 in seen or taken.sha256 in known:
            intake.outcomes[pos] = FileOutcome(f.name, taken.sha256, "skipped", "already loaded")
            log.info("skipped %s", f.name)
            continue
        seen.add(taken.sha256)
        intake.pending.append((pos, f, taken))
    packed = write_pack([(t.sha256, t.data) for _, _, t in intake.pending if t.archived is None], archive_dir)
    for _, _, taken in intake.pending:
        taken.archived = taken.archived or packed[taken.sha256]
    return intake


def read_batch(intake: Intake) -> list[SubmissionResult]:
    """Read, tabulate and check each document in a bounded worker (the document's own checks, then the batch's frame
    checks: the facts contract, totals, groups, plan/actual pairs, period coverage); a file too large to read is
    quarantined here."""
    limits = load_limits()
    read = iter(process_many_isolated(intake.readable, limits=limits))
    return [next(read) if taken.data is not None else oversized_result(taken.sha256, taken.head, f.name, taken.size, limits)
            for _, f, taken in intake.pending]


def load_batch(intake: Intake, results: list[SubmissionResult], engine: Engine, run_id: str | None) -> list[FileOutcome]:
    """Load the checked files in one transaction (one per file when another run gets in the way); every file of
    the batch ends with an outcome."""
    outcomes = list(intake.outcomes)
    periods: set = set()  # the periods this batch has made sure of: one INSERT each, not one a file
    arrivals = arrivals_now([(result, str(taken.archived)) for (_, _, taken), result in zip(intake.pending, results)],
                            run_id)
    with collector_paused():
        refusals = load_chunk(engine, arrivals, periods)
    for (pos, f, taken), result, refused in zip(intake.pending, results, refusals):
        if refused is None:
            outcomes[pos] = outcome_of(result)
        elif refused == "concurrent":
            outcomes[pos] = FileOutcome(f.name, taken.sha256, "skipped", "loaded by a concurrent run")
        else:
            outcomes[pos] = FileOutcome(f.name, taken.sha256, "quarantined", f"the warehouse refused it: {refused}")
        log.info("%s %s", outcomes[pos].outcome, f.name)
    collect_garbage()
    return outcomes


_FROZEN = False


def freeze_startup() -> None:
    """Before the inbox is listed (and so before the first batch): what the process holds now (imports, caches,
    ~200 000 objects) moves to the permanent generation, so the collections while the inbox is listed and after each
    batch scan only what the run made (120 ms a collection without).
    Frozen without a collection first: after the imports it finds ~250 unreachable objects and takes 0.14 s."""
    global _FROZEN
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True


def collect_garbage() -> None:
    """A full cyclic collection after each loaded batch. Under Prefect a batch leaves reference cycles that only a
    full collection frees, and full collections are rare: the flow's peak memory grew with N (563 MiB at
    N = 5 000, 465 MiB collecting after each batch)."""
    gc.collect()


def ingest_files(files: list[InboxFile], engine: Engine, archive_dir: Path, run_id: str | None) -> list[FileOutcome]:
    """Take in, read, check and load one batch of files, one stage after the other."""
    intake = take_batch(files, engine, archive_dir)
    return load_batch(intake, read_batch(intake), engine, run_id)


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def rerun_period_rows(engine: Engine, period: str, unit: str | None = None) -> list[FileOutcome]:
    """Reprocess a period's current submissions from the archive; delete and reinsert their rows in ONE transaction,
    a chunk at a time, unit by unit and each unit's in the order received (tasks/load/rerun.py), the next chunks
    read while this one is written."""
    size = redo_chunk_size()
    with engine.begin() as conn:
        rows = queries.lock_period_archives(conn, period, unit)
        held = locked_ids(conn, [row.id for row in rows])  # approved numbers do not move under the province
        redo = [row for row in rows if row.id not in held]
        outcomes: list[FileOutcome] = []
        for chunk, results in read_ahead(batches(redo, size), read_stored, depth=READERS):
            redo_chunk(conn, chunk, results)
            outcomes += [outcome_of(r) for r in results]
    return outcomes + [
        FileOutcome(row.source, row.id, "skipped", "approved: unapprove it to rerun") for row in rows if row.id in held]


def read_stored(stored: list) -> list[SubmissionResult]:
    """Read archived files again, bytes as they were archived (a file gone fails the whole rerun or rebuild)."""
    return process_many_isolated([(kept_bytes(row.archive_path), row.source) for row in stored])


def kept_bytes(archive_path: str | None) -> bytes:
    """The archived bytes, or FileNotFoundError: a rerun or a rebuild does not go on without them."""
    data = archived_bytes(archive_path)
    if data is None:
        raise FileNotFoundError(f"the archive no longer holds {archive_path}")
    return data


def read_archived(stored: list) -> list[SubmissionResult]:
    """Read archived files again as the nightly run read them: one too large is quarantined without being read."""
    limits = load_limits()
    sizes = [archived_size(row.archive_path) for row in stored]
    read = iter(process_many_isolated([(kept_bytes(row.archive_path), row.source)
                                       for row, size in zip(stored, sizes) if size <= limits.max_file_bytes],
                                      limits=limits))
    out = []
    for row, size in zip(stored, sizes):
        if size <= limits.max_file_bytes:
            out.append(next(read))
            continue
        with open(row.archive_path, "rb") as fh:  # a file this large is archived on its own, never packed
            head = fh.read(4096)
        out.append(oversized_result(row.id, head, row.source, size, limits))
    return out


def rebuild_warehouse(engine: Engine, period: str | None = None) -> dict[str, int]:
    """Recreate submissions, facts and findings from the archived bytes with today's catalog and rules, one
    transaction per period (every period when None), written a chunk at a time as the nightly run writes them
    while the next chunk is read; returns the submissions rebuilt per period."""
    size = redo_chunk_size()
    with engine.connect() as conn:
        periods = [period] if period else stored_periods(conn)
    done: dict[str, int] = {}
    for code in periods:
        with engine.begin() as conn:
            stored = lock_period_submissions(conn, code)
            clear_submissions(conn, stored)
            for chunk, results in read_ahead(batches(stored, size), read_archived, depth=READERS):
                write_chunk(conn, [Arrival(result, row.archive_path, row.received_at, row.run_id)
                                   for row, result in zip(chunk, results)])
        done[code] = len(stored)
        log.info("rebuilt %s: %d submissions", code, len(stored))
    return done


def ingest_inbox(inbox: Path, trigger: str = "manual") -> dict:
    """The nightly run without Prefect: every file of the inbox taken in, read, checked and loaded, batch by batch."""
    settings = load_settings()
    start_readers()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "nightly-ingest", trigger, {"inbox": str(inbox)})
    sweep_archive(settings.archive_dir)
    files, refused = discover_inbox(Path(inbox))
    outcomes = [FileOutcome(s.name, None, "quarantined", s.reason) for s in refused]

    def taken_in():  # each batch archived when the read-ahead asks for it, READERS batches before its load
        seen: frozenset[str] = frozenset()
        for batch in batches(files, settings.batch_size):
            intake = take_batch(batch, engine, settings.archive_dir, seen)
            seen |= intake.hashes
            yield intake

    for intake, read in read_ahead(taken_in(), read_batch, depth=READERS):
        outcomes += load_batch(intake, read, engine, run_id)
    return finish_run(engine, run_id, outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, default=None)
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(relativeCreated)d ms %(message)s"))
    logging.getLogger("baocao").addHandler(handler)
    logging.getLogger("baocao").setLevel(logging.INFO)
    summary = ingest_inbox(args.inbox or load_settings().inbox)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
