"""The review worker: great-expectations held warm beside a Prefect server, so a run's checkpoint does not first wait
3-5 s for its import.

`baocao review-worker` (and `baocao serve`, which starts one) imports great-expectations once, then serves the task
`warehouse-checkpoint` as a Prefect task worker (`prefect.task_worker.serve`): a run against that server hands its
checkpoint over with `.delay()` and waits for it, and the task run shows in the Prefect UI like any other. Prefect
is the queue: runs that finish together are checked one after the other (limit 1), and a worker on another machine
serves them as well, if it sees the same warehouse, var/ and PREFECT_HOME (where Prefect keeps a task's parameters).

Without a server (Prefect's temporary one) or without a worker serving it, a run checks the warehouse in a process of
its own, started as soon as the run knows it will load something (tasks/review/checkpoint.py). A worker that goes
away while a run waits for it: the run checks the warehouse itself.
"""
from __future__ import annotations

import contextvars
import os
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

# the run looks again whether its worker is still there this often while it waits
ALIVE_EVERY_S = 5.0


@task(name="warehouse-checkpoint", cache_policy=NO_CACHE, retries=0)
def warehouse_checkpoint(warehouse_url: str, datadocs: str, since: str | None = None) -> None:
    """The great-expectations checkpoint on the warehouse (the reports loaded since `since`, ISO time, when given), in
    the review worker (great-expectations imported there)."""
    from datetime import datetime

    from tasks.review.steward import check_expectations

    check_expectations(warehouse_url, Path(datadocs), datetime.fromisoformat(since) if since else None)


def serving() -> bool:
    """Is a review worker serving this code's `warehouse-checkpoint` on the server at PREFECT_API_URL? (No server, an
    older worker whose task differs, a server that does not answer: no.)"""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            answer = client.request("POST", "/task_workers/filter",
                                    json={"task_worker_filter": {"task_keys": [warehouse_checkpoint.task_key]}})
        return answer.status_code == 200 and bool(answer.json())
    except Exception:  # noqa: BLE001 - no worker to hand it to: the run checks the warehouse itself
        return False


def check_on_worker(warehouse_url: str, datadocs: str, since: str | None = None) -> bool:
    """Hand the checkpoint to the review worker and wait for it. True when it ran there (a failure raises), False
    when the worker went away before it finished (the caller runs it itself)."""
    from tasks.review.checkpoint import CheckpointFailed

    # handed over from an empty context: Prefect would pickle the flow run's context with the parameters, and a
    # served run's flow lives in a module the worker cannot import ('rerun', loaded from its entrypoint's file)
    future = contextvars.Context().run(warehouse_checkpoint.delay, warehouse_url, datadocs, since)
    while True:
        future.wait(timeout=ALIVE_EVERY_S)
        state = future.state
        if state.is_final():
            break
        if not serving():
            return False
    if not state.is_completed():
        raise CheckpointFailed(f"the great-expectations checkpoint failed in the review worker: {state.message}")
    return True


def serve_review(timeout: float | None = None) -> None:
    """Import great-expectations, then run the checkpoints the server hands over, one at a time, until stopped."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401  the 3-5 s, paid once here rather than by every run
    import tasks.review.expectations  # noqa: F401
    from prefect.task_worker import serve

    serve(warehouse_checkpoint, limit=1, timeout=timeout)
