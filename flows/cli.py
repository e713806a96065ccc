"""The `baocao` command line. `check` imports neither Prefect nor great-expectations."""
from __future__ import annotations

import json
import math
import os
import sys
from enum import Enum
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="baocao: district reports in, checked facts out.")


class OutputFormat(str, Enum):
    json = "json"
    text = "text"


def _prefect_env() -> None:
    """Prefect offline, its state inside the project's var/ unless the user says otherwise."""
    var = Path(os.environ.get("BAOCAO_VAR", "var")).resolve()
    os.environ.setdefault("PREFECT_HOME", str(var / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _clean(value):
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def submission_json(result) -> dict:
    """The stable JSON shape of one checked submission (documented in the README)."""
    meta = result.document.meta if result.document else None
    facts = [
        {
            "form": r["form"], "group": _clean(r["group"]), "label": r["label"], "indicator": _clean(r["indicator"]),
            "unit": _clean(r["unit"]), "year": None if r["year"] is None or r["year"] != r["year"] else int(r["year"]),
            "measure": r["measure"], "value": _clean(r["value"]), "source": r["source"],
        }
        for r in result.facts.astype(object).where(result.facts.notna(), None).to_dict("records")
    ]
    return {
        "source": result.source,
        "sha256": result.sha256,
        "format": result.format,
        "encoding": result.encoding,
        "status": result.status,
        "reason": result.reason,
        "report": {
            "number": meta.number if meta else None,
            "date": meta.date.isoformat() if meta and meta.date else None,
            "unit": meta.unit_name if meta else None,
            "unit_code": meta.unit_code if meta else None,
            "province": meta.province if meta else None,
            "period": meta.period if meta else None,
        },
        "annexes": _annexes(result),
        "facts": facts,
        "findings": [
            {k: f.to_dict()[k] for k in (
                "rule", "severity", "form", "label", "year", "measure", "expected", "actual", "source",
                "message_vi", "message_en")}
            for f in result.findings
        ],
    }


def _annexes(result) -> dict:
    """Annexes the narrative references against those attached (empty lists for an unreadable file)."""
    from tasks.completeness import annexes_of

    if result.document is None:
        return {"referenced": [], "attached": [], "missing": [], "unreferenced": []}
    return annexes_of(result.document)


def _print_text(results) -> None:
    for r in results:
        meta = r.document.meta if r.document else None
        head = f"{r.source}  [{r.status}]  {r.format}"
        if meta:
            head += f"  {meta.number or '?'} ngày {meta.date.strftime('%d/%m/%Y') if meta.date else '?'}"
            head += f"  {meta.unit_name or '?'} ({meta.unit_code or '?'}), {meta.province or '?'}, {meta.period or '?'}"
        typer.echo(head)
        by_form = r.facts.groupby("form").size().to_dict() if not r.facts.empty else {}
        typer.echo(f"  facts: {len(r.facts)} " + " ".join(f"{k}={v}" for k, v in sorted(by_form.items())))
        if r.document:
            annexes = _annexes(r)
            line = (f"  annexes: referenced {', '.join(annexes['referenced']) or '-'}; "
                    f"attached {', '.join(annexes['attached']) or '-'}")
            if annexes["missing"]:
                line += f"; missing {', '.join(annexes['missing'])}"
            typer.echo(line)
        for f in r.findings:
            typer.echo(f"  {f.severity.upper():7} {f.rule}: {f.message_vi}")
            typer.echo(f"  {'':7} {'':{len(f.rule)}}  {f.message_en}")


@app.command()
def check(
    paths: list[Path] = typer.Argument(..., help="Report files to check: .txt (any Vietnamese encoding), .csv, .docx, .xlsx, .doc/.xls (LibreOffice)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="json or text"),
) -> None:
    """Read, validate and reconcile files without touching the warehouse. Exit 1 on any error finding."""
    from tasks.process import process_submission

    missing = [p for p in paths if not p.is_file()]
    if missing:
        typer.echo(f"no such file: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    results = [process_submission(p.read_bytes(), p.name) for p in paths]
    if format is OutputFormat.json:
        typer.echo(json.dumps({"submissions": [submission_json(r) for r in results]}, ensure_ascii=False, indent=2))
    else:
        _print_text(results)
    failed = any(r.status == "quarantined" or any(f.severity == "error" for f in r.findings) for r in results)
    raise typer.Exit(1 if failed else 0)


@app.command()
def completeness(
    paths: list[Path] = typer.Argument(None, help="Reports received for the period; none: what the warehouse holds."),
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    province: str = typer.Option(None, "--province", help="GSO province code (default: BAOCAO_PROVINCE_CODE)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="json or text"),
) -> None:
    """Which units of the province reported for a period, which did not, which were late (config/reporting.yaml)."""
    from datetime import date

    from config.settings import load_settings
    from tasks.completeness import check_completeness, received_from, summarize_completeness
    from tasks.read.submission import read_document

    if not paths:
        _warehouse_completeness(period, province or load_settings().province_code, format)
        return

    received = []
    for p in paths:
        try:
            doc = read_document(p.read_bytes(), p.name)
        except Exception:  # an unreadable file tells completeness nothing; `check` says why
            continue
        if (item := received_from(doc, date.fromtimestamp(p.stat().st_mtime))) is not None:
            received.append(item)
    rows = check_completeness(period, received, province or load_settings().province_code)
    if format is OutputFormat.json:
        typer.echo(json.dumps({"period": period, "summary": summarize_completeness(rows),
                               "units": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2, default=str))
        return
    for r in rows:
        when = r.report_date.strftime("%d/%m/%Y") if r.report_date else "-"
        late = f" ({r.days_late} days late)" if r.days_late else ""
        sent = ", ".join(r.annexes_sent) or "-"
        missing = f"; missing {', '.join(r.annexes_missing)}" if r.annexes_missing and r.reported else ""
        typer.echo(f"{r.unit_code} {r.unit_name:12} {r.status:10} {when}{late}  annexes {sent}{missing}")
    s = summarize_completeness(rows)
    typer.echo(f"{len(s['reported'])} of {s['expected']} reported; missing: {', '.join(s['missing']) or '-'}; "
               f"late: {', '.join(s['late']) or '-'}")


def _warehouse_completeness(period: str, province: str, format: OutputFormat) -> None:
    """The warehouse's `completeness` view for one period: every district, received or not, late or not."""
    from config.settings import load_settings
    from warehouse import queries
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    rows = queries.completeness(engine_for(settings.warehouse_url), province, period)
    if format is OutputFormat.json:
        typer.echo(json.dumps({"period": period, "province_code": province, "units": rows},
                              ensure_ascii=False, indent=2, default=str))
        return
    for r in rows:
        state = "missing" if not r["received"] else "late" if r["late"] else "received"
        when = r["last_report_date"].strftime("%d/%m/%Y") if r["last_report_date"] else "-"
        typer.echo(f"{r['unit_code']} {r['unit_name']:12} {state:9} {when}")
    received = [r["unit_name"] for r in rows if r["received"]]
    missing = [r["unit_name"] for r in rows if not r["received"]]
    late = [r["unit_name"] for r in rows if r["late"]]
    typer.echo(f"{len(received)} of {len(rows)} reported; missing: {', '.join(missing) or '-'}; "
               f"late: {', '.join(late) or '-'}")


@app.command()
def run(
    inbox: Path = typer.Option(None, "--inbox", help="Inbox folder (default: BAOCAO_INBOX or examples/inbox)."),
    via_server: bool = typer.Option(False, "--via-server", help="Ask the Prefect server (PREFECT_API_URL) to run "
                                    "the nightly-ingest deployment instead of running it in this process."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="With --via-server: wait for the run to finish."),
    deployment: str = typer.Option("baocao", "--deployment", help="With --via-server: baocao (served) or baocao-pool."),
) -> None:
    """Run the nightly flow by hand (Prefect, ephemeral unless PREFECT_API_URL is set)."""
    _prefect_env()
    if via_server:
        _trigger("nightly-ingest", {"inbox": str(inbox)} if inbox else {}, None, wait, deployment)
        return
    from flows.nightly import nightly_ingest

    summary = nightly_ingest(inbox=str(inbox) if inbox else None, trigger="manual")
    _print_summary(summary)
    _print_warehouse()


@app.command()
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
    _prefect_env()
    from flows.rerun import checked_period

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


@app.command()
def serve() -> None:
    """Serve nightly-ingest (cron from config/schedules.yaml) and rerun-period against PREFECT_API_URL, until stopped."""
    _prefect_env()
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        typer.echo("PREFECT_API_URL is not set: start a server (`prefect server start`) and "
                   "export PREFECT_API_URL=http://127.0.0.1:4200/api", err=True)
        raise typer.Exit(2)
    from flows.deployments import serve_deployments

    serve_deployments()


@app.command()
def deploy(
    pool: str = typer.Option(..., "--pool", help="A process work pool (`prefect work-pool create NAME --type process`)."),
) -> None:
    """Put nightly-ingest and rerun-period on a work pool; `prefect worker start --pool NAME` on any machine runs them."""
    _prefect_env()
    from flows.deployments import POOL_DEPLOYMENT, deploy_to_pool

    ids = deploy_to_pool(pool)
    typer.echo(f"{len(ids)} deployments on pool {pool}: nightly-ingest/{POOL_DEPLOYMENT}, rerun-period/{POOL_DEPLOYMENT}")


@app.command()
def synth(
    submissions: int = typer.Option(..., "--submissions", "-n", min=1, help="How many reports to write."),
    out: Path = typer.Option(..., "--out", help="Folder: reports go to OUT/inbox/, the manifest to OUT/manifest.json."),
    seed: int = typer.Option(0, "--seed", help="Same seed and arguments, same bytes."),
    formats: str = typer.Option("text", "--formats", help="Comma-separated writers (text; docx, xlsx, csv later)."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0.0, max=1.0, help="Share of reports with planted errors."),
) -> None:
    """Write a synthetic national corpus modelled on the seed, with planted errors listed in manifest.json."""
    from tasks.synth import WRITERS, synth_corpus

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown or not chosen:
        typer.echo(f"no writer for {', '.join(unknown) or '(none)'}; known: {', '.join(WRITERS)}", err=True)
        raise typer.Exit(2)
    manifest = synth_corpus(submissions, out, seed=seed, formats=chosen, error_rate=error_rate)
    typer.echo(f"{manifest['submissions']} reports in {out / 'inbox'}, {len(manifest['errors'])} planted errors "
               f"in {sum(1 for f in manifest['files'] if f['errors'])} reports; manifest {out / 'manifest.json'}")


@app.command()
def summary() -> None:
    """What the warehouse holds: submissions, facts, findings by severity."""
    _print_warehouse()


@app.command()
def export(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    out: Path = typer.Option(..., "--out", help="The workbook to write, FILE.xlsx."),
    province: str = typer.Option(None, "--province", help="GSO province code (default: BAOCAO_PROVINCE_CODE)."),
) -> None:
    """Write the province's Biểu tổng hợp for a period: one sheet per form, totals as Excel formulas."""
    from config.settings import load_settings
    from tasks.export import export_consolidation
    from warehouse.db import engine_for, upgrade

    settings = load_settings()
    upgrade(settings.warehouse_url)
    result = export_consolidation(engine_for(settings.warehouse_url), period, out, province or settings.province_code)
    typer.echo(f"{out}: {len(result.total_cells)} forms, {len(result.districts)} districts reporting"
               + (f"; not reported: {', '.join(result.missing)}" if result.missing else ""))


@app.command()
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
    from tasks.publish import warehouse_summary
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


from flows.steward_cli import failures_app, report_cmd  # noqa: E402  (light: imports nothing heavy)

app.add_typer(failures_app, name="failures")
app.command("report")(report_cmd)


def main() -> None:  # pragma: no cover - the console script
    app()


if __name__ == "__main__":
    sys.exit(app())
