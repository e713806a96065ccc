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
        "facts": facts,
        "findings": [
            {k: f.to_dict()[k] for k in (
                "rule", "severity", "form", "label", "year", "measure", "expected", "actual", "source",
                "message_vi", "message_en")}
            for f in result.findings
        ],
    }


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
        for f in r.findings:
            typer.echo(f"  {f.severity.upper():7} {f.rule}: {f.message_vi}")
            typer.echo(f"  {'':7} {'':{len(f.rule)}}  {f.message_en}")


@app.command()
def check(
    paths: list[Path] = typer.Argument(..., help="Report files to check (text; more formats as readers land)."),
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
def run(
    inbox: Path = typer.Option(None, "--inbox", help="Inbox folder (default: BAOCAO_INBOX or examples/inbox)."),
) -> None:
    """Run the nightly flow by hand (Prefect, ephemeral unless PREFECT_API_URL is set)."""
    _prefect_env()
    from flows.nightly import nightly_ingest

    summary = nightly_ingest(inbox=str(inbox) if inbox else None, trigger="manual")
    _print_summary(summary)
    _print_warehouse()


@app.command()
def rerun(
    period: str = typer.Option(..., "--period", help="Reporting period, YYYY or YYYY-YYYY (the seed: 2016-2020)."),
    unit: str = typer.Option(None, "--unit", help="Only this unit (GSO code or name)."),
) -> None:
    """Reprocess one period's current submissions from the archive, in-process."""
    _prefect_env()
    from flows.rerun import rerun_period

    _print_summary(rerun_period(period=period, unit=unit))


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


def main() -> None:  # pragma: no cover - the console script
    app()


if __name__ == "__main__":
    sys.exit(app())
