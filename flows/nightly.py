"""nightly-ingest: take in every new file of the inbox, read, check and load it batch by batch, then review."""
from __future__ import annotations

from collections import deque

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from config.settings import load_settings
from flows.fanout import batch_deployment, fan_out
from flows.notices import notify_stewards
from flows.stages import discover_submissions, load_when_read, read_ahead, take_in
from flows.review import prepare_review, review_after_load, review_since
from flows.shared import publish_artifacts, trigger_of
from flows.summary import progress_extra, summary_line
from tasks.batch import batches
from tasks.intake.archive import sweep_archive
from tasks.load.submissions import FileOutcome
from tasks.review.runs import finish_run, start_run
from tasks.workers import start_readers
from warehouse import queries
from warehouse.db import engine_for, upgrade


# batches taken in at once: the one being loaded here, and the next, read and checked in its worker meanwhile. With
# one, nothing overlapped: each batch was read while this process waited (N = 5 000, same hour: 42 and 56 s; with
# two, 36-42 s). Three (two read side by side) cost more CPU than they overlapped: batches of 100, 35.6-36.7 s against
# 32.0-32.6; of 200, 26.7-27.8 s against 26.9-29.4 with the flow's process at 384 MiB.
# Since the checks run in the reading worker, two batches of 200 (BAOCAO_BATCH_SIZE) held here take this process to
# 363-365 MiB at N = 5 000 (before, with their frames checked here, 401-416 MiB, over the 400 it is allowed); since
# later savings, batches of 300 peak at 316-338 MiB (README, "At national scale")
IN_FLIGHT = 2


def night_name() -> str:
    """What the Prefect UI calls a nightly run: its night, in the schedule's time zone."""
    from zoneinfo import ZoneInfo

    from config.schedules import load_schedules

    zone = ZoneInfo(load_schedules()["nightly-ingest"].get("timezone") or "UTC")
    return f"nightly {flow_run.scheduled_start_time.astimezone(zone):%Y-%m-%d %H:%M}"


@flow(name="nightly-ingest", flow_run_name=night_name, log_prints=False)
def nightly_ingest(inbox: str | None = None, trigger: str = "manual") -> dict:
    """The nightly run: every file of the inbox ends loaded, flagged, skipped or quarantined.

    Batch k+1 is read and checked (a submitted task, in its worker process) while batch k is loaded here."""
    logger = get_run_logger()
    settings = load_settings()
    inbox = inbox or str(settings.inbox)
    start_readers()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    since = review_since()  # the reports loaded from here on are what this run's checkpoint looks at
    run_id = start_run(engine, "nightly-ingest", trigger_of(trigger), {"inbox": inbox}, flow_run_id=str(flow_run.id))
    swept = sweep_archive(settings.archive_dir)
    if swept:
        logger.info("removed %d partial archive files a killed run left", len(swept))
    files, refused = discover_submissions(inbox)
    if files and queries.names_never_received(engine, [f.name for f in files]):
        # a file never received: the run will load something, so great-expectations imports on the other core from
        # now, not from the batch that holds it (10 new files listed last among 5 010 loaded: 14.6-15.6 s -> 13.9-14.7)
        prepare_review()
    total, done, chunks = len(files) + len(refused), len(refused), batches(files, settings.batch_size)
    logger.info("inbox %s: %d files to take in in %d batches, %d refused", inbox, len(files), len(chunks),
                len(refused), extra=progress_extra(total=total, done=done, stage="taking in"))
    outcomes: list[FileOutcome] = [FileOutcome(s.name, None, "quarantined", s.reason) for s in refused]
    seen: frozenset[str] = frozenset()
    ahead: deque = deque()  # (intake, future of its reading): the batch to load next, and the one after it
    if deployment := batch_deployment():  # several workers: each batch a run of the pool's ingest-batch
        if files:
            prepare_review()
        outcomes += fan_out(files, deployment, run_id, settings.batch_size)
        chunks = []
    waiting = iter(chunks)
    for number in range(1, len(chunks) + 1):
        while len(ahead) < IN_FLIGHT and (batch := next(waiting, None)) is not None:
            intake = take_in(batch, settings.warehouse_url, str(settings.archive_dir), quote(seen))
            seen |= intake.hashes
            if intake.pending:  # files to load: great-expectations imports on the other core meanwhile
                prepare_review()
            ahead.append((intake, read_ahead(intake)))
        intake, reading = ahead.popleft()
        outcomes += load_when_read(intake, reading, settings.warehouse_url, run_id)
        done += len(intake.outcomes)
        logger.info("batch %d of %d loaded: %d of %d files done", number, len(chunks), done, total,
                    extra=progress_extra(done=done, stage=f"batch {min(number + 1, len(chunks))} of {len(chunks)}"))
    summary = finish_run(engine, run_id, outcomes)
    logger.info("review: warehouse checks, failure queue, report", extra=progress_extra(stage="review"))
    review_after_load(settings.warehouse_url, changed=summary["loaded"] + summary["flagged"] + summary["quarantined"] > 0,
                      since=since)
    publish_artifacts(summary, outcomes, "nightly-ingest")
    notify_stewards(settings.warehouse_url, run_id, loaded=summary["loaded"] + summary["flagged"] > 0)
    logger.info(summary_line(summary))
    return summary
