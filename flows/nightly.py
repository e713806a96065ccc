"""nightly-ingest: take in every new file of the inbox, check it, load it, say what happened."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from config.settings import load_settings
from flows.steward import review_after_load
from flows.shared import IO_RETRIES, publish_artifacts, trigger_of
from tasks.discover import InboxFile, discover_inbox, sweep_archive
from tasks.load import FileOutcome, ingest_files
from tasks.publish import finish_run, start_run
from warehouse.db import engine_for, upgrade


@task(name="discover-submissions", **IO_RETRIES)
def discover_submissions(inbox: str) -> tuple[list[InboxFile], list]:
    """List the inbox (I/O: retried, so a share that is not mounted yet gets a few chances)."""
    if not Path(inbox).is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder: mount it, or set BAOCAO_INBOX to the folder "
                                "districts' files arrive in")
    return discover_inbox(Path(inbox))


@task(name="ingest-batch", **IO_RETRIES)
def ingest_batch(files: list[InboxFile], warehouse_url: str, archive_dir: str, run_id: str) -> list[FileOutcome]:
    """Archive, read, validate, reconcile and load one batch; a retry skips what the first try loaded."""
    return ingest_files(files, engine_for(warehouse_url), Path(archive_dir), run_id)


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def night_name() -> str:
    """What the Prefect UI calls a nightly run: its night, in the schedule's time zone."""
    from zoneinfo import ZoneInfo

    from flows.deployments import load_schedules

    zone = ZoneInfo(load_schedules()["nightly-ingest"].get("timezone") or "UTC")
    return f"nightly {flow_run.scheduled_start_time.astimezone(zone):%Y-%m-%d %H:%M}"


@flow(name="nightly-ingest", flow_run_name=night_name, log_prints=False)
def nightly_ingest(inbox: str | None = None, trigger: str = "manual") -> dict:
    """The nightly run: every file of the inbox ends loaded, flagged, skipped or quarantined."""
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
    args = (settings.warehouse_url, str(settings.archive_dir), run_id)
    if settings.warehouse_url.startswith("sqlite"):
        # SQLite has one writer: batches in turn; PostgreSQL takes them side by side as concurrent task runs
        for batch in batches(files, settings.batch_size):
            outcomes += ingest_batch(batch, *args)
    else:
        futures = [ingest_batch.submit(batch, *args) for batch in batches(files, settings.batch_size)]
        for future in futures:
            outcomes += future.result()
    summary = finish_run(engine, run_id, outcomes)
    review_after_load(settings.warehouse_url, changed=summary["loaded"] + summary["flagged"] + summary["quarantined"] > 0)
    publish_artifacts(summary, outcomes, "nightly-ingest")
    logger.info("files %(files_seen)s: loaded %(loaded)s, flagged %(flagged)s, skipped %(skipped)s, "
                "quarantined %(quarantined)s; errors %(errors)s, warnings %(warnings)s", summary)
    return summary
