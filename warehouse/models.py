"""The reporting warehouse: SQLAlchemy 2 tables. Alembic migrations (warehouse/migrations) build them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ReportingUnit(Base):
    """One row per district-level unit that reports (legacy GSO codes)."""

    __tablename__ = "reporting_units"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(4), index=True)
    province: Mapped[str] = mapped_column(String(120))


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
    outcome: Mapped[str | None] = mapped_column(String(20))  # the worst severity, or "ok"


class Submission(Base):
    """One row per distinct file received (its bytes' SHA-256), with the report it carries."""

    __tablename__ = "submissions"
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
    received_at: Mapped[datetime] = mapped_column(DateTime)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
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
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
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
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
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
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
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


class FailureEvent(Base):
    """One row per change of a failure's status: who, when, from, to, and why."""

    __tablename__ = "failure_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    failure_id: Mapped[str] = mapped_column(ForeignKey("failures.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(80))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ExpectationFinding(Base):
    """One row per failed warehouse expectation in the latest checkpoint (replaced by each checkpoint)."""

    __tablename__ = "expectation_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    asset: Mapped[str] = mapped_column(String(80))
    expectation: Mapped[str] = mapped_column(String(120))
    column_name: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(8))
    expected: Mapped[str | None] = mapped_column(String(120))
    actual: Mapped[str | None] = mapped_column(String(120))
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
