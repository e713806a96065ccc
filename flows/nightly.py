"""nightly-ingest: take in every new file of the inbox, read, check and load it batch by batch, then review."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from config.settings import load_settings
from flows.notices import notify_stewards
from flows.review import review_after_load
from flows.shared import IO_RETRIES, publish_artifacts, trigger_of
from tasks.batch import Intake, batches, check_batch, load_batch, read_batch, take_batch
from tasks.intake.archive import sweep_archive
from tasks.intake.discover import InboxFile, discover_inbox
from tasks.load.submissions import FileOutcome
from tasks.review.runs import finish_run, start_run
from warehouse.db import engine_for, upgrade


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


def night_name() -> str:
    """What the Prefect UI calls a nightly run: its night, in the schedule's time zone."""
    from zoneinfo import ZoneInfo

    from config.schedules import load_schedules

    zone = ZoneInfo(load_schedules()["nightly-ingest"].get("timezone") or "UTC")
    return f"nightly {flow_run.scheduled_start_time.astimezone(zone):%Y-%m-%d %H:%M}"


@flow(name="nightly-ingest", flow_run_name=night_name, log_prints=False)
def nightly_ingest(inbox: str | None = None, trigger: str = "manual") -> dict:
    """The nightly run: every file of the inbox ends loaded, flagged, skipped or quarantined.

    Batch k+1 is read (a submitted task, in its worker process) while batch k is checked and loaded here."""
    logger = get_run_logger()
    settings = load_settings()
    inbox = inbox or str(settings.inbox)
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "nightly-ingest", trigger_of(trigger), {"inbox": inbox}, flow_run_id=str(flow_run.id))
    swept = sweep_archive(settings.archive_dir)
    if swept:
        logger.info("removed %d partial archive files a killed run left", len(swept))
    files, refused = discover_submissions(inbox)
    outcomes: list[FileOutcome] = [FileOutcome(s.name, None, "quarantined", s.reason) for s in refused]
    seen: frozenset[str] = frozenset()
    ahead = None  # (intake, future of its reading) of the batch after the one being loaded
    for batch in [*batches(files, settings.batch_size), None]:
        upcoming = None
        if batch is not None:
            intake = take_in(batch, settings.warehouse_url, str(settings.archive_dir), seen)
            seen |= intake.hashes
            upcoming = (intake, read.submit(intake))
        if ahead is not None:
            intake, reading = ahead
            outcomes += load(intake, check(reading.result()), settings.warehouse_url, run_id)
        ahead = upcoming
    summary = finish_run(engine, run_id, outcomes)
    review_after_load(settings.warehouse_url, changed=summary["loaded"] + summary["flagged"] + summary["quarantined"] > 0)
    publish_artifacts(summary, outcomes, "nightly-ingest")
    notify_stewards(settings.warehouse_url, run_id, loaded=summary["loaded"] + summary["flagged"] > 0)
    logger.info("files %(files_seen)s: loaded %(loaded)s, flagged %(flagged)s, skipped %(skipped)s, "
                "quarantined %(quarantined)s; errors %(errors)s, warnings %(warnings)s", summary)
    return summary
