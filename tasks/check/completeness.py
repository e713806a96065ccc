"""Completeness of a reporting period: which units reported, which did not, which were late, which annexes each sent.

Plain functions: the warehouse's `completeness` view and the command line both build on them. Who must
report and by when is config/reporting.yaml; the units come from config/units.py.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from config.reporting import reporting
from config.units import districts_of
from contracts.document import Document



@dataclass(frozen=True)
class Received:
    """One submission received for a period: who sent it, when, and which annexes came with it."""

    unit_code: str
    period: str
    report_date: date | None = None
    received_date: date | None = None
    annexes: tuple[str, ...] = ()  # attached, "01", "02"
    referenced: tuple[str, ...] = ()  # named in the narrative "(Có biểu 03 chi tiết kèm theo)"
    report_number: str | None = None
    source: str | None = None


@dataclass
class UnitCompleteness:
    """One row per unit expected to report for a period (and per unit that reported unexpectedly)."""

    unit_code: str
    unit_name: str
    period: str
    status: str  # "on_time" | "late" | "reported" (no due date) | "missing" | "unexpected"
    report_numbers: list[str] = field(default_factory=list)
    report_date: date | None = None
    received_date: date | None = None
    due: date | None = None
    days_late: int | None = None
    annexes_sent: list[str] = field(default_factory=list)
    annexes_referenced: list[str] = field(default_factory=list)
    annexes_missing: list[str] = field(default_factory=list)  # expected or referenced, not sent
    sources: list[str] = field(default_factory=list)

    @property
    def reported(self) -> bool:
        return self.status not in ("missing",)

    def to_dict(self) -> dict:
        return asdict(self)


def period_spec(period: str, config: dict | None = None) -> dict:
    """The period's entry in config/reporting.yaml ({} when the period is not configured)."""
    config = config if config is not None else reporting()
    return dict((config.get("periods") or {}).get(period) or {})


def expected_units(period: str, province_code: str | None = None, config: dict | None = None) -> dict[str, str]:
    """GSO code -> name of every unit that must report for the period."""
    config = config if config is not None else reporting()
    spec = period_spec(period, config)
    province = province_code or str(config.get("province_code") or "")
    names = {u.code: u.name for u in districts_of(province)}
    codes = [str(c) for c in spec["units"]] if spec.get("units") else list(names)
    return {code: names.get(code, code) for code in codes}


def check_completeness(period: str, received: list[Received], province_code: str | None = None,
                       config: dict | None = None) -> list[UnitCompleteness]:
    """For each expected unit: reported on time, late or not at all, and the annexes it sent."""
    config = config if config is not None else reporting()
    spec = period_spec(period, config)
    due = _as_date(spec.get("due"))
    late_by = spec.get("late_by", "received_date")
    wanted = [str(a).zfill(2) for a in spec.get("annexes") or ()]
    units = expected_units(period, province_code, config)
    mine = [r for r in received if r.period == period]
    codes = list(units) + sorted({r.unit_code for r in mine} - set(units))
    out = []
    for code in codes:
        subs = [r for r in mine if r.unit_code == code]
        row = UnitCompleteness(unit_code=code, unit_name=units.get(code, _name_of(code)), period=period,
                               status="missing", due=due, annexes_missing=list(wanted))
        if subs:
            sent = sorted({a.zfill(2) for r in subs for a in r.annexes})
            referenced = sorted({a.zfill(2) for r in subs for a in r.referenced})
            row.report_numbers = sorted({r.report_number for r in subs if r.report_number})
            row.report_date = min((r.report_date for r in subs if r.report_date), default=None)
            row.received_date = min((r.received_date for r in subs if r.received_date), default=None)
            row.annexes_sent, row.annexes_referenced = sent, referenced
            row.annexes_missing = sorted((set(wanted) | set(referenced)) - set(sent))
            row.sources = [r.source for r in subs if r.source]
            when = row.report_date if late_by == "report_date" else row.received_date
            late = None if due is None or when is None else when > due
            row.status = completeness_status(True, late, expected=code in units)
            row.days_late = (when - due).days if late else None
        out.append(row)
    return out


def completeness_status(received: bool, late: bool | None, expected: bool = True) -> str:
    """The one vocabulary of completeness, for files at hand and for the warehouse's view alike:
    missing | late | on_time | reported (no due date to judge by) | unexpected (a unit that need not report)."""
    if not expected:
        return "unexpected"
    if not received:
        return "missing"
    return "reported" if late is None else "late" if late else "on_time"


def from_warehouse(rows: list[dict]) -> list[UnitCompleteness]:
    """The warehouse's `completeness` view (one row per district and period) in the same rows and words."""
    out = []
    for r in rows:
        received, due = bool(r["received"]), _as_date(r.get("due_date"))
        late = None if r.get("late") is None else bool(r["late"])
        out.append(UnitCompleteness(
            unit_code=r["unit_code"], unit_name=r["unit_name"], period=r["period"],
            status=completeness_status(received, late), report_date=_as_date(r.get("last_report_date")),
            received_date=_as_date(r.get("first_received_at")), due=due))
    return out


def summarize_completeness(rows: list[UnitCompleteness]) -> dict:
    """Names by status: who reported (on time, late), who did not."""
    return {
        "expected": len([r for r in rows if r.status != "unexpected"]),
        "reported": [r.unit_name for r in rows if r.reported],
        "missing": [r.unit_name for r in rows if r.status == "missing"],
        "late": [r.unit_name for r in rows if r.status == "late"],
    }


def annexes_of(doc: Document) -> dict:
    """One report's annexes: referenced in the narrative, attached, and the difference both ways."""
    referenced = sorted({number.zfill(2) for number, _, _ in doc.meta.annex_refs})
    attached = sorted({t.form_no.zfill(2) for t in doc.tables if t.form_no})
    return {
        "referenced": referenced,
        "attached": attached,
        "missing": [a for a in referenced if a not in attached],
        "unreferenced": [a for a in attached if a not in referenced],
    }


def received_from(doc: Document, received_date: date | None = None) -> Received | None:
    """What a read report tells completeness; None when its unit or period could not be read."""
    meta = doc.meta
    if not meta.unit_code or not meta.period:
        return None
    annexes = annexes_of(doc)
    return Received(
        unit_code=meta.unit_code, period=meta.period, report_date=meta.date, received_date=received_date,
        annexes=tuple(annexes["attached"]), referenced=tuple(annexes["referenced"]),
        report_number=meta.number, source=doc.source,
    )


def _as_date(value) -> date | None:
    """YAML and databases give dates, datetimes or ISO text; the day is what completeness judges."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def _name_of(code: str) -> str:
    """A unit's name from the national list, for units outside the province that reported anyway."""
    from config.units import unit_by_code

    unit = unit_by_code(code)
    return unit.name if unit else code
