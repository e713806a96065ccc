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
from tasks.batch import Intake, check_batch, load_batch, read_batch, take_batch
from tasks.intake.discover import InboxFile, discover_inbox
from tasks.load.submissions import FileOutcome
from warehouse.db import engine_for


@task(name="discover-submissions", **IO_RETRIES)
def discover_submissions(inbox: str) -> tuple[list[InboxFile], list]:
    """List the inbox (I/O: retried, so a share that is not mounted yet gets a few chances)."""
    if not Path(inbox).is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder: mount it, or set BAOCAO_INBOX to the folder "
                                "districts' files arrive in")
    return discover_inbox(Path(inbox))


@task(name="take-in", **IO_RETRIES)
def take_in(files: list[InboxFile], warehouse_url: str, archive_dir: str, seen: frozenset[str]) -> Intake:
    """Archive a batch's bytes and skip what is loaded already."""
    return take_batch(files, engine_for(warehouse_url), Path(archive_dir), seen)


@task(name="read", cache_policy=NO_CACHE)
def read(intake: Intake) -> list:
    """Read, tabulate and check each document of the batch in a bounded worker process."""
    return read_batch(intake)


@task(name="check", cache_policy=NO_CACHE)
def check(documents: list) -> list:
    """The batch's contract and reconciliation checks, on one frame."""
    return check_batch(documents)


@task(name="load", **IO_RETRIES)
def load(intake: Intake, results: list, warehouse_url: str, run_id: str) -> list[FileOutcome]:
    """One transaction per file; a retry finds what the first try loaded and skips it."""
    return load_batch(intake, results, engine_for(warehouse_url), run_id)


def read_ahead(intake: Intake) -> PrefectFuture:
    """Start reading a batch in its worker; the flow checks and loads the batch before while it reads."""
    return read.submit(quote(intake))


def check_and_load(intake: Intake, reading: PrefectFuture, warehouse_url: str, run_id: str) -> list[FileOutcome]:
    """Check a batch once its reading is done, then load it: two task runs, read → check → load in the graph."""
    checked = check.submit(quote(reading.result()), wait_for=[reading])  # a future: a State would be walked whole
    return load(quote(intake), quote(checked.result()), warehouse_url, run_id, wait_for=[checked])
