"""nightly-ingest: take in every new file of the inbox, check it, load it, say what happened."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import deployment, flow_run
from prefect.tasks import exponential_backoff
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from config.settings import load_settings
from tasks.discover import InboxFile, discover_inbox
from tasks.load import FileOutcome, ingest_files
from tasks.publish import finish_run, start_run, summary_markdown
from warehouse.db import engine_for, upgrade
from warehouse.models import FindingRow

IO_ERRORS = (OSError, TimeoutError, OperationalError, InterfaceError)


def io_failure(task, task_run, state) -> bool:
    """Retry only when the database or the disk failed, never on a bug or a finding."""
    return isinstance(state.data, IO_ERRORS)


IO_RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=2), retry_jitter_factor=0.5,
                  retry_condition_fn=io_failure, cache_policy=NO_CACHE)


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


def trigger_of(default: str) -> str:
    """schedule when the server's scheduler created this run from a deployment's schedule, else `default`."""
    context = FlowRunContext.get()
    if deployment.id and context and context.flow_run and context.flow_run.auto_scheduled:
        return "schedule"
    return default


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
    publish_artifacts(summary, outcomes, "nightly-ingest")
    logger.info("files %(files_seen)s: loaded %(loaded)s, flagged %(flagged)s, skipped %(skipped)s, "
                "quarantined %(quarantined)s; errors %(errors)s, warnings %(warnings)s", summary)
    return summary


def new_error_findings(outcomes: list[FileOutcome], limit: int = 500) -> list[dict]:
    """The error findings of the submissions this run loaded or redid (not those it skipped)."""
    shas = [o.sha256 for o in outcomes if o.sha256 and o.outcome != "skipped"]
    if not shas:
        return []
    sources = {o.sha256: o.source for o in outcomes}
    query = (select(FindingRow.submission_id, FindingRow.rule, FindingRow.form, FindingRow.label, FindingRow.year,
                    FindingRow.measure, FindingRow.expected, FindingRow.actual, FindingRow.source,
                    FindingRow.message_vi, FindingRow.message_en)
             .where(FindingRow.submission_id.in_(shas[:500]), FindingRow.severity == "error")
             .order_by(FindingRow.submission_id, FindingRow.id).limit(limit))
    with engine_for(load_settings().warehouse_url).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{"file": sources[r["submission_id"]], **{k: ("" if v is None else v) for k, v in r.items()
                                                     if k != "submission_id"}} for r in rows]


def artifact_key(flow_name: str, kind: str) -> str:
    """One key per deployment (and one for in-process runs), so the UI shows each deployment's history."""
    return f"{flow_name}-{deployment.name or 'local'}-{kind}".lower().replace("_", "-")


def publish_artifacts(summary: dict, outcomes: list[FileOutcome], flow_name: str) -> None:
    """A markdown summary and a table of the new error findings, visible in the Prefect UI."""
    create_markdown_artifact(key=artifact_key(flow_name, "summary"), markdown=summary_markdown(summary, outcomes),
                             description=f"baocao {flow_name}: what this run did")
    rows = new_error_findings(outcomes)
    if rows:
        create_table_artifact(key=artifact_key(flow_name, "errors"), table=rows,
                              description=f"baocao {flow_name}: new error findings")
