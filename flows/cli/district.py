"""What a district officer runs before sending a report: `baocao check`. Imports neither Prefect nor great-expectations."""
from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path

import typer

from flows.cli.errors import end_at_once


class OutputFormat(str, Enum):
    json = "json"
    text = "text"


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
        # beside "report", not in it: the seed's "report" object is pinned key for key by tests/check/test_cli_check.py
        "kind": meta.kind if meta else None,
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
    from tasks.check.completeness import annexes_of

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


def check(
    paths: list[Path] = typer.Argument(..., help="Report files to check: .txt (any Vietnamese encoding), .csv, .docx, .xlsx, .doc/.xls (LibreOffice)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="json or text"),
) -> None:
    """Read, validate and reconcile files without touching the warehouse. Exit 1 on any error finding."""
    missing = [p for p in paths if not p.is_file()]
    if missing:
        typer.echo(f"no such file: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    from tasks.check.submission import process_submission  # pandas and pandera: half a second, not for a typo

    if len(paths) == 1:
        results = [process_submission(paths[0].read_bytes(), paths[0].name)]
    else:
        from flows.cli.progress import progress

        results = []
        with progress("check", total=len(paths)) as tracker:
            for p in paths:
                if tracker.interactive:  # a plain line per file would drown the findings
                    tracker.update(stage=p.name)
                results.append(process_submission(p.read_bytes(), p.name))
                tracker.advance()
    if format is OutputFormat.json:
        typer.echo(json.dumps({"submissions": [submission_json(r) for r in results]}, ensure_ascii=False, indent=2))
    else:
        _print_text(results)
    failed = any(r.status == "quarantined" or any(f.severity == "error" for f in r.findings) for r in results)
    end_at_once()  # nothing to clean up: no warehouse, no workers
    raise typer.Exit(1 if failed else 0)
