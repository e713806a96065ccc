"""nightly-ingest: take in every new file of the inbox, check it, load it, say what happened."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from config.settings import load_settings
from flows.steward import review_after_load
from tasks.discover import InboxFile, discover_inbox
from tasks.load import FileOutcome, ingest_files
from tasks.publish import finish_run, start_run, summary_markdown
from warehouse.db import engine_for, upgrade


@task(name="discover-submissions", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def discover_submissions(inbox: str) -> tuple[list[InboxFile], list]:
    """List the inbox (I/O: retried)."""
    return discover_inbox(Path(inbox))


@task(name="ingest-batch", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def ingest_batch(files: list[InboxFile], warehouse_url: str, archive_dir: str, run_id: str) -> list[FileOutcome]:
    """Archive, read, validate, reconcile and load one batch; a retry skips what the first try loaded."""
    return ingest_files(files, engine_for(warehouse_url), Path(archive_dir), run_id)


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@flow(name="nightly-ingest", log_prints=False)
def nightly_ingest(inbox: str | None = None, trigger: str = "manual") -> dict:
    """The nightly run: every file of the inbox ends loaded, flagged, skipped or quarantined."""
    logger = get_run_logger()
    settings = load_settings()
    inbox = inbox or str(settings.inbox)
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "nightly-ingest", trigger, {"inbox": inbox}, flow_run_id=str(flow_run.id))
    files, refused = discover_submissions(inbox)
    outcomes: list[FileOutcome] = [FileOutcome(s.name, None, "quarantined", s.reason) for s in refused]
    for batch in batches(files, settings.batch_size):
        outcomes += ingest_batch(batch, settings.warehouse_url, str(settings.archive_dir), run_id)
    summary = finish_run(engine, run_id, outcomes)
    review_after_load(settings.warehouse_url)
    publish_artifacts(summary, outcomes)
    logger.info("files %(files_seen)s: loaded %(loaded)s, flagged %(flagged)s, skipped %(skipped)s, "
                "quarantined %(quarantined)s; errors %(errors)s, warnings %(warnings)s", summary)
    return summary


def publish_artifacts(summary: dict, outcomes: list[FileOutcome]) -> None:
    """A markdown summary and a table of the files with errors, keyed so each deployment keeps a history."""
    create_markdown_artifact(key="baocao-run-summary", markdown=summary_markdown(summary, outcomes),
                             description="baocao: what this run did")
    rows = [
        {"file": o.source, "outcome": o.outcome, "errors": o.errors, "warnings": o.warnings, "reason": o.reason or ""}
        for o in outcomes if o.errors or o.outcome == "quarantined"
    ]
    if rows:
        create_table_artifact(key="baocao-run-errors", table=rows, description="baocao: files with errors")
