"""What an operator runs: the nightly run by hand, reruns, serving and deploying the flows, the schema, synthetic corpora."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.environment import prefect_env

# the options `run` and `rerun` share when they ask a Prefect server to run a deployment
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="With --via-server: wait for the run to finish.")]
Deployment = Annotated[str, typer.Option("--deployment", help="With --via-server: baocao (served) or baocao-pool.")]


def run(
    inbox: Path = typer.Option(None, "--inbox", help="Inbox folder (default: BAOCAO_INBOX or examples/inbox)."),
    via_server: bool = typer.Option(False, "--via-server", help="Ask the Prefect server (PREFECT_API_URL) to run "
                                    "the nightly-ingest deployment instead of running it in this process."),
    wait: Wait = True, deployment: Deployment = "baocao",
) -> None:
    """Run the nightly flow by hand (Prefect, ephemeral unless PREFECT_API_URL is set)."""
    prefect_env()
    if via_server:
        _trigger("nightly-ingest", {"inbox": str(inbox)} if inbox else {}, None, wait, deployment)
        return
    from config.settings import load_settings
    from flows.cli.errors import SettingError, warehouse_url

    folder = inbox or load_settings().inbox
    if not folder.is_dir():
        raise SettingError(f"the inbox {folder} is not a folder: pass --inbox DIR, or set BAOCAO_INBOX to the "
                           "folder districts' files arrive in")
    from tasks.workers import start_readers

    # the readers' forkserver preloads pandas and the catalog (~1 s) on the other core while this process imports
    # Prefect and the flow; started inside the flow, a small night's first batch waited for it
    start_readers()
    url = warehouse_url()
    _prefect_answers()
    _review_early(lambda: _never_received(folder, url))
    from flows.cli.progress import follow_run, progress
    from flows.environment import without_heartbeats
    from flows.nightly import nightly_ingest

    with progress("run") as tracker, follow_run(tracker), without_heartbeats():
        tracker.update(stage="starting Prefect")
        summary = nightly_ingest(inbox=str(inbox) if inbox else None, trigger="manual")
    _print_summary(summary)
    _print_warehouse()


def _review_early(will_review) -> None:
    """With Prefect's temporary server (no PREFECT_API_URL), start great-expectations' process now if the run will
    review the warehouse (`will_review()`): the server takes ~3 s to start on one core, and the import (3-5 s) then
    runs on the other one instead of beside the run's first batches. Against a running server the run asks whether a
    review worker serves it first (flows/review.py), which only the flow can."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value() or not will_review():
        return
    from tasks.review.checkpoint import start_checkpoint

    start_checkpoint()


def _never_received(folder: Path, url: str) -> bool:
    """Does the inbox hold more than one batch and list a name no submission was received under (the sign
    nightly-ingest starts its review by)? A night of one batch has read it before great-expectations would be
    imported: started early, the import's ~200 MiB would only sit beside the readers' (the hostile corpus: the run's
    processes at 545 MB against 425, over the 500 they are allowed)."""
    from config.settings import load_settings
    from tasks.intake.discover import discover_inbox
    from warehouse import queries
    from warehouse.db import engine_for

    files, _ = discover_inbox(folder)
    return len(files) > load_settings().batch_size and bool(
        queries.names_never_received(engine_for(url), [f.name for f in files]))


def _prefect_answers(timeout: float = 5) -> None:
    """Fail early, in one line, when PREFECT_API_URL names a server that does not answer (unset: Prefect starts a
    temporary one of its own)."""
    import urllib.request

    from prefect.settings import PREFECT_API_URL

    from flows.cli.errors import SettingError

    api = PREFECT_API_URL.value()
    if not api:
        return
    try:
        with urllib.request.urlopen(f"{api.rstrip('/')}/health", timeout=timeout) as answer:
            if answer.status == 200:
                return
            reason = f"HTTP {answer.status}"
    except (OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", None) or exc)
    raise SettingError(f"the Prefect server at PREFECT_API_URL={api} does not answer ({reason}): start it "
                       "(`prefect server start`), fix PREFECT_API_URL, or unset it to run with a temporary server")


def rerun(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    unit: str = typer.Option(None, "--unit", help="Only this unit (GSO code or name)."),
    via_server: bool = typer.Option(False, "--via-server", help="Ask the Prefect server (PREFECT_API_URL) to run "
                                    "the rerun-period deployment: queued behind any other rerun, shown in the UI."),
    key: str = typer.Option(None, "--key", help="With --via-server: idempotency key (default: flow, parameters and "
                            "the current minute, so a double click starts one run)."),
    wait: Wait = True,
    deployment: Deployment = "baocao",
) -> None:
    """Reprocess one period's current submissions from the archive, in-process or on the server."""
    prefect_env()
    from contracts.period import checked_period

    try:
        period = checked_period(period)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    if via_server:
        _trigger("rerun-period", {"period": period, **({"unit": unit} if unit else {})}, key, wait, deployment)
        return
    from flows.cli.errors import warehouse_url

    warehouse_url(must_exist=True)
    _prefect_answers()
    _review_early(lambda: True)  # a rerun always reviews
    from flows.cli.progress import follow_run, progress
    from flows.environment import without_heartbeats
    from flows.rerun import rerun_period

    with progress("rerun", unit="submissions") as tracker, follow_run(tracker), without_heartbeats():
        tracker.update(stage="starting Prefect")
        summary = rerun_period(period=period, unit=unit)
    _print_summary(summary, "rerun", "submission")


def _trigger(flow: str, parameters: dict, key: str | None, wait: bool, deployment: str) -> None:
    from flows.deployments import trigger_deployment

    _prefect_answers()
    try:
        run = trigger_deployment(flow, parameters, deployment=deployment, key=key, wait=wait)
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    state = run.state.type.value if run.state else "UNKNOWN"
    typer.echo(f"{flow}: flow run {run.name} ({run.id}) {state}")
    api = os.environ.get("PREFECT_API_URL", "")
    if api.endswith("/api"):
        typer.echo(f"  watch it: {api.removesuffix('/api')}/runs/flow-run/{run.id}")
    if wait and state != "COMPLETED":
        raise typer.Exit(1)


def _need_server() -> None:
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        typer.echo("PREFECT_API_URL is not set: start a server (`prefect server start`) and "
                   "export PREFECT_API_URL=http://127.0.0.1:4200/api", err=True)
        raise typer.Exit(2)
    _prefect_answers()


def serve(
    review_worker: bool = typer.Option(True, "--review-worker/--no-review-worker", help="Start a review worker beside "
                                       "(see `baocao review-worker`); --no-review-worker: each run imports "
                                       "great-expectations itself (3-5 s longer)."),
) -> None:
    """Serve nightly-ingest (cron from config/schedules.yaml) and rerun-period against PREFECT_API_URL, until stopped."""
    prefect_env()
    _need_server()
    from flows.deployments import serve_deployments

    worker = None
    if review_worker:
        import subprocess
        import sys

        worker = subprocess.Popen([sys.executable, "-m", "flows.cli", "review-worker"], preexec_fn=_die_with_parent)
    try:
        serve_deployments()
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _die_with_parent() -> None:
    """In the review worker `serve` starts, before it runs: on Linux, SIGTERM when `serve` ends however it ends (a
    SIGTERM to `serve` alone skips its `finally`), so no worker outlives it."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: `serve`'s finally stops it


def review_worker() -> None:
    """Hold great-expectations ready for the runs against PREFECT_API_URL: their warehouse checkpoint runs here, one
    at a time (a Prefect task worker), instead of in a process of their own that first imports it (3-5 s)."""
    prefect_env()
    _need_server()
    from flows.review_worker import serve_review

    typer.echo("review worker: importing great-expectations, then serving warehouse-checkpoint until stopped", err=True)
    serve_review()


def deploy(
    pool: str = typer.Option(..., "--pool", help="A process work pool (`prefect work-pool create NAME --type process`)."),
) -> None:
    """Put nightly-ingest and rerun-period on a work pool; `prefect worker start --pool NAME` on any machine runs them."""
    prefect_env()
    from flows.deployments import POOL_DEPLOYMENT, deploy_to_pool

    _prefect_answers()
    ids = deploy_to_pool(pool)
    typer.echo(f"{len(ids)} deployments on pool {pool}: nightly-ingest/{POOL_DEPLOYMENT}, rerun-period/{POOL_DEPLOYMENT}, "
               f"ingest-batch/{POOL_DEPLOYMENT}")


def synth(
    submissions: int = typer.Option(..., "--submissions", "-n", min=1, help="How many reports to write."),
    out: Path = typer.Option(..., "--out", help="Folder: reports go to OUT/inbox/, the manifest to OUT/manifest.json."),
    seed: int = typer.Option(0, "--seed", help="Same seed and arguments, same bytes."),
    formats: str = typer.Option("text", "--formats", help="Comma-separated writers (text; docx, xlsx, csv later)."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0.0, max=1.0, help="Share of reports with planted errors."),
    layouts: str = typer.Option("seed", "--layouts", help="seed: the seed's template; mixed: tables of every layout "
                                "(TAB, pipe, space-aligned, one cell per line, docx, xlsx) the catalog does not know."),
) -> None:
    """Write a synthetic national corpus modelled on the seed, with planted errors listed in manifest.json."""
    from tasks.synth.corpus import WRITERS, synth_corpus

    if layouts == "mixed":
        from tasks.synth.layouts import synth_layouts

        manifest = synth_layouts(submissions, out, seed=seed, error_rate=error_rate)
        typer.echo(f"{manifest['submissions']} reports in {out / 'inbox'} ({', '.join(manifest['layouts'])}), "
                   f"{len(manifest['errors'])} planted errors; manifest {out / 'manifest.json'}")
        return
    if layouts != "seed":
        typer.echo(f"no layouts '{layouts}'; known: seed, mixed", err=True)
        raise typer.Exit(2)

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown or not chosen:
        typer.echo(f"no writer for {', '.join(unknown) or '(none)'}; known: {', '.join(WRITERS)}", err=True)
        raise typer.Exit(2)
    from flows.cli.progress import progress

    with progress("synth", total=submissions) as tracker:
        manifest = synth_corpus(submissions, out, seed=seed, formats=chosen, error_rate=error_rate,
                                on_file=lambda _name: tracker.advance())
    typer.echo(f"{manifest['submissions']} reports in {out / 'inbox'}, {len(manifest['errors'])} planted errors "
               f"in {sum(1 for f in manifest['files'] if f['errors'])} reports; manifest {out / 'manifest.json'}")


def summary() -> None:
    """What the warehouse holds: submissions, facts, findings by severity."""
    _print_warehouse(must_exist=True)


def migrate() -> None:
    """Bring the warehouse schema to the latest migration."""
    from flows.cli.errors import warehouse_url

    warehouse_url()
    typer.echo("warehouse schema is at head")


def _print_summary(summary: dict, what: str = "run", noun: str = "file") -> None:
    from flows.summary import summary_line

    typer.echo(summary_line(summary, what, noun))


def _print_warehouse(must_exist: bool = False) -> None:
    from flows.cli.errors import warehouse_url
    from tasks.review.runs import warehouse_summary
    from warehouse.db import engine_for, shown_url

    url = warehouse_url(must_exist=must_exist)
    s = warehouse_summary(engine_for(url))
    findings = s["findings"]
    typer.echo(
        f"warehouse {shown_url(url)}: {s['submissions']} current submissions "
        f"({', '.join(f'{k} {v}' for k, v in sorted(s['by_status'].items())) or 'none'}), "
        f"{s['quarantined']} quarantined, {s['facts']} facts; findings: {findings.get('error', 0)} error, "
        f"{findings.get('warning', 0)} warning, {findings.get('info', 0)} info"
    )
