"""The reporting warehouse: SQLAlchemy 2 tables. Alembic migrations (warehouse/migrations) build them and the views.

A star: `facts` (one row per reported number) and `findings` hang off `submissions`; the dimensions are
`reporting_units`, `programs`, `forms`, `indicators` (join on facts.form + facts.indicator) and `periods`.
The views, created and dropped by the migrations, one line each (VIEWS below).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# the two columns most tables start with, declared once
RowId = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
OfSubmission = Annotated[str, mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)]


class ReportingUnit(Base):
    """One row per legacy (63-province) unit, province or district, by GSO code, with its post-2025 successor."""

    __tablename__ = "reporting_units"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # Tỉnh | Thành phố | Huyện | Thị xã | Quận
    province_code: Mapped[str] = mapped_column(String(4), index=True)
    province: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(12), default="district")  # province | district
    parent_code: Mapped[str | None] = mapped_column(String(8))  # a district's province
    # districts were abolished on 1 July 2025: a unit's successor is the merged province that took it in
    successor_code: Mapped[str | None] = mapped_column(String(8))
    successor_name: Mapped[str | None] = mapped_column(String(120))


class Program(Base):
    """One row per national target program a report can belong to (config/programs.yaml)."""

    __tablename__ = "programs"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class FormRow(Base):
    """One row per annex form of the catalog (config/forms/BIEU_0N.yaml)."""

    __tablename__ = "forms"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[str] = mapped_column(String(4))
    program: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)


class IndicatorRow(Base):
    """One row per catalogued row of a form: a group heading, an item, or a "(1+2)" total."""

    __tablename__ = "indicators"
    form: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # order of the row on the form
    kind: Mapped[str] = mapped_column(String(8))  # group | item | total
    group_no: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(40))
    sum_of: Mapped[str | None] = mapped_column(Text)  # for totals: the items they add up, comma-separated


class Period(Base):
    """One row per reporting period ("2016-2020", "2020"), with its due date when config/reporting.yaml gives one."""

    __tablename__ = "periods"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    # the first instant that is late (the day after due_date): lets the views compare timestamps on both databases
    late_from: Mapped[datetime | None] = mapped_column(DateTime)
    # received_date: late when the file came after the due date; report_date: when the date it bears is later
    # (for periods loaded after the fact, where the date of receipt says nothing)
    late_by: Mapped[str] = mapped_column(String(16), default="received_date", server_default="received_date")


class Run(Base):
    """One row per run of a flow (nightly, manual or rerun), with what it did."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow: Mapped[str] = mapped_column(String(40))
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual | rerun | check
    parameters: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(20))  # the worst severity, "ok", or "interrupted" (killed)


class Submission(Base):
    """One row per distinct file received (its bytes' SHA-256), with the report it carries."""

    __tablename__ = "submissions"
    __table_args__ = (
        # restatements look up the earlier reports of a unit
        Index("ix_submissions_unit_current", "unit_code", "is_current"),
        # one current version per report, even when two runs load two versions at once
        Index("uq_submissions_current_key", "natural_key", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    archive_path: Mapped[str | None] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # ok | flagged | quarantined
    reason: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(8), index=True)
    unit_name: Mapped[str | None] = mapped_column(String(120))
    province_code: Mapped[str | None] = mapped_column(String(4))
    program: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[str | None] = mapped_column(String(9), index=True)
    report_number: Mapped[str | None] = mapped_column(String(40))
    report_date: Mapped[date | None] = mapped_column(Date)
    natural_key: Mapped[str | None] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes: Mapped[str | None] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)  # held behind an approved version (0005)
    # the years its figures (facts with an indicator and a value) cover, "2021 2022"; "" for none (0008)
    years: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # a run's checkpoint finds its reports by it
    run_id: Mapped[str | None] = mapped_column(String(36))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)


class Fact(Base):
    """One row per reported number, with the cell it came from."""

    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("submission_id", "source", "measure", name="uq_facts_cell"),
        Index("ix_facts_lookup", "form", "indicator", "year", "measure"),
    )
    id: Mapped[RowId]
    # no index of its own: uq_facts_cell starts with submission_id and serves every lookup by submission (a second
    # index cost ~10 % of COPY's pace, measured in benchmarks/load_facts.py)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(16))
    group_no: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    raw: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    column_header: Mapped[str] = mapped_column(String(120))
    line: Mapped[int | None] = mapped_column(Integer)
    match_score: Mapped[float] = mapped_column(Float)


class FindingRow(Base):
    """One row per failure of one rule at one place in one submission."""

    __tablename__ = "findings"
    id: Mapped[RowId]
    submission_id: Mapped[OfSubmission]
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(8), index=True)
    form: Mapped[str | None] = mapped_column(String(16))
    group_no: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str | None] = mapped_column(Text)
    indicator: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)
    measure: Mapped[str | None] = mapped_column(String(8))
    expected: Mapped[str | None] = mapped_column(String(120))
    actual: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(64))
    line: Mapped[int | None] = mapped_column(Integer)
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)


class RunFile(Base):
    """One row per file a run saw, and what became of it (loaded, flagged, skipped, quarantined)."""

    __tablename__ = "run_files"
    id: Mapped[RowId]
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


class Failure(Base):
    """One row per distinct failure a steward tracks (its fingerprint), across runs and file versions."""

    __tablename__ = "failures"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the fingerprint
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | acknowledged | resolved | waived
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(8), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(8), index=True)
    unit_name: Mapped[str | None] = mapped_column(String(120))
    program: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[str | None] = mapped_column(String(9), index=True)
    form: Mapped[str | None] = mapped_column(String(80))  # a form, or a checked warehouse asset
    group_no: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    measure: Mapped[str | None] = mapped_column(String(80))  # a measure, or a checked column
    expected: Mapped[str | None] = mapped_column(String(120))
    actual: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(64))
    line: Mapped[int | None] = mapped_column(Integer)
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    submission_id: Mapped[str | None] = mapped_column(String(64))  # where it was last seen; no FK: it outlives files
    file: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    steward: Mapped[str | None] = mapped_column(String(80))
    until: Mapped[date | None] = mapped_column(Date)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    assignee: Mapped[str | None] = mapped_column(String(80), index=True)  # the steward who deals with it (0004)


class FailureEvent(Base):
    """One row per change of a failure's status: who, when, from, to, and why."""

    __tablename__ = "failure_events"
    id: Mapped[RowId]
    failure_id: Mapped[str] = mapped_column(ForeignKey("failures.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(80))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ExpectationFinding(Base):
    """One row per failed warehouse expectation and report it failed for (submission_id; NULL: the warehouse as a
    whole), as the latest checkpoint that looked at that report found it."""

    __tablename__ = "expectation_findings"
    id: Mapped[RowId]
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    # no foreign key: a report superseded or deleted keeps no failure in the queue (it tracks current reports only),
    # and the checkpoint that next looks at the warehouse as a whole clears it
    submission_id: Mapped[str | None] = mapped_column(String(64), index=True)
    asset: Mapped[str] = mapped_column(String(80))
    expectation: Mapped[str] = mapped_column(String(120))
    column_name: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(8))
    expected: Mapped[str | None] = mapped_column(String(120))
    actual: Mapped[str | None] = mapped_column(String(120))
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)


class User(Base):
    """One row per account of the steward's desk: role, province, Argon2 hash of the password (never the password)."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # viewer | steward | approver | admin
    province_code: Mapped[str] = mapped_column(String(4))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DeskSession(Base):
    """One row per sign-in to the desk: the SHA-256 of its cookie's token (never the token), its CSRF token, when it
    was last used (idle sessions expire) and whether it was ended by signing out."""

    __tablename__ = "desk_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(80))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditRow(Base):
    """One row per decision, comment or account change: who, when, what, before → after, why. Never updated
    or deleted (triggers of migration 0004 refuse both)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)
    id: Mapped[RowId]
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(24))  # ack | waive | reopen | assign | comment | user_add | …
    object_type: Mapped[str] = mapped_column(String(24))  # failure | user
    object_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


VIEWS = {
    "plan_vs_actual": "one row per current submission x indicator row x year (NULL: phase total): plan beside "
                      "actual, achievement = actual / plan",
    "findings_current": "one row per finding of a current submission",
    "latest_reports": "one row per unit x program x period: its current report (the latest by report date when "
                      "the unit sent several)",
    "province_totals": "one row per province x program x period x form x catalogued indicator x year x measure: "
                       "the sum over the province's units' latest reports, and how many units reported it",
    "completeness": "one row per district x period: its province's expected report versus the current reports "
                    "received, first received time, and late (1/0) when the period has a due date",
}
