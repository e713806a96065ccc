"""submissions.years: the years a submission's figures cover, written when it is loaded

Restatements compare a report with what its unit reported before, and a phase total only with a report of the same
period covering the same years. Which years each earlier submission covers came from aggregating every fact of the
unit's current submissions, a query that grew with each unit's history (N = 5 000: 0.08 s of a late batch's 0.25 s
history fetch on SQLite); stored with the submission it is a lookup, and the history fetch skips submissions whose
years the chunk does not look at. Space-separated, ascending ("2021 2022 2023"); "" when none of its figures has a
year. Existing rows are filled from their facts, as the loader computes it (facts with an indicator and a value).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("years", sa.String(200), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT DISTINCT submission_id, year FROM facts "
        "WHERE year IS NOT NULL AND indicator IS NOT NULL AND value IS NOT NULL"))
    covers: dict[str, set[int]] = {}
    for sid, year in rows:
        covers.setdefault(sid, set()).add(int(year))
    conn.execute(sa.text("UPDATE submissions SET years = ''"))
    if covers:
        conn.execute(sa.text("UPDATE submissions SET years = :years WHERE id = :sid"),
                     [{"sid": sid, "years": " ".join(map(str, sorted(ys)))} for sid, ys in covers.items()])


def downgrade() -> None:
    op.drop_column("submissions", "years")  # SQLite >= 3.35 drops it in place (a batch copy would break the views)
