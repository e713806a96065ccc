"""What an operator runs: the nightly run by hand, reruns, serving and deploying the flows, the schema, synthetic corpora."""
from __future__ import annotations

import os
from pathlib import Path

import typer

from flows.environment import prefect_env


def run(
    inbox: Path = typer.Option(None, "--inbox", help="Inbox folder (default: BAOCAO_INBOX or examples/inbox)."),
    via_server: bool = typer.Option(False, "--via-server", help="Ask the Prefect server (PREFECT_API_URL) to run "
                                    "the nightly-ingest deployment instead of running it in this process."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="With --via-server: wait for the run to finish."),
    deployment: str = typer.Option("baocao", "--deployment", help="With --via-server: baocao (served) or baocao-pool."),
) -> None:
    """Run the nightly flow by hand (Prefect, ephemeral unless PREFECT_API_URL is set)."""
    prefect_env()
    if via_server:
        _trigger("nightly-ingest", {"inbox": str(inbox)} if inbox else {}, None, wait, deployment)
        return
    from flows.nightly import nightly_ingest

    summary = nightly_ingest(inbox=str(inbox) if inbox else None, trigger="manual")
    _print_summary(summary)
    _print_warehouse()


def rerun(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    unit: str = typer.Option(None, "--unit", help="Only this unit (GSO code or name)."),
    via_server: bool = typer.Option(False, "--via-server", help="Ask the Prefect server (PREFECT_API_URL) to run "
                                    "the rerun-period deployment: queued behind any other rerun, shown in the UI."),
    key: str = typer.Option(None, "--key", help="With --via-server: idempotency key (default: flow, parameters and "
                            "the current minute, so a double click starts one run)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="With --via-server: wait for the run to finish."),
    deployment: str = typer.Option("baocao", "--deployment", help="With --via-server: baocao (served) or baocao-pool."),
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
    from flows.rerun import rerun_period

    _print_summary(rerun_period(period=period, unit=unit))


def _trigger(flow: str, parameters: dict, key: str | None, wait: bool, deployment: str) -> None:
    from flows.deployments import trigger_deployment

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


def serve() -> None:
    """Serve nightly-ingest (cron from config/schedules.yaml) and rerun-period against PREFECT_API_URL, until stopped."""
    prefect_env()
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        typer.echo("PREFECT_API_URL is not set: start a server (`prefect server start`) and "
                   "export PREFECT_API_URL=http://127.0.0.1:4200/api", err=True)
        raise typer.Exit(2)
    from flows.deployments import serve_deployments

    serve_deployments()


def deploy(
    pool: str = typer.Option(..., "--pool", help="A process work pool (`prefect work-pool create NAME --type process`)."),
) -> None:
    """Put nightly-ingest and rerun-period on a work pool; `prefect worker start --pool NAME` on any machine runs them."""
    prefect_env()
    from flows.deployments import POOL_DEPLOYMENT, deploy_to_pool

    ids = deploy_to_pool(pool)
    typer.echo(f"{len(ids)} deployments on pool {pool}: nightly-ingest/{POOL_DEPLOYMENT}, rerun-period/{POOL_DEPLOYMENT}, "
               f"ingest-batch/{POOL_DEPLOYMENT}")


def synth(
    submissions: int = typer.Option(..., "--submissions", "-n", min=1, help="How many reports to write."),
    out: Path = typer.Option(..., "--out", help="Folder: reports go to OUT/inbox/, the manifest to OUT/manifest.json."),
    seed: int = typer.Option(0, "--seed", help="Same seed and arguments, same bytes."),
    formats: str = typer.Option("text", "--formats", help="Comma-separated writers (text; docx, xlsx, csv later)."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0.0, max=1.0, help="Share of reports with planted errors."),
) -> None:
    """Write a synthetic national corpus modelled on the seed, with planted errors listed in manifest.json."""
    from tasks.synth.corpus import WRITERS, synth_corpus

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown or not chosen:
        typer.echo(f"no writer for {', '.join(unknown) or '(none)'}; known: {', '.join(WRITERS)}", err=True)
        raise typer.Exit(2)
    manifest = synth_corpus(submissions, out, seed=seed, formats=chosen, error_rate=error_rate)
    typer.echo(f"{manifest['submissions']} reports in {out / 'inbox'}, {len(manifest['errors'])} planted errors "
               f"in {sum(1 for f in manifest['files'] if f['errors'])} reports; manifest {out / 'manifest.json'}")


def summary() -> None:
    """What the warehouse holds: submissions, facts, findings by severity."""
    _print_warehouse()


def migrate() -> None:
    """Bring the warehouse schema to the latest migration."""
    from config.settings import load_settings
    from warehouse.db import upgrade

    upgrade(load_settings().warehouse_url)
    typer.echo("warehouse schema is at head")


def _print_summary(summary: dict) -> None:
    typer.echo(
        "run {outcome}: files {files_seen} — loaded {loaded}, flagged {flagged}, skipped {skipped}, "
        "quarantined {quarantined}; new facts {facts}; findings: {errors} error, {warnings} warning, {infos} info".format(**summary)
    )


def _print_warehouse() -> None:
    from config.settings import load_settings
    from tasks.review.runs import warehouse_summary
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    s = warehouse_summary(engine_for(settings.warehouse_url))
    findings = s["findings"]
    typer.echo(
        f"warehouse {settings.warehouse_url}: {s['submissions']} current submissions "
        f"({', '.join(f'{k} {v}' for k, v in sorted(s['by_status'].items())) or 'none'}), "
        f"{s['quarantined']} quarantined, {s['facts']} facts; findings: {findings.get('error', 0)} error, "
        f"{findings.get('warning', 0)} warning, {findings.get('info', 0)} info"
    )
