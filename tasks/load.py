"""Load processed submissions into the warehouse: one transaction per submission version."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from tasks.discover import InboxFile, archive_many
from tasks.process import SubmissionResult, process_batch
from warehouse.models import Fact, FindingRow, RunFile, Submission

FACTS = Fact.__table__
FINDINGS = FindingRow.__table__
SUBMISSIONS = Submission.__table__


@dataclass
class FileOutcome:
    """What became of one inbox file in one run."""

    source: str
    sha256: str | None
    outcome: str  # loaded | flagged | skipped | quarantined
    reason: str | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    facts: int = 0


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def natural_key(result: SubmissionResult) -> str | None:
    """unit + program + period + report number: a newer file with the same key supersedes the older."""
    if result.document is None:
        return None
    m = result.document.meta
    if not (m.unit_code and m.period and m.number):
        return None
    return f"{m.unit_code}|{m.program or '-'}|{m.period}|{m.number}"


def _count(result: SubmissionResult, severity: str) -> int:
    return sum(1 for f in result.findings if f.severity == severity)


def _plain(value):
    """A cell fit for any DB-API driver: NaN/NA become None, numpy scalars become Python ones."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def fact_rows(result: SubmissionResult) -> list[dict]:
    facts = result.facts
    if facts.empty:
        return []
    frame = facts.rename(columns={"submission": "submission_id", "group": "group_no", "column": "column_header"})
    rows = []
    for record in frame.to_dict("records"):
        row = {k: _plain(v) for k, v in record.items()}
        for col in ("year", "line"):
            row[col] = None if row[col] is None else int(row[col])
        rows.append(row)
    return rows


def batch_fact_columns(results: list[SubmissionResult]) -> tuple[list[str], list[tuple]]:
    """fact_rows for a whole batch as (column names, row tuples), converted column by column."""
    frames = [r.facts for r in results if not r.facts.empty]
    if not frames:
        return [], []
    frame = pd.concat(frames, ignore_index=True).rename(
        columns={"submission": "submission_id", "group": "group_no", "column": "column_header"})
    plain = frame.astype(object).where(frame.notna(), None)
    columns = {col: plain[col].tolist() for col in plain.columns}
    for col in ("year", "line"):
        columns[col] = [None if v is None else int(v) for v in columns[col]]
    return list(columns), list(zip(*columns.values()))


def bulk_insert(conn: Connection, table, names: list[str], rows: list[tuple]) -> None:
    """One executemany straight to the driver: SQLAlchemy's per-row parameter handling costs more than
    SQLite's insert itself. Plain Python values only (str, int, float, None)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    conn.exec_driver_sql(sql, rows)


def finding_rows(result: SubmissionResult) -> list[dict]:
    rows = []
    for f in result.findings:
        d = f.to_dict()
        d["group_no"] = d.pop("group")
        d["expected"] = None if d["expected"] is None else str(d["expected"])
        d["actual"] = None if d["actual"] is None else str(d["actual"])
        d["submission_id"] = result.sha256
        rows.append(d)
    return rows


def write_submission(conn: Connection, result: SubmissionResult, *, archive_path: str | None,
                     run_id: str | None, received_at: datetime) -> None:
    """Insert one submission with its facts and findings; supersede the current version of its report."""
    write_submission_row(conn, result, archive_path=archive_path, run_id=run_id, received_at=received_at)
    if rows := fact_rows(result):
        conn.execute(FACTS.insert(), rows)
    if rows := finding_rows(result):
        conn.execute(FINDINGS.insert(), rows)


def write_submission_row(conn: Connection, result: SubmissionResult, *, archive_path: str | None,
                         run_id: str | None, received_at: datetime) -> None:
    """The submission's own row, superseding the current version of its report."""
    write_submission_rows(conn, [result], [archive_path], run_id=run_id, received_at=received_at)


def write_submission_rows(conn: Connection, results: list[SubmissionResult], archive_paths: list[str | None], *,
                          run_id: str | None, received_at: datetime) -> None:
    """Many submissions' rows in one insert; each supersedes the current version of its report, in order
    (a later file of the batch supersedes an earlier one with the same natural key)."""
    keys = [natural_key(r) for r in results]
    wanted = sorted({k for k in keys if k is not None})
    current: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), 500):
        for row in conn.execute(
            select(SUBMISSIONS.c.natural_key, SUBMISSIONS.c.id, SUBMISSIONS.c.version)
            .where(SUBMISSIONS.c.natural_key.in_(wanted[start:start + 500]), SUBMISSIONS.c.is_current.is_(True))
            .with_for_update()
        ):
            current[row.natural_key] = (row.id, row.version)
    in_db = {sid for sid, _ in current.values()}
    rows: list[dict] = []
    by_id: dict[str, dict] = {}
    retired: list[str] = []
    for result, archive_path, key in zip(results, archive_paths, keys):
        meta = result.document.meta if result.document else None
        version, supersedes = 1, None
        if key is not None and key in current:
            supersedes, previous_version = current[key]
            version = previous_version + 1
            if supersedes in by_id:
                by_id[supersedes]["is_current"] = False
            elif supersedes in in_db:
                retired.append(supersedes)
        row = dict(
            id=result.sha256, source=result.source, archive_path=archive_path, format=result.format,
            encoding=result.encoding, status=result.status, reason=result.reason,
            unit_code=meta.unit_code if meta else None, unit_name=meta.unit_name if meta else None,
            province_code=meta.province_code if meta else None, program=meta.program if meta else None,
            period=meta.period if meta else None, report_number=meta.number if meta else None,
            report_date=meta.date if meta else None, natural_key=key, version=version, supersedes=supersedes,
            is_current=result.status != "quarantined", received_at=received_at, loaded_at=now(), run_id=run_id,
            errors=_count(result, "error"), warnings=_count(result, "warning"),
        )
        rows.append(row)
        by_id[result.sha256] = row
        if key is not None and row["is_current"]:
            current[key] = (result.sha256, version)
    for sid in retired:
        conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == sid).values(is_current=False))
    if rows:
        conn.execute(SUBMISSIONS.insert(), rows)


def replace_submission(conn: Connection, result: SubmissionResult) -> None:
    """A rerun: the submission keeps its id and version; its facts, findings and status are redone."""
    conn.execute(delete(FACTS).where(FACTS.c.submission_id == result.sha256))
    conn.execute(delete(FINDINGS).where(FINDINGS.c.submission_id == result.sha256))
    conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == result.sha256).values(
        status=result.status, reason=result.reason, loaded_at=now(),
        errors=_count(result, "error"), warnings=_count(result, "warning"),
    ))
    if rows := fact_rows(result):
        conn.execute(FACTS.insert(), rows)
    if rows := finding_rows(result):
        conn.execute(FINDINGS.insert(), rows)


def known_ids(engine: Engine, shas: list[str]) -> set[str]:
    """Which of these contents the warehouse already holds (the nightly run skips them)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(shas), 500):
            chunk = shas[start:start + 500]
            found |= set(conn.execute(select(SUBMISSIONS.c.id).where(SUBMISSIONS.c.id.in_(chunk))).scalars())
    return found


def outcome_of(result: SubmissionResult) -> FileOutcome:
    status = {"ok": "loaded", "flagged": "flagged", "quarantined": "quarantined"}[result.status]
    return FileOutcome(
        source=result.source, sha256=result.sha256, outcome=status, reason=result.reason,
        errors=_count(result, "error"), warnings=_count(result, "warning"), infos=_count(result, "info"),
        facts=len(result.facts),
    )


def ingest_files(files: list[InboxFile], engine: Engine, archive_dir: Path, run_id: str | None) -> list[FileOutcome]:
    """Archive, skip what is known, process and load the rest: each file in its own transaction."""
    payloads: list[tuple[InboxFile, bytes, Path]] = []
    outcomes: list[FileOutcome] = []
    for f in files:
        try:
            data = f.path.read_bytes()
        except OSError as exc:
            outcomes.append(FileOutcome(f.name, None, "quarantined", f"could not read the file: {exc.strerror}"))
            continue
        payloads.append((f, data, None))
    archived = archive_many([data for _, data, _ in payloads], archive_dir)
    payloads = [(f, data, path) for (f, data, _), path in zip(payloads, archived)]
    from tasks.read.submission import sha256_of

    shas = [sha256_of(data) for _, data, _ in payloads]
    known = known_ids(engine, shas)
    fresh: list[tuple[InboxFile, bytes, Path]] = []
    for (f, data, archived), sha in zip(payloads, shas):
        if sha in known:
            outcomes.append(FileOutcome(f.name, sha, "skipped", "already loaded"))
            continue
        known.add(sha)  # the same bytes twice in one inbox load once
        fresh.append((f, data, archived))
    results = process_batch([(data, f.name) for f, data, _ in fresh])
    return outcomes + write_batch(engine, results, [str(archived) for _, _, archived in fresh], run_id)


def write_batch(engine: Engine, results: list[SubmissionResult], archive_paths: list[str],
                run_id: str | None) -> list[FileOutcome]:
    """Load a batch in one transaction (each submission stays whole: all its rows or none); if a
    concurrent run loaded one of them first, fall back to a transaction per submission."""
    received = now()
    try:
        with engine.begin() as conn:
            write_submission_rows(conn, results, archive_paths, run_id=run_id, received_at=received)
            names, rows = batch_fact_columns(results)
            if rows:
                bulk_insert(conn, FACTS, names, rows)
            if rows := [row for r in results for row in finding_rows(r)]:
                conn.execute(FINDINGS.insert(), rows)
        return [outcome_of(r) for r in results]
    except IntegrityError:
        pass
    outcomes = []
    for result, archived in zip(results, archive_paths):
        try:
            with engine.begin() as conn:
                write_submission(conn, result, archive_path=archived, run_id=run_id, received_at=now())
        except IntegrityError:
            outcomes.append(FileOutcome(result.source, result.sha256, "skipped", "loaded by a concurrent run"))
            continue
        outcomes.append(outcome_of(result))
    return outcomes


def record_run_files(engine: Engine, run_id: str, outcomes: list[FileOutcome]) -> None:
    if not outcomes:
        return
    with engine.begin() as conn:
        conn.execute(RunFile.__table__.insert(), [
            {"run_id": run_id, "source": o.source, "sha256": o.sha256, "outcome": o.outcome, "reason": o.reason}
            for o in outcomes
        ])
