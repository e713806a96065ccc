"""Reruns an approver asks for on the desk: a run of the `rerun-period` deployment when PREFECT_API_URL names a
server (one per request key, so a double click starts one), else the same flow in this process."""
from __future__ import annotations

from flows.deployments import DEPLOYMENT


def api_url() -> str | None:
    """The Prefect server's API, when one is set."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def run_link(flow_run_id: str) -> str | None:
    """Where the Prefect UI shows the run (PREFECT_UI_URL, else the API address without /api)."""
    from prefect.settings import PREFECT_UI_URL

    ui = PREFECT_UI_URL.value() or (api_url() or "").removesuffix("/api")
    return f"{ui.rstrip('/')}/runs/flow-run/{flow_run_id}" if ui else None


def request_rerun(period: str, unit: str | None = None, *, key: str | None = None,
                  deployment: str = DEPLOYMENT) -> dict:
    """Start a rerun of the period: on the server (not waiting: the desk polls its state) or in-process.

    `key` is the idempotency key: the same key twice returns the first run instead of starting a second."""
    from contracts.period import checked_period

    period = checked_period(period)
    parameters = {"period": period, "unit": unit or None}
    if api_url():
        from flows.deployments import trigger_deployment

        run = trigger_deployment("rerun-period", parameters, deployment=deployment,
                                 key=f"desk:{key}" if key else None, wait=False)
        return {"mode": "server", "flow_run_id": str(run.id), "name": run.name, "state": run.state.name,
                "final": bool(run.state.is_final()), "url": run_link(str(run.id))}
    from flows.rerun import rerun_period

    summary = rerun_period(period, unit or None)
    return {"mode": "local", "flow_run_id": None, "name": f"rerun {period}", "state": "Completed", "final": True,
            "url": None, "summary": summary}


def rerun_state(flow_run_id: str) -> dict | None:
    """The state of a rerun on the server, for the desk to show until it is final; None when there is no such run."""
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        uuid.UUID(flow_run_id)
    except ValueError:
        return None
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        return None
    return {"mode": "server", "flow_run_id": str(run.id), "name": run.name, "state": run.state.name,
            "final": bool(run.state.is_final()), "url": run_link(str(run.id))}
