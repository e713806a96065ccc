"""One submission through the plain steps: read, tabulate, validate, reconcile. No Prefect, no warehouse."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import pandas as pd

from config.catalog import load_forms
from config.messages import finding
from contracts.document import Document
from contracts.facts import FACT_COLUMNS
from contracts.findings import Finding, worst_severity
from tasks.narrative import check_narrative
from tasks.read.submission import Unreadable, detect_format, read_document, sha256_of
from tasks.reconcile import (
    check_metadata, check_period_coverage, cross_check_annexes, reconcile_group_totals, reconcile_pairs,
    reconcile_totals,
)
from tasks.tabulate import facts_of, tabulate
from tasks.validate import validate_facts


@dataclass
class SubmissionResult:
    """What one file became: its document (unless unreadable), its facts and its findings."""

    source: str
    sha256: str
    format: str
    encoding: str | None
    status: str  # "ok" | "flagged" | "quarantined"
    document: Document | None
    facts: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None  # why it was quarantined, or what the reader had to assume (a misnamed file)
    trace: str | None = None  # a reader's traceback, for developers
    figures: list = field(default_factory=list)  # contracts.narrative.Figure: every number of the narrative

    @property
    def worst(self) -> str | None:
        return worst_severity(self.findings)


def status_for(findings: list[Finding]) -> str:
    """Flagged when anything at warning level or worse was found; info alone leaves it ok."""
    return "flagged" if any(f.severity in ("error", "warning") for f in findings) else "ok"


def quarantined(data: bytes, source: str, exc: Exception) -> SubmissionResult:
    """An unreadable file: one error finding that says why, and the way out."""
    trace = None
    if isinstance(exc, Unreadable):
        reason_en, reason_vi, fix_en, fix_vi = exc.reason_en, exc.reason_vi, exc.fix_en, exc.fix_vi
    else:
        trace = "".join(traceback.format_exception(exc))
        reason_en = f"the reader failed ({type(exc).__name__}: {exc})"
        reason_vi = f"bộ đọc gặp lỗi ({type(exc).__name__})"
        fix_en = "The file is kept; developers have the traceback."
        fix_vi = "Tệp được giữ nguyên; đội phát triển đã có thông tin lỗi."
    f = finding("unreadable", source=None, source_name=source, reason_vi=reason_vi, reason_en=reason_en,
                fix_vi=fix_vi, fix_en=fix_en)
    return SubmissionResult(
        source=source, sha256=sha256_of(data), format=detect_format(data), encoding=None,
        status="quarantined", document=None, facts=pd.DataFrame(columns=FACT_COLUMNS),
        findings=[f], reason=reason_en, trace=trace,
    )


def process_submission(data: bytes, source: str) -> SubmissionResult:
    """Read, tabulate, validate and reconcile one file; never raises on bad data."""
    try:
        doc = read_document(data, source)
    except Exception as exc:  # a reader's bug on one file must not stop the batch
        return quarantined(data, source, exc)
    forms = load_forms()
    cells, findings = tabulate(doc, forms)
    facts = facts_of(cells)
    facts, contract = validate_facts(facts)
    findings += [f for _, f in contract]
    findings += check_metadata(doc)
    findings += cross_check_annexes(doc, forms)
    findings += [f for _, f in reconcile_totals(cells)]
    findings += [f for _, f in reconcile_group_totals(cells, forms)]
    findings += [f for _, f in reconcile_pairs(cells)]
    findings += check_period_coverage(doc, cells)
    figures, narrative = check_narrative(doc, cells, forms)
    findings += narrative
    findings += doc.findings
    noted = next((f.message_en for f in doc.findings if f.rule == "format_mismatch"), None)
    return SubmissionResult(
        source=source, sha256=doc.sha256, format=doc.format, encoding=doc.encoding,
        status=status_for(findings), document=doc, facts=facts, findings=findings, figures=figures,
        reason=noted,
    )
