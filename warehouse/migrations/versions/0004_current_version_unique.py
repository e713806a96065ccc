"""one current version per report: a partial unique index on submissions.natural_key where is_current

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 20:00:00

Two runs loading versions of the same report at once could each find no current version and both
insert one as current; this index makes the second fail, and the loader reads the current one again.
Partial indexes exist on SQLite (3.8+) and PostgreSQL alike.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ux_submissions_current", "submissions", ["natural_key"], unique=True,
        sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_index("ux_submissions_current", table_name="submissions")
