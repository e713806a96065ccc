"""What every flow shares on the Prefect side: retries on I/O only, the trigger of a run, its artifacts."""
from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import deployment
from prefect.tasks import exponential_backoff

from config.settings import load_settings
from tasks.load.submissions import FileOutcome
from tasks.review.runs import summary_markdown
from warehouse.db import DATABASE_UNREACHABLE, engine_for
from warehouse import queries

IO_ERRORS = (OSError, TimeoutError, *DATABASE_UNREACHABLE)


def io_failure(task, task_run, state) -> bool:
    """Retry only when the database or the disk failed, never on a bug or a finding."""
    return isinstance(state.data, IO_ERRORS)


IO_RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=2), retry_jitter_factor=0.5,
                  retry_condition_fn=io_failure, cache_policy=NO_CACHE)


def trigger_of(default: str) -> str:
    """schedule when the server's scheduler created this run from a deployment's schedule, else `default`."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    # the run itself says it: `prefect.runtime.deployment.id` would ask the API (0.1-0.2 s of every run's start)
    if run is not None and run.auto_scheduled and run.deployment_id:
        return "schedule"
    return default


def new_error_findings(outcomes: list[FileOutcome], limit: int = 500) -> list[dict]:
    """The error findings of the submissions this run loaded or redid (not those it skipped)."""
    shas = [o.sha256 for o in outcomes if o.sha256 and o.outcome != "skipped"]
    if not shas:
        return []
    sources = {o.sha256: o.source for o in outcomes}
    rows = queries.error_findings(engine_for(load_settings().warehouse_url), shas[:500], limit)
    return [{"file": sources[r["submission_id"]], **{k: ("" if v is None else v) for k, v in r.items()
                                                     if k != "submission_id"}} for r in rows]


def artifact_key(flow_name: str, kind: str) -> str:
    """One key per deployment (and one for in-process runs), so the UI shows each deployment's history.

    An in-process run is known from its context: asking `prefect.runtime.deployment` would ask the API (~2 s)."""
    context = FlowRunContext.get()
    served = context is not None and context.flow_run is not None and context.flow_run.deployment_id is not None
    return f"{flow_name}-{(served and deployment.name) or 'local'}-{kind}".lower().replace("_", "-")


def publish_artifacts(summary: dict, outcomes: list[FileOutcome], flow_name: str) -> None:
    """A markdown summary and a table of the new error findings, visible in the Prefect UI."""
    create_markdown_artifact(key=artifact_key(flow_name, "summary"), markdown=summary_markdown(summary, outcomes),
                             description=f"baocao {flow_name}: what this run did")
    rows = new_error_findings(outcomes)
    if rows:
        create_table_artifact(key=artifact_key(flow_name, "errors"), table=rows,
                              description=f"baocao {flow_name}: new error findings")
