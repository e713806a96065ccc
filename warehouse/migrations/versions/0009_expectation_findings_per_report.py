"""expectation_findings.submission_id: a failed warehouse expectation told report by report

A great-expectations checkpoint answers for the rows it looked at as a whole ("58 rows break it"); a steward acts on
a report. A failed check whose rows belong to reports (every check but the orphan rows') is now stored once per
report, with the report's submission, so that the failure reaches the queue under the report's unit and period, next
to its other failures, and so that a checkpoint can look at the reports a run wrote and keep what it found in the
others (tasks/review/expectations.py). NULL: a failure of the warehouse as a whole (orphan rows), as every row was
before; those rows are replaced by the next checkpoint, which checks every report when the table holds no row with a
submission yet. submissions.loaded_at is indexed: the reports a run loaded are found by it.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("expectation_findings", sa.Column("submission_id", sa.String(64), nullable=True))
    op.create_index("ix_expectation_findings_submission_id", "expectation_findings", ["submission_id"])
    op.create_index("ix_submissions_loaded_at", "submissions", ["loaded_at"])


def downgrade() -> None:
    op.drop_index("ix_submissions_loaded_at", "submissions")
    op.drop_index("ix_expectation_findings_submission_id", "expectation_findings")
    op.drop_column("expectation_findings", "submission_id")
