"""The reporting warehouse: SQLAlchemy 2 tables. Alembic migrations (warehouse/migrations) build them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
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
    __table_args__ = (  # one current version per report (migration 0004)
        Index("ux_submissions_current", "natural_key", unique=True,
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
