"""The failure queue: one tracked failure per fingerprint, its status kept across runs and file versions."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from contracts.cells import csv_text
from warehouse.db import now
from contracts.vietnamese import fold
from warehouse.models import ExpectationFinding, Failure, FailureEvent, FindingRow, Submission

FAILURES = Failure.__table__
EVENTS = FailureEvent.__table__
STATUSES = ("open", "acknowledged", "resolved", "waived")
# what a sync brings up to date: the findings of the warehouse's submissions (what reading, checking and loading
# found), the latest great-expectations checkpoint's failures, or both. A run syncs its findings while the
# checkpoint runs, and the checkpoint's failures once it is done; each scope opens and resolves its own only.
SCOPES = ("findings", "expectations")
SYSTEM = "baocao"
TRACKED = ("rule", "severity", "unit_code", "unit_name", "program", "period", "form", "group_no", "label", "year",
           "measure", "expected", "actual", "source", "line", "message_vi", "message_en", "submission_id", "file")


class StewardError(ValueError):
    """A steward's action that cannot be done (unknown id, a move the lifecycle does not allow)."""


def fingerprint(rule: str, unit: str | None, program: str | None, period: str | None, form: str | None,
                group: str | None, label: str | None, year: int | None, measure: str | None,
                extra: str | None = None) -> str:
    """The same failure at the same place of the same report is the same item, whatever the run or file version."""
    parts = [rule, unit, program, period, form, group, fold(label) if label else None,
             None if year is None else str(int(year)), measure, extra]
    key = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


@dataclass
class Seen:
    """One failure the warehouse shows now, with its fingerprint."""

    id: str
    values: dict


def _text(value) -> str | None:
    return None if value is None else str(value)


def current_failures(conn: Connection, scopes: tuple[str, ...] = SCOPES) -> dict[str, Seen]:
    """Every finding of a current (or quarantined) submission and of the latest warehouse checkpoint, by fingerprint;
    `scopes`: only those (SCOPES)."""
    rows = [] if "findings" not in scopes else conn.execute(
        select(FindingRow.__table__, Submission.unit_code, Submission.unit_name, Submission.program,
               Submission.period, Submission.source.label("file"))
        .join(Submission, Submission.id == FindingRow.submission_id)
        .where(or_(Submission.is_current.is_(True), Submission.status == "quarantined"))
        .order_by(FindingRow.submission_id, FindingRow.id)
    ).mappings().all()
    raw: list[tuple[tuple, dict]] = []
    for r in rows:
        values = {k: r[k] for k in TRACKED}
        values["expected"], values["actual"] = _text(r["expected"]), _text(r["actual"])
        key = (r["rule"], _unit_key(r), r["program"], r["period"], r["form"], r["group_no"], r["label"], r["year"],
               r["measure"])
        raw.append((key, values))
    # the checkpoint's failures: the warehouse's own (no report), and each report's as long as it is current, under
    # its unit and period like its findings (a report superseded since leaves the queue with them)
    checked = conn.execute(
        select(ExpectationFinding.__table__, Submission.unit_code, Submission.unit_name, Submission.program,
               Submission.period, Submission.source.label("file"))
        .outerjoin(Submission, Submission.id == ExpectationFinding.submission_id)
        .where(ExpectationFinding.submission_id.is_(None)
               | or_(Submission.is_current.is_(True), Submission.status == "quarantined"))
        .order_by(ExpectationFinding.id)).mappings() if "expectations" in scopes else ()
    for e in checked:
        values = {k: None for k in TRACKED} | {
            "rule": "expectation", "severity": e["severity"], "form": e["asset"], "label": e["expectation"],
            "measure": e["column_name"], "expected": e["expected"], "actual": e["actual"],
            "message_vi": e["message_vi"], "message_en": e["message_en"], "file": "warehouse",
        }
        unit = None
        if e["submission_id"] is not None:
            values |= {"submission_id": e["submission_id"], "unit_code": e["unit_code"], "unit_name": e["unit_name"],
                       "program": e["program"], "period": e["period"], "file": e["file"]}
            unit = _unit_key(e)
        raw.append((("expectation", unit, values["program"], values["period"], e["asset"], None, e["expectation"],
                     None, e["column_name"]), values))
    counts: dict[tuple, int] = {}
    for key, _ in raw:
        counts[key] = counts.get(key, 0) + 1
    seen: dict[str, Seen] = {}
    for key, values in raw:
        # two findings at one place (rare, narrative sentences): the source cell tells them apart
        fid = fingerprint(*key, extra=values["source"] if counts[key] > 1 else None)
        seen.setdefault(fid, Seen(fid, values))
    return seen


def _unit_key(row) -> str:
    """The unit a failure's fingerprint names: its code, else its name, else the file (a quarantined one has none)."""
    return row["unit_code"] or row["unit_name"] or f"file:{row['file']}"


def event_row(failure_id: str, from_status: str | None, to_status: str, note: str | None, at: datetime,
              who: str = SYSTEM) -> dict:
    """One status change in the failure's history, as a row of failure_events."""
    return {"failure_id": failure_id, "at": at, "who": who, "from_status": from_status, "to_status": to_status,
            "note": note}


def sync_failures(engine: Engine, today: date | None = None, scope: str | None = None) -> dict:
    """After a load or rerun: new fingerprints open, gone ones resolve, waivers hold unless values change or expire.

    `scope`: "findings" or "expectations" (SCOPES) brings only those up to date, None both."""
    scopes = SCOPES if scope is None else (scope,)
    if not set(scopes) <= set(SCOPES):
        raise ValueError(f"scope {scope!r}: one of {', '.join(SCOPES)}, or None for both")
    for attempt in range(3):
        try:
            return _sync_once(engine, today, scopes)
        except IntegrityError:  # a concurrent run inserted the same new fingerprint first: redo against its rows
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _sync_once(engine: Engine, today: date | None, scopes: tuple[str, ...]) -> dict:
    at = now()
    today = today or at.date()
    counts = {"opened": 0, "reopened": 0, "resolved": 0, "kept": 0}
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # one sync at a time: a nightly run and a steward's rerun may finish together
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('baocao:sync_failures'))")
        seen = current_failures(conn, scopes)
        tracked = select(FAILURES)
        if scopes == ("findings",):
            tracked = tracked.where(FAILURES.c.rule != "expectation")
        elif scopes == ("expectations",):
            tracked = tracked.where(FAILURES.c.rule == "expectation")
        known = {r.id: r for r in conn.execute(tracked).all()}
        opened: list[dict] = []
        kept: list[dict] = []  # one executemany, not a statement per failure: 22 000 failures took 14 s that way
        events: list[dict] = []
        for fid, s in seen.items():
            old = known.get(fid)
            if old is None:
                opened.append({"id": fid, "status": "open", "first_seen": at, "last_seen": at, "updated_at": at,
                               **s.values})
                events.append(event_row(fid, None, "open", "first seen", at))
                counts["opened"] += 1
                continue
            status, note = old.status, None
            changed = (old.expected, old.actual) != (s.values["expected"], s.values["actual"])
            if status == "resolved":
                status, note = "open", "seen again"
            elif status == "waived" and changed:
                status, note = "open", f"values changed: expected {old.expected} → {s.values['expected']}, " \
                                       f"actual {old.actual} → {s.values['actual']}"
            elif status == "waived" and old.until is not None and old.until < today:
                status, note = "open", f"waiver expired on {old.until.isoformat()}"
            if status == old.status:
                kept.append({"fid": fid, "last_seen": at, **s.values})
                counts["kept"] += 1
                continue
            extra = {"last_seen": at, "status": status, "updated_at": at}
            if old.status == "waived":
                extra |= {"reason": None, "steward": None, "until": None}
            events.append(event_row(fid, old.status, status, note, at))
            counts["reopened"] += 1
            conn.execute(update(FAILURES).where(FAILURES.c.id == fid).values(**s.values, **extra))
        if opened:
            conn.execute(insert(FAILURES), opened)
        if kept:
            columns = ("last_seen", *TRACKED)
            conn.execute(update(FAILURES).where(FAILURES.c.id == bindparam("fid"))
                         .values({c: bindparam(c) for c in columns}), kept)
        gone = [fid for fid, old in known.items() if fid not in seen and old.status != "resolved"]
        for start in range(0, len(gone), 500):
            chunk = gone[start:start + 500]
            conn.execute(update(FAILURES).where(FAILURES.c.id.in_(chunk)).values(status="resolved", updated_at=at))
        events += [event_row(fid, known[fid].status, "resolved", "no longer occurs", at) for fid in gone]
        counts["resolved"] += len(gone)
        if events:
            conn.execute(insert(EVENTS), events)
    return counts


ALLOWED = {
    "ack": ({"open"}, "acknowledged"),
    "waive": ({"open", "acknowledged", "waived"}, "waived"),
    "reopen": ({"acknowledged", "waived"}, "open"),
}


def change_status(engine: Engine, failure_id: str, action: str, who: str, reason: str | None = None,
                  until: date | None = None) -> dict:
    """A steward's decision on one failure (ack, waive, reopen), recorded as an event."""
    allowed, target = ALLOWED[action]
    if action == "waive" and not (reason and reason.strip()):
        raise StewardError("a waiver needs a reason: --reason '…'")
    at = now()
    with engine.begin() as conn:
        old = find_failure(conn, failure_id)
        if old["status"] not in allowed:
            raise StewardError(f"failure {old['id'][:12]} is {old['status']}; '{action}' applies to "
                               f"{', '.join(sorted(allowed))} failures only")
        values = {"status": target, "updated_at": at}
        if action == "waive":
            values |= {"reason": reason.strip(), "steward": who, "until": until}
        elif action == "ack":
            values |= {"steward": who}
        else:
            values |= {"reason": None, "until": None}
        conn.execute(update(FAILURES).where(FAILURES.c.id == old["id"]).values(**values))
        note = reason if action != "waive" else reason.strip() + (f" (until {until.isoformat()})" if until else "")
        conn.execute(insert(EVENTS), event_row(old["id"], old["status"], target, note, at, who=who))
        from tasks.review.audit import record

        record(conn, who, action, "failure", old["id"], before=old["status"], after=target, at=at,
               reason=note)
        return dict(find_failure(conn, old["id"]))


def find_failure(conn: Connection, failure_id: str):
    """A failure by its fingerprint or an unambiguous prefix of it (at least 6 characters)."""
    failure_id = (failure_id or "").strip().lower()
    if len(failure_id) < 6:
        raise StewardError("give at least 6 characters of the failure id (see `baocao failures list`)")
    rows = conn.execute(select(FAILURES).where(FAILURES.c.id.startswith(failure_id, autoescape=True))).mappings().all()
    if not rows:
        raise StewardError(f"no failure with id {failure_id}; list them with `baocao failures list`")
    if len(rows) > 1:
        raise StewardError(f"{len(rows)} failures start with {failure_id}; give more characters")
    return rows[0]


def list_failures(engine: Engine, *, period: str | None = None, unit: str | None = None, form: str | None = None,
                  severity: str | None = None, status: str | None = None) -> list[dict]:
    """The queue, filtered; worst first, then by unit, form and place."""
    query = select(FAILURES)
    if period:
        query = query.where(FAILURES.c.period == period)
    if unit:
        query = query.where(or_(FAILURES.c.unit_code == unit, FAILURES.c.unit_name == unit))
    if form:
        query = query.where(FAILURES.c.form == form.upper())
    if severity:
        query = query.where(FAILURES.c.severity == severity)
    if status:
        query = query.where(FAILURES.c.status == status)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    rank = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (rank.get(r["severity"], 3), r["unit_name"] or "", r["form"] or "", r["line"] or 0, r["id"]))
    return rows


def failure_events(engine: Engine, failure_id: str) -> list[dict]:
    """A failure's history, oldest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(EVENTS).where(EVENTS.c.failure_id == failure_id).order_by(EVENTS.c.at, EVENTS.c.id)).mappings()]


@dataclass
class ExcerptLine:
    """One line of the archived file around a failure's cell; `here` marks the cell's own line."""

    number: int | str
    text: str
    here: bool


def source_excerpt(archive_path: str | None, source_ref: str | None, around: int = 3,
                   cache: dict | None = None) -> list[ExcerptLine]:
    """The lines around a cell in the archived bytes (text files), or the cell's table row (docx, xlsx).

    `cache`: a dict kept by the caller across the failures of one file, so the file is decoded once."""
    import re

    if not archive_path or not source_ref:
        return []
    cache = {} if cache is None else cache
    if archive_path not in cache:
        from tasks.intake.archive import archived_bytes

        cache[archive_path] = archived_bytes(archive_path)
    data = cache[archive_path]
    if data is None:
        return []
    if m := re.match(r"L(\d+)", source_ref):
        from tasks.read.submission import decode_text

        key = ("lines", archive_path)
        if key not in cache:
            try:
                cache[key] = decode_text(data)[0].splitlines()
            except Exception:  # an unreadable file has no lines to show; its finding says why
                cache[key] = None
        lines = cache[key]
        if lines is None:
            return []
        target = int(m[1])
        lo, hi = max(1, target - around), min(len(lines), target + around)
        return [ExcerptLine(n, lines[n - 1].replace("\t", " │ "), n == target) for n in range(lo, hi + 1)]
    key = ("document", archive_path)
    if key not in cache:
        try:
            from tasks.read.submission import read_document

            from tasks.intake.archive import archived_name

            cache[key] = read_document(data, archived_name(archive_path))
        except Exception:
            cache[key] = None
    doc = cache[key]
    if doc is None:
        return []
    for table in doc.tables:
        for row in table.rows:
            if any(c.ref == source_ref for c in row.cells):
                return [ExcerptLine(row.ref or table.ref, " │ ".join(c.text for c in row.cells), True)]
    return []


FIELDS = ("id", "status", "severity", "rule", "unit_code", "unit_name", "period", "form", "label", "year", "measure",
          "expected", "actual", "file", "source", "message_vi", "message_en", "reason", "steward", "until",
          "first_seen", "last_seen")


def failure_record(row: dict) -> dict:
    """The stable JSON/CSV shape of one failure (dates as ISO text)."""
    return {k: (row[k].isoformat() if isinstance(row.get(k), (date, datetime)) else row.get(k)) for k in FIELDS}


def failures_csv(rows: list[dict]) -> str:
    """The failure list as CSV (UTF-8, header row), injection-safe."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        rec = failure_record(row)
        writer.writerow([csv_text(rec[k]) for k in FIELDS])
    return out.getvalue()


def archive_path_of(engine: Engine, submission_id: str | None) -> str | None:
    """Where the raw bytes of a submission are kept."""
    if not submission_id:
        return None
    with engine.connect() as conn:
        return conn.execute(select(Submission.archive_path).where(Submission.id == submission_id)).scalar()
