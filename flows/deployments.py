"""The deployments, defined once from config/schedules.yaml: served by `baocao serve` or put on a work pool."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path


from config.schedules import load_schedules
ROOT = Path(__file__).resolve().parent.parent  # where a work pool's worker finds this code
DEPLOYMENT = "baocao"  # the served deployments: nightly-ingest/baocao, rerun-period/baocao
POOL_DEPLOYMENT = "baocao-pool"  # the same flows on a work pool, run by `prefect worker start`
ENTRYPOINTS = {  # one per name of config.schedules.FLOWS
    "nightly-ingest": "flows/nightly.py:nightly_ingest",
    "rerun-period": "flows/rerun.py:rerun_period",
}


def _flow(name: str):
    if name == "nightly-ingest":
        from flows.nightly import nightly_ingest

        return nightly_ingest
    from flows.rerun import rerun_period

    return rerun_period


def deployment_options(spec: dict) -> dict:
    """The keyword arguments of `to_deployment` that one entry of schedules.yaml sets."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    options: dict = {"tags": spec.get("tags") or [], "description": spec.get("description")}
    if spec.get("cron"):
        options["schedules"] = [Cron(spec["cron"], timezone=spec.get("timezone") or "UTC",
                                     active=spec.get("active", True))]
    if spec.get("concurrency_limit"):
        options["concurrency_limit"] = ConcurrencyLimitConfig(
            limit=int(spec["concurrency_limit"]), collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    return options


def served_deployments(schedules: dict[str, dict] | None = None) -> list:
    """RunnerDeployments for `prefect.serve`: the runs execute as subprocesses of the serving process."""
    schedules = schedules or load_schedules()
    return [_flow(name).to_deployment(name=DEPLOYMENT, **deployment_options(spec)) for name, spec in schedules.items()]


def serve_deployments() -> None:
    """Register the deployments with the server at PREFECT_API_URL and run what it schedules, until stopped."""
    from prefect import serve

    serve(*served_deployments(), print_starting_message=True)


def deploy_to_pool(pool: str, working_dir: Path = ROOT, schedules: dict[str, dict] | None = None) -> list[str]:
    """Put the deployments on a process work pool; a worker on any machine with this code at `working_dir` runs them."""
    from prefect import flow as prefect_flow
    from prefect.deployments.runner import deploy

    schedules = schedules or load_schedules()
    deployments = [
        prefect_flow.from_source(source=str(working_dir), entrypoint=ENTRYPOINTS[name]).to_deployment(
            name=POOL_DEPLOYMENT, work_pool_name=pool, **deployment_options(spec))
        for name, spec in schedules.items()
    ]
    from flows.fanout import BATCH_FLOW, ENTRYPOINT

    # the batches nightly-ingest fans out when BAOCAO_BATCH_DEPLOYMENT names this deployment (flows/fanout.py)
    deployments.append(prefect_flow.from_source(source=str(working_dir), entrypoint=ENTRYPOINT).to_deployment(
        name=POOL_DEPLOYMENT, work_pool_name=pool, tags=["baocao", "batch"],
        description=f"{BATCH_FLOW}: one batch of a night's files, taken by any worker of the pool"))
    ids = deploy(*deployments, work_pool_name=pool, build=False, push=False, print_next_steps_message=False)
    return [str(i) for i in ids]


def idempotency_key(flow: str, deployment: str, parameters: dict, at: datetime | None = None) -> str:
    """Same deployment, same parameters, same minute: the same key, so a double click starts one run."""
    at = at or datetime.now(timezone.utc)
    params = json.dumps(parameters, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(params.encode()).hexdigest()[:16]
    # the server keeps keys per flow, not per deployment: the deployment is part of the key
    return f"{flow}/{deployment}:{digest}:{at.strftime('%Y%m%dT%H%M')}"


def trigger_deployment(flow: str, parameters: dict, *, deployment: str = DEPLOYMENT, key: str | None = None,
                       wait: bool = True, timeout: float | None = None):
    """Ask the server at PREFECT_API_URL for a run of `flow/deployment`; with `wait`, return it once it is final."""
    from prefect.deployments import run_deployment

    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise RuntimeError("PREFECT_API_URL is not set: start `prefect server start` and "
                           "export PREFECT_API_URL=http://127.0.0.1:4200/api (see README, Operations)")
    return run_deployment(
        f"{flow}/{deployment}", parameters=parameters, idempotency_key=key or idempotency_key(flow, deployment, parameters),
        timeout=timeout if wait else 0, poll_interval=2, as_subflow=False,
    )
