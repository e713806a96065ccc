"""The approval tables (migration 0005): kept beside models.py so the desk's own tables and these evolve apart."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base

NO_PROGRAM = "-"  # a report that names no program is approved under this key, as natural_key spells it


class Approval(Base):
    """One row per unit x program x period approved now (unapproving deletes it; the audit table keeps the history)."""

    __tablename__ = "approvals"
    unit_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    program: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(9), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(String(4))
    approved_by: Mapped[str] = mapped_column(String(80))
    approved_at: Mapped[datetime] = mapped_column(DateTime)


class Acceptance(Base):
    """One row per province x program x period accepted at the province, once every unit that must report is
    approved."""

    __tablename__ = "acceptances"
    province_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    program: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(9), primary_key=True)
    accepted_by: Mapped[str] = mapped_column(String(80))
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
