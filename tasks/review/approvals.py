"""Approval of a district's report, after DHIS2: per unit x program x period, accepted per province, and locking.

States: `waiting` (nothing received), `ready` (received; blocked while an error failure of it is open or
acknowledged, i.e. not waived and not resolved), `approved` (by an approver, with who and when), `accepted` (the
province accepted the period once every unit that must report was approved). While approved, a new version of the
unit's report waits as `pending` (tasks/load/locks.py); unapproving makes the newest version current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from config.reporting import period_spec
from contracts.vietnamese import fold
from tasks.check.completeness import expected_units
from tasks.load.locks import serialize_approval
from tasks.review.audit import record
from warehouse.approval_models import NO_PROGRAM, Acceptance, Approval
from warehouse.db import now
from warehouse.models import Failure, Fact, Submission

APPROVALS = Approval.__table__
ACCEPTANCES = Acceptance.__table__
SUBMISSIONS = Submission.__table__
FAILURES = Failure.__table__
FACTS = Fact.__table__
BLOCKING = ("open", "acknowledged")  # an error failure blocks approval until it is waived or resolved


class ApprovalError(ValueError):
    """An approval change that cannot be done, with the reason and the way out."""


@dataclass
class UnitApproval:
    """One unit x program x period as an approver sees it: its state, its current report, what blocks it."""

    unit_code: str
    unit_name: str
    program: str
    period: str
    state: str  # waiting | ready | approved | accepted
    blocking: list[str] = field(default_factory=list)  # ids of the open error failures
    # the current report, and the versions waiting behind it when it is approved
    submission_id: str | None = None
    report_number: str | None = None
    version: int | None = None
    pending: list[dict] = field(default_factory=list)
    # who decided, when
    approved_by: str | None = None
    approved_at: datetime | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None

    @property
    def blocked(self) -> bool:
        """Ready but not approvable: error failures are open."""
        return self.state == "ready" and bool(self.blocking)

    def to_dict(self) -> dict:
        """JSON-ready."""
        out = {k: v for k, v in self.__dict__.items()}
        for k in ("approved_at", "accepted_at"):
            out[k] = out[k].isoformat(timespec="seconds") if out[k] else None
        out["blocked"] = self.blocked
        return out


def approval_key(unit_code: str, program: str | None, period: str) -> str:
    """The audit's object id of one unit x program x period."""
    return f"{unit_code}|{program or NO_PROGRAM}|{period}"


def _program_of(conn: Connection, period: str, unit_code: str | None = None, program: str | None = None) -> str:
    """The program of the period: given, else the one the unit's current reports name, else config/reporting.yaml."""
    if program:
        return program
    if unit_code:
        s = SUBMISSIONS
        named = set(conn.execute(select(func.coalesce(s.c.program, NO_PROGRAM)).where(
            s.c.unit_code == unit_code, s.c.period == period, s.c.is_current.is_(True),
            s.c.status != "quarantined")).scalars())
        if len(named) > 1:
            raise ApprovalError(f"unit {unit_code} reported {', '.join(sorted(named))} for {period}: "
                                "choose one with --program")
        if named:
            return named.pop()
    return str(period_spec(period).get("program") or NO_PROGRAM)


def _current(conn: Connection, unit_code: str, program: str, period: str, *, lock: bool = False) -> list:
    """The unit's current reports of the program and period (locked against a concurrent load when asked)."""
    s = SUBMISSIONS
    query = (select(s.c.id, s.c.unit_name, s.c.report_number, s.c.version, s.c.report_date, s.c.received_at)
             .where(s.c.unit_code == unit_code, s.c.period == period, s.c.is_current.is_(True),
                    s.c.status != "quarantined", func.coalesce(s.c.program, NO_PROGRAM) == program)
             .order_by(func.coalesce(s.c.report_date, s.c.received_at).desc(), s.c.id.desc()))
    return conn.execute(query.with_for_update() if lock else query).all()


def blocking_failures(conn: Connection, unit_code: str, program: str, period: str) -> list[str]:
    """Ids of the unit's error failures for the program and period that are neither waived nor resolved."""
    f = FAILURES
    return list(conn.execute(select(f.c.id).where(
        f.c.unit_code == unit_code, f.c.period == period, func.coalesce(f.c.program, NO_PROGRAM) == program,
        f.c.severity == "error", f.c.status.in_(BLOCKING)).order_by(f.c.id)).scalars())


def _unit_state(conn: Connection, unit_code: str, unit_name: str, program: str, period: str,
                province_code: str | None) -> UnitApproval:
    current = _current(conn, unit_code, program, period)
    row = UnitApproval(unit_code, unit_name, program, period, "waiting")
    if current:
        top = current[0]
        row.submission_id, row.report_number, row.version = top.id, top.report_number, top.version
        row.unit_name = top.unit_name or unit_name
        row.state = "ready"
        row.blocking = blocking_failures(conn, unit_code, program, period)
    a = conn.execute(select(APPROVALS).where(APPROVALS.c.unit_code == unit_code, APPROVALS.c.program == program,
                                             APPROVALS.c.period == period)).first()
    if a is not None:
        row.state, row.approved_by, row.approved_at = "approved", a.approved_by, a.approved_at
        row.pending = pending_versions(conn, unit_code, program, period)
        accepted = conn.execute(select(ACCEPTANCES).where(
            ACCEPTANCES.c.province_code == (a.province_code or province_code), ACCEPTANCES.c.program == program,
            ACCEPTANCES.c.period == period)).first()
        if accepted is not None:
            row.state, row.accepted_by, row.accepted_at = "accepted", accepted.accepted_by, accepted.accepted_at
    return row


def list_approvals(engine: Engine, period: str, province_code: str, program: str | None = None) -> list[UnitApproval]:
    """Every unit of the province that must report for the period, and any other that did: its approval state."""
    with engine.connect() as conn:
        program = _program_of(conn, period, program=program)
        units = dict(expected_units(period, province_code))
        s = SUBMISSIONS
        for code, name in conn.execute(select(s.c.unit_code, s.c.unit_name).where(
                s.c.period == period, s.c.province_code == province_code, s.c.is_current.is_(True),
                s.c.unit_code.is_not(None), func.coalesce(s.c.program, NO_PROGRAM) == program)):
            units.setdefault(code, name or code)
        return [_unit_state(conn, code, name, program, period, province_code) for code, name in sorted(units.items())]


def unit_approval(engine: Engine, period: str, unit: str, program: str | None = None) -> UnitApproval:
    """One unit's approval state for the period (unit: GSO code or name)."""
    with engine.connect() as conn:
        code, name, province = _resolve_unit(conn, unit, period)
        return _unit_state(conn, code, name, _program_of(conn, period, code, program), period, province)


def _resolve_unit(conn: Connection, unit: str, period: str) -> tuple[str, str, str | None]:
    """(code, name, province code) of a unit given by GSO code or name."""
    from warehouse.models import ReportingUnit

    u = ReportingUnit.__table__
    unit = (unit or "").strip()
    row = conn.execute(select(u.c.code, u.c.name, u.c.province_code).where(u.c.code == unit)).first()
    if row is None:
        rows = [r for r in conn.execute(select(u.c.code, u.c.name, u.c.province_code).where(u.c.level == "district"))
                if fold(r.name) == fold(unit)]
        if len(rows) != 1:
            raise ApprovalError(f"no single unit {unit!r}: give its GSO code (see `baocao approvals list "
                                f"--period {period}`)")
        row = rows[0]
    return row.code, row.name, row.province_code


def approve(engine: Engine, period: str, unit: str, who: str, program: str | None = None) -> UnitApproval:
    """Approve a unit's report for the period; refused while nothing is received or an error failure is open."""
    with engine.begin() as conn:
        code, name, province = _resolve_unit(conn, unit, period)
        program = _program_of(conn, period, code, program)
        serialize_approval(conn, code, program, period)  # a concurrent load waits for this approval
        current = _current(conn, code, program, period, lock=True)
        if not current:
            raise ApprovalError(f"{name} ({code}) sent no report for {program} {period}: nothing to approve")
        state = _unit_state(conn, code, name, program, period, province)
        if state.state in ("approved", "accepted"):
            raise ApprovalError(f"{name} ({code}) {program} {period} is {state.state} already "
                                f"(by {state.approved_by} at {state.approved_at:%Y-%m-%d %H:%M})")
        if state.blocking:
            raise ApprovalError(
                f"{name} ({code}) {program} {period} has {len(state.blocking)} open error failure(s): "
                + ", ".join(fid[:12] for fid in state.blocking)
                + "; fix them in a corrected file, or waive them: baocao failures waive ID --reason …")
        at = now()
        conn.execute(insert(APPROVALS).values(unit_code=code, program=program, period=period, province_code=province,
                                              approved_by=who, approved_at=at))
        record(conn, who, "approve", "approval", approval_key(code, program, period), before="ready",
               after=f"approved {current[0].id[:12]} v{current[0].version}", at=at)
        return _unit_state(conn, code, name, program, period, province)


def unapprove(engine: Engine, period: str, unit: str, who: str, reason: str, program: str | None = None) -> UnitApproval:
    """Unapprove a unit's report (a reason is required): the newest pending version of each report becomes current
    and its restatements enter the failure queue."""
    if not (reason and reason.strip()):
        raise ApprovalError("unapproving needs a reason: --reason '…'")
    with engine.begin() as conn:
        code, name, province = _resolve_unit(conn, unit, period)
        program = _program_of(conn, period, code, program)
        serialize_approval(conn, code, program, period)  # a load in flight finishes as pending first, then is promoted
        state = _unit_state(conn, code, name, program, period, province)
        if state.state == "accepted":
            raise ApprovalError(f"the province accepted {program} {period} (by {state.accepted_by}): unaccept it "
                                f"first: baocao approvals unaccept --period {period} --province {province} --reason …")
        if state.state != "approved":
            raise ApprovalError(f"{name} ({code}) {program} {period} is {state.state}, not approved")
        conn.execute(delete(APPROVALS).where(APPROVALS.c.unit_code == code, APPROVALS.c.program == program,
                                             APPROVALS.c.period == period))
        promoted = promote_pending(conn, code, program, period)
        record(conn, who, "unapprove", "approval", approval_key(code, program, period), before="approved",
               after="ready" + (f"; current now {', '.join(p[:12] for p in promoted)}" if promoted else ""),
               reason=reason.strip())
    from tasks.review.queue import sync_failures

    sync_failures(engine)  # the promoted versions' findings (their restatements) join the queue now
    return unit_approval(engine, period, code, program)


def promote_pending(conn: Connection, unit_code: str, program: str, period: str) -> list[str]:
    """The newest pending version of each of the unit's reports becomes current; the ids promoted."""
    s = SUBMISSIONS
    pending = conn.execute(select(s.c.id, s.c.natural_key, s.c.version).where(
        s.c.unit_code == unit_code, s.c.period == period, s.c.pending.is_(True),
        func.coalesce(s.c.program, NO_PROGRAM) == program).order_by(s.c.natural_key, s.c.version.desc())).all()
    newest: dict[str, str] = {}
    for row in pending:
        newest.setdefault(row.natural_key, row.id)
    for key, sid in newest.items():
        # the old current first: the unique index allows one current version per report at every statement
        conn.execute(update(s).where(s.c.natural_key == key, s.c.is_current.is_(True)).values(is_current=False))
        conn.execute(update(s).where(s.c.id == sid).values(is_current=True))
    if pending:
        conn.execute(update(s).where(s.c.id.in_([row.id for row in pending])).values(pending=False))
    return list(newest.values())


def pending_versions(conn: Connection, unit_code: str, program: str, period: str) -> list[dict]:
    """The versions that arrived after approval, newest first, each with the cells it changes."""
    s = SUBMISSIONS
    rows = conn.execute(select(s.c.id, s.c.source, s.c.report_number, s.c.version, s.c.received_at, s.c.natural_key,
                               s.c.errors, s.c.warnings).where(
        s.c.unit_code == unit_code, s.c.period == period, s.c.pending.is_(True),
        func.coalesce(s.c.program, NO_PROGRAM) == program).order_by(s.c.received_at.desc(), s.c.id)).all()
    approved = _current(conn, unit_code, program, period)
    out = []
    for row in rows:
        against = next((c.id for c in approved if c.report_number == row.report_number), None) or (
            approved[0].id if approved else None)
        changes = changed_cells(conn, against, row.id) if against else []
        out.append(row._asdict() | {"approved_id": against, "changes": changes, "changed": len(changes)})
    return out


def _cells(conn: Connection, submission_id: str) -> dict[tuple, dict]:
    f = FACTS
    found = conn.execute(select(f.c.form, f.c.group_no, f.c.label, f.c.indicator, f.c.year, f.c.measure, f.c.value,
                                f.c.raw, f.c.source).where(f.c.submission_id == submission_id)).mappings().all()
    return {(r["form"], r["indicator"] or fold(r["label"]), r["year"], r["measure"]): dict(r) for r in found}


def changed_cells(conn: Connection, approved_id: str, pending_id: str) -> list[dict]:
    """Every cell whose number differs between the approved version and a pending one (added or blanked too)."""
    before, after = _cells(conn, approved_id), _cells(conn, pending_id)
    out = []
    for key in sorted(set(before) | set(after), key=lambda k: tuple("" if x is None else str(x) for x in k)):
        old, new = before.get(key), after.get(key)
        old_value = old["value"] if old else None
        new_value = new["value"] if new else None
        if old_value == new_value or (old_value is not None and new_value is not None
                                      and abs(float(old_value) - float(new_value)) < 1e-9):
            continue
        cell = new or old
        out.append({"form": key[0], "group_no": cell["group_no"], "label": cell["label"], "indicator": cell["indicator"],
                    "year": key[2], "measure": key[3], "approved": old_value, "pending": new_value,
                    "approved_source": old["source"] if old else None, "source": new["source"] if new else None})
    return out


def accept(engine: Engine, period: str, province_code: str, who: str, program: str | None = None) -> dict:
    """Accept the province's period once every unit that must report is approved; refused with the ones that are
    not."""
    with engine.begin() as conn:
        program = _program_of(conn, period, program=program)
    rows = list_approvals(engine, period, province_code, program)
    expected = expected_units(period, province_code)
    missing = [r for r in rows if r.unit_code in expected and r.state not in ("approved", "accepted")]
    if any(r.state == "accepted" for r in rows):
        raise ApprovalError(f"province {province_code} {program} {period} is accepted already")
    if missing:
        raise ApprovalError(
            f"province {province_code} {program} {period}: {len(missing)} of {len(expected)} unit(s) not approved: "
            + ", ".join(f"{r.unit_code} {r.unit_name} ({r.state}{', blocked' if r.blocked else ''})" for r in missing))
    at = now()
    with engine.begin() as conn:
        conn.execute(insert(ACCEPTANCES).values(province_code=province_code, program=program, period=period,
                                                accepted_by=who, accepted_at=at))
        record(conn, who, "accept", "acceptance", approval_key(province_code, program, period), before="approved",
               after=f"accepted {len(expected)} unit(s)", at=at)
    return {"province_code": province_code, "program": program, "period": period, "accepted_by": who,
            "accepted_at": at.isoformat(timespec="seconds"), "units": len(expected)}


def unaccept(engine: Engine, period: str, province_code: str, who: str, reason: str,
             program: str | None = None) -> None:
    """Withdraw the province's acceptance (a reason is required); its units stay approved."""
    if not (reason and reason.strip()):
        raise ApprovalError("unaccepting needs a reason: --reason '…'")
    with engine.begin() as conn:
        program = _program_of(conn, period, program=program)
        gone = conn.execute(delete(ACCEPTANCES).where(ACCEPTANCES.c.province_code == province_code,
                                                      ACCEPTANCES.c.program == program,
                                                      ACCEPTANCES.c.period == period)).rowcount
        if not gone:
            raise ApprovalError(f"province {province_code} {program} {period} is not accepted")
        record(conn, who, "unaccept", "acceptance", approval_key(province_code, program, period), before="accepted",
               after="approved", reason=reason.strip())


def approve_many(engine: Engine, period: str, units: list[str], who: str) -> dict[str, str]:
    """Bulk approval: each unit on its own, so one refusal stops none of the others; unit -> 'approved' or why not."""
    out = {}
    for unit in units:
        try:
            approve(engine, period, unit, who)
            out[unit] = "approved"
        except ApprovalError as exc:
            out[unit] = str(exc)
    return out


def record_rerun(engine: Engine, who: str, period: str, unit: str | None, flow_run_id: str | None) -> None:
    """An approver's request for a rerun, in the audit table (with the Prefect run it started, when on a server)."""
    with engine.begin() as conn:
        record(conn, who, "rerun", "period", period, after=flow_run_id or "in-process",
               reason=f"unit {unit}" if unit else None)
