"""The stage tasks of a batch, shared by nightly-ingest and the work pool's ingest-batch: each a call into tasks.batch.

A batch's documents and results (tens of thousands of cells) are handed from task to task wrapped in Prefect's
`quote`: unwrapped, Prefect walks every nested element of a task's parameters to find upstream futures, which
cost ~70 ms a file in make bench. The graph's edges are kept with `wait_for` instead. The helpers below do the
wrapping, so the flows never hand a batch to a task themselves."""
from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import quote

from flows.shared import IO_RETRIES
from tasks.batch import Intake, freeze_startup, load_batch, read_batch, take_batch
from tasks.intake.discover import InboxFile, discover_inbox
from tasks.load.submissions import FileOutcome
from warehouse.db import engine_for


@task(name="discover-submissions", **IO_RETRIES)
def discover_submissions(inbox: str) -> tuple[list[InboxFile], list]:
    """List the inbox (I/O: retried, so a share that is not mounted yet gets a few chances)."""
    if not Path(inbox).is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder: mount it, or set BAOCAO_INBOX to the folder "
                                "districts' files arrive in")
    # what the process holds so far set aside first: listing 5 000 files otherwise set off full collections over
    # Prefect's heap (at N = 5 000 the listing took 0.34 s in the flow, 0.06 s alone; 0.10 s now)
    freeze_startup()
    return discover_inbox(Path(inbox))


@task(name="take-in", **IO_RETRIES)
def take_in(files: list[InboxFile], warehouse_url: str, archive_dir: str, seen: frozenset[str]) -> Intake:
    """Archive a batch's bytes and skip what is loaded already."""
    return take_batch(files, engine_for(warehouse_url), Path(archive_dir), seen)


@task(name="read-and-check", cache_policy=NO_CACHE)
def read_and_check(intake: Intake) -> list:
    """Read, tabulate and check each document of the batch in a bounded worker process: its own checks (metadata,
    annexes, narrative), then the batch's as one frame (facts contract, totals, groups, plan/actual pairs, period
    coverage). One task, not a read and a check: the checks run in the reading worker, where they take the pandas
    and pandera work off the process that loads the warehouse (N = 5 000: that process 20.0 -> 17.6 CPU s, its peak
    351 -> 322 MiB), and a task run costs the flow and Prefect's API ~25 ms of CPU."""
    return read_batch(intake)


@task(name="load", **IO_RETRIES)
def load(intake: Intake, results: list, warehouse_url: str, run_id: str) -> list[FileOutcome]:
    """One transaction per file; a retry finds what the first try loaded and skips it."""
    return load_batch(intake, results, engine_for(warehouse_url), run_id)


def read_ahead(intake: Intake) -> PrefectFuture:
    """Start reading and checking a batch in its worker; the flow loads the batch before meanwhile."""
    return read_and_check.submit(quote(intake))


def load_when_read(intake: Intake, reading: PrefectFuture, warehouse_url: str, run_id: str) -> list[FileOutcome]:
    """Load a batch once it is read and checked: read-and-check → load in the graph."""
    # the edge is kept with wait_for: the results go in `quote`, and a State would be walked whole
    return load(quote(intake), quote(reading.result()), warehouse_url, run_id, wait_for=[reading])
