"""approvals: a unit's report approved per unit x program x period, accepted per province; pending versions

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("unit_code", sa.String(length=8), nullable=False),
        sa.Column("program", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=9), nullable=False),
        sa.Column("province_code", sa.String(length=4), nullable=True),
        sa.Column("approved_by", sa.String(length=80), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "program", "period"),
    )
    op.create_table(
        "acceptances",
        sa.Column("province_code", sa.String(length=4), nullable=False),
        sa.Column("program", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=9), nullable=False),
        sa.Column("accepted_by", sa.String(length=80), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("province_code", "program", "period"),
    )
    # a plain ADD COLUMN: a batch copy of submissions would break the views built on it (SQLite)
    op.add_column("submissions", sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("submissions", "pending")
    op.drop_table("acceptances")
    op.drop_table("approvals")
