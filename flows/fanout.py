"""Several workers on one night: nightly-ingest hands its batches to `ingest-batch` runs on a work pool.

Each batch is one flow run of the `ingest-batch/baocao-pool` deployment, queued by Prefect; any number of
`prefect worker start --pool NAME` processes, on any number of machines, take them. No queue of our own: the
warehouse's unique keys are the safety net (a file another batch or run loaded first is skipped), and a batch whose
run crashed, failed or never finished (its worker died) is submitted once more. The night's summary adds up the
batches' runs as the warehouse recorded them.
"""
from __future__ import annotations

import hashlib
import os
import platform
import time
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from config.settings import load_settings
from flows.stages import load_when_read, read_ahead, take_in
from tasks.batch import batches
from tasks.intake.archive import open_regular
from tasks.intake.discover import InboxFile
from tasks.load.submissions import FileOutcome, known_ids
from tasks.review.runs import finish_run, run_outcomes, start_run
from warehouse.db import engine_for, upgrade

BATCH_FLOW = "ingest-batch"
BATCH_DEPLOYMENT = f"{BATCH_FLOW}/baocao-pool"
ENTRYPOINT = "flows/fanout.py:ingest_batch"


def batch_deployment() -> str | None:
    """The deployment nightly-ingest fans its batches out to (BAOCAO_BATCH_DEPLOYMENT), on PostgreSQL only:
    SQLite has one writer, so workers would only queue behind each other."""
    name = os.environ.get("BAOCAO_BATCH_DEPLOYMENT", "").strip()
    if not name or not load_settings().warehouse_url.startswith("postgresql"):
        return None
    return name


def batch_timeout() -> float:
    """Seconds a batch's run may take before it counts as lost with its worker (BAOCAO_BATCH_TIMEOUT)."""
    return float(os.environ.get("BAOCAO_BATCH_TIMEOUT", "3600"))


@flow(name=BATCH_FLOW, retries=2, retry_delay_seconds=10)
def ingest_batch(files: list[dict], parent_run_id: str | None = None) -> dict:
    """One batch of a night on whichever worker took it: take in, read, check, load; recorded as a run of its own."""
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    # which machine and process took the batch: BAOCAO_WORKER names a worker, else the host
    worker = {"worker": os.environ.get("BAOCAO_WORKER") or platform.node(), "pid": os.getpid()}
    run_id = start_run(engine, BATCH_FLOW, "batch", {"parent_run_id": parent_run_id, "files": len(files), **worker},
                       flow_run_id=str(flow_run.id))
    batch = [InboxFile(Path(f["path"]), f["name"], int(f["size"])) for f in files]
    intake = take_in(batch, settings.warehouse_url, str(settings.archive_dir), frozenset())
    outcomes = load_when_read(intake, read_ahead(intake), settings.warehouse_url, run_id)
    from tasks.workers import stop_readers

    stop_readers()
    return finish_run(engine, run_id, outcomes)


def content_hash(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, streamed (None when it cannot be read: its batch will say why)."""
    digest = hashlib.sha256()
    try:
        fd = open_regular(path)
    except OSError:
        return None
    try:
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def fan_out(files: list[InboxFile], deployment: str, parent_run_id: str, batch_size: int) -> list[FileOutcome]:
    """Submit one run of `deployment` per batch and wait for all, however long they queue for a worker. A batch
    whose run crashed or failed, or has been running longer than batch_timeout() (its worker died with it: the
    server never hears from it again, so it is marked Crashed), is submitted once more. Returns every file's
    outcome as the batches' runs recorded it."""
    from datetime import datetime, timezone

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.states import Crashed

    logger = get_run_logger()

    def submit(batch: list[dict]) -> str:
        return str(run_deployment(deployment, parameters={"files": batch, "parent_run_id": parent_run_id},
                                  timeout=0, as_subflow=False).id)

    engine = engine_for(load_settings().warehouse_url)
    hashes = {f.path: content_hash(f.path) for f in files}
    known = known_ids(engine, sorted({h for h in hashes.values() if h}))
    skipped = [FileOutcome(f.name, hashes[f.path], "skipped", "already loaded") for f in files if hashes[f.path] in known]
    files = [f for f in files if hashes[f.path] not in known]  # a night with nothing new submits no batch at all
    waiting = {submit(batch): (batch, 1) for batch in
               ([{"path": str(f.path), "name": f.name, "size": f.size} for f in b] for b in batches(files, batch_size))}
    logger.info("%d batches submitted to %s", len(waiting), deployment)
    done: list[str] = []
    lost: list[dict] = []
    with get_client(sync_client=True) as client:
        while waiting:
            for run_id, (batch, attempt) in list(waiting.items()):
                run = client.read_flow_run(run_id)
                state = run.state
                if state is not None and state.is_completed():
                    done.append(run_id)
                    del waiting[run_id]
                    continue
                stuck = (state is not None and state.is_running() and run.start_time is not None
                         and (datetime.now(timezone.utc) - run.start_time).total_seconds() > batch_timeout())
                if not (stuck or (state is not None and state.is_final())):
                    continue
                del waiting[run_id]
                if stuck:
                    client.set_flow_run_state(run_id, Crashed(message="no word from its worker within "
                                                              "BAOCAO_BATCH_TIMEOUT: the worker died"), force=True)
                if attempt == 1:
                    waiting[submit(batch)] = (batch, 2)
                    logger.warning("batch run %s %s: submitted again", run_id, "lost" if stuck else state.type.value)
                else:
                    lost += batch
            if waiting:
                time.sleep(2)
    outcomes = skipped + run_outcomes(engine, done)
    seen = {o.source for o in outcomes}
    return outcomes + [FileOutcome(f["name"], None, "skipped", "its batch did not complete twice: the next run "
                                   "takes it again") for f in lost if f["name"] not in seen]
