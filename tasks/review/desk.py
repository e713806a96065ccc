"""What the steward's desk asks of the warehouse: the queue a province sees, one failure, one submission, one period,
and the decisions (through the same change_status the CLI calls), each audited in its own transaction."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, case, func, or_, select, update

from contracts.vietnamese import fold
from tasks.review.accounts import Account
from tasks.review.audit import AUDIT, record
from tasks.review.queue import ALLOWED, FAILURES, STATUSES, StewardError, change_status
from warehouse.models import Fact, ReportingUnit, Submission, User

UNITS = ReportingUnit.__table__
SUBMISSIONS = Submission.__table__
SORTS = {
    "severity": case({"error": 0, "warning": 1, "info": 2}, value=FAILURES.c.severity, else_=3),
    "unit": FAILURES.c.unit_name, "period": FAILURES.c.period, "form": FAILURES.c.form, "rule": FAILURES.c.rule,
    "status": FAILURES.c.status, "last_seen": FAILURES.c.last_seen, "assignee": FAILURES.c.assignee,
}
FILTERS = ("period", "unit", "form", "severity", "status", "rule", "assignee", "q")


class NotVisible(LookupError):
    """The object does not exist for this user: another province's, or none at all (the desk answers 404 to both)."""


def _scoped(query, scope: str | None):
    """Only the failures of the units of a province; an admin (scope None) sees every one, unit-less ones too."""
    if scope is None:
        return query
    return query.where(FAILURES.c.unit_code.in_(select(UNITS.c.code).where(UNITS.c.province_code == scope)))


def _filtered(query, filters: dict):
    """The queue's server-side filters; a blank filter is no filter."""
    f = {k: (filters.get(k) or "").strip() for k in FILTERS}
    if f["period"]:
        query = query.where(FAILURES.c.period == f["period"])
    if f["unit"]:
        query = query.where(or_(FAILURES.c.unit_code == f["unit"], FAILURES.c.unit_name == f["unit"]))
    if f["form"]:
        query = query.where(FAILURES.c.form == f["form"].upper())
    if f["severity"]:
        query = query.where(FAILURES.c.severity == f["severity"])
    if f["rule"]:
        query = query.where(FAILURES.c.rule == f["rule"])
    if f["assignee"]:
        query = query.where(FAILURES.c.assignee.is_(None) if f["assignee"] == "-" else
                            FAILURES.c.assignee == f["assignee"])
    if f["q"]:
        needle = f"%{f['q'].lower()}%"
        query = query.where(or_(*(func.lower(c).like(needle) for c in (
            FAILURES.c.label, FAILURES.c.message_vi, FAILURES.c.message_en, FAILURES.c.unit_name, FAILURES.c.file,
            FAILURES.c.id))))
    return query


@dataclass
class QueuePage:
    """One page of the queue with the totals behind it."""

    rows: list[dict]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    options: dict[str, list] = field(default_factory=dict)


def queue_page(engine: Engine, account: Account, filters: dict, sort: str = "severity", descending: bool = False,
               page: int = 1, per_page: int = 50) -> QueuePage:
    """A page of the failures the account may see, filtered and sorted in SQL, with counts per status."""
    scope = account.province_scope
    base = _filtered(_scoped(select(FAILURES), scope), filters)
    status = (filters.get("status") or "").strip()
    key = SORTS.get(sort, SORTS["severity"])
    order = [key.desc() if descending else key.asc(), FAILURES.c.unit_name, FAILURES.c.form, FAILURES.c.line,
             FAILURES.c.id]
    with engine.connect() as conn:
        counts = {s: 0 for s in STATUSES}
        by_status = _filtered(_scoped(select(FAILURES.c.status, func.count()), scope), filters)
        for name, n in conn.execute(by_status.group_by(FAILURES.c.status)):
            counts[name] = n
        listed = base.where(FAILURES.c.status == status) if status else base
        total = counts.get(status, 0) if status else sum(counts.values())
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = [dict(r) for r in conn.execute(listed.order_by(*order).limit(per_page).offset((page - 1) * per_page))
                .mappings()]
        options = _options(conn, account)
    return QueuePage(rows, total, page, pages, counts, options)


OPTIONS_TTL = 30.0  # seconds: the filter lists change only when a run loads; four scans a page view cost a third
_OPTIONS: dict[tuple, tuple[float, dict]] = {}


def _options(conn, account: Account) -> dict[str, list]:
    """The values each filter offers (the periods, forms, rules, units and assignees of the account's failures)."""
    key = (str(conn.engine.url), account.province_scope)
    cached = _OPTIONS.get(key)
    if cached and time.monotonic() - cached[0] < OPTIONS_TTL:
        return cached[1]
    options = {}
    for name, column in (("period", FAILURES.c.period), ("form", FAILURES.c.form), ("rule", FAILURES.c.rule),
                         ("unit", FAILURES.c.unit_name)):
        values = conn.execute(_scoped(select(column).distinct(), account.province_scope)).scalars()
        options[name] = sorted(v for v in values if v)
    options["assignee"] = deciders(conn, account)
    _OPTIONS[key] = (time.monotonic(), options)
    return options


def deciders(conn, account: Account) -> list[str]:
    """The enabled users of the account's province who may be assigned a failure."""
    query = select(User.name).where(User.disabled.is_(False), User.role.in_(("steward", "approver", "admin")))
    if account.province_scope is not None:
        query = query.where(User.province_code == account.province_scope)
    return list(conn.execute(query.order_by(User.name)).scalars())


def failure_for(engine: Engine, account: Account, failure_id: str) -> dict:
    """One failure by id or unambiguous prefix (6+ characters, as `failures list` prints it), if the account may see it."""
    failure_id = (failure_id or "").strip().lower()
    if len(failure_id) < 6 or len(failure_id) > 40:
        raise NotVisible(failure_id)
    query = _scoped(select(FAILURES).where(FAILURES.c.id.startswith(failure_id, autoescape=True)),
                    account.province_scope)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(2)).mappings().all()
    if len(rows) != 1:
        raise NotVisible(failure_id)
    return dict(rows[0])


def decide(engine: Engine, account: Account, failure_id: str, action: str, reason: str | None = None,
           until: date | None = None) -> dict:
    """Acknowledge, waive or reopen a failure the account may see: the CLI's change_status, so the same audit rows."""
    if action not in ALLOWED:
        raise StewardError(f"unknown action {action}")
    failure = failure_for(engine, account, failure_id)
    return change_status(engine, failure["id"], action, account.name, reason=reason, until=until)


def decide_many(engine: Engine, account: Account, failure_ids: list[str], action: str, reason: str | None) -> dict:
    """One decision with one reason on several failures; those the lifecycle refuses are named, not changed."""
    done, refused = [], []
    for fid in failure_ids:
        try:
            decide(engine, account, fid, action, reason=reason)
            done.append(fid)
        except StewardError as exc:
            refused.append((fid, str(exc)))
    return {"done": done, "refused": refused}


def assign(engine: Engine, account: Account, failure_id: str, assignee: str | None) -> dict:
    """Give a failure to a steward of the province (or to nobody), recorded in the audit."""
    failure = failure_for(engine, account, failure_id)
    assignee = (assignee or "").strip() or None
    with engine.begin() as conn:
        if assignee is not None and assignee not in deciders(conn, account):
            raise StewardError(f"{assignee} is not a steward of this province")
        conn.execute(update(FAILURES).where(FAILURES.c.id == failure["id"]).values(assignee=assignee))
        record(conn, account.name, "assign", "failure", failure["id"], before=failure["assignee"], after=assignee)
    return failure_for(engine, account, failure["id"])


def comment(engine: Engine, account: Account, failure_id: str, text: str) -> None:
    """A steward's note on a failure, appended to the audit."""
    text = (text or "").strip()
    if not text:
        raise StewardError("a comment needs some text")
    failure = failure_for(engine, account, failure_id)
    with engine.begin() as conn:
        record(conn, account.name, "comment", "failure", failure["id"], reason=text[:4000])


def failure_audit(engine: Engine, failure_id: str) -> list[dict]:
    """The failure's audit rows (decisions, assignments, comments), oldest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(AUDIT).where(AUDIT.c.object_type == "failure", AUDIT.c.object_id == failure_id)
            .order_by(AUDIT.c.at, AUDIT.c.id)).mappings()]


def scoped_audit(engine: Engine, account: Account) -> list[dict]:
    """Every audit row about failures the account may see (an admin: every row)."""
    query = select(AUDIT)
    if account.province_scope is not None:
        visible = _scoped(select(FAILURES.c.id), account.province_scope)
        query = query.where(AUDIT.c.object_type == "failure", AUDIT.c.object_id.in_(visible))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(AUDIT.c.at, AUDIT.c.id)).mappings()]


def earlier_values(engine: Engine, failure: dict) -> list[dict]:
    """The failure's cell in every version the unit sent of the same report period: version, file, value as written."""
    if not (failure.get("unit_code") and failure.get("form") and failure.get("label") and failure.get("measure")):
        return []
    s = SUBMISSIONS
    target = fold(failure["label"])
    with engine.connect() as conn:
        # the unit's versions first, then all their facts (a few hundred) filtered here: any form or measure
        # condition in SQL let SQLite walk the whole country's facts through ix_facts_lookup (0.1-0.5 s at 5 000)
        versions = list(conn.execute(select(s.c.id).where(s.c.unit_code == failure["unit_code"],
                                                          s.c.period == failure["period"])).scalars())
        if not versions:
            return []
        query = (select(s.c.id, s.c.version, s.c.report_number, s.c.report_date, s.c.received_at, s.c.is_current,
                        s.c.source.label("file"), Fact.raw, Fact.value, Fact.source, Fact.label)
                 .join(Fact, Fact.submission_id == s.c.id)
                 .where(Fact.submission_id.in_(versions), s.c.id.in_(versions)))
        rows = [dict(r) for r in conn.execute(query.add_columns(Fact.form, Fact.measure, Fact.year)).mappings()
                if (r["form"], r["measure"], r["year"]) == (failure["form"], failure["measure"], failure["year"])
                and fold(r["label"]) == target]
    return sorted(rows, key=lambda r: (r["received_at"], r["version"]))


def submission_for(engine: Engine, account: Account, submission_id: str) -> dict:
    """A submission the account may see, by its SHA-256 (or a 12+ character prefix)."""
    submission_id = (submission_id or "").strip().lower()
    if not 12 <= len(submission_id) <= 64:
        raise NotVisible(submission_id)
    query = select(SUBMISSIONS).where(SUBMISSIONS.c.id.startswith(submission_id, autoescape=True))
    if account.province_scope is not None:
        query = query.where(SUBMISSIONS.c.unit_code.in_(
            select(UNITS.c.code).where(UNITS.c.province_code == account.province_scope)))
    with engine.connect() as conn:
        rows = conn.execute(query.limit(2)).mappings().all()
    if len(rows) != 1:
        raise NotVisible(submission_id)
    return dict(rows[0])


def submission_failures(engine: Engine, submission_id: str) -> list[dict]:
    """The failures last seen in this submission, worst first."""
    rank = case({"error": 0, "warning": 1, "info": 2}, value=FAILURES.c.severity, else_=3)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(FAILURES).where(FAILURES.c.submission_id == submission_id)
            .order_by(rank, FAILURES.c.form, FAILURES.c.line, FAILURES.c.id)).mappings()]


def unit_submissions(engine: Engine, province_code: str, period: str) -> list[dict]:
    """The period's current submissions of the province's units, with their open errors and warnings."""
    s = SUBMISSIONS
    open_errors = (select(func.count()).where(FAILURES.c.submission_id == s.c.id, FAILURES.c.severity == "error",
                                               FAILURES.c.status.in_(("open", "acknowledged")))
                   .scalar_subquery())
    open_warnings = (select(func.count()).where(FAILURES.c.submission_id == s.c.id,
                                                 FAILURES.c.severity == "warning",
                                                 FAILURES.c.status.in_(("open", "acknowledged")))
                     .scalar_subquery())
    query = (select(s.c.id, s.c.unit_code, s.c.unit_name, s.c.report_number, s.c.report_date, s.c.source,
                    s.c.received_at, s.c.status, open_errors.label("open_errors"),
                    open_warnings.label("open_warnings"))
             .where(s.c.period == period, s.c.is_current.is_(True),
                    s.c.unit_code.in_(select(UNITS.c.code).where(UNITS.c.province_code == province_code))))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(s.c.unit_name)).mappings()]


def periods_for(engine: Engine, province_code: str) -> list[str]:
    """The periods the province's units reported for."""
    query = (select(SUBMISSIONS.c.period).distinct()
             .where(SUBMISSIONS.c.unit_code.in_(select(UNITS.c.code).where(UNITS.c.province_code == province_code))))
    with engine.connect() as conn:
        return sorted(p for p in conn.execute(query).scalars() if p)

