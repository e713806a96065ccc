"""the steward's desk: failures (one per fingerprint), their status changes, warehouse expectation results

Revision ID: 0003
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failures',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=True),
    sa.Column('unit_name', sa.String(length=120), nullable=True),
    sa.Column('program', sa.String(length=16), nullable=True),
    sa.Column('period', sa.String(length=9), nullable=True),
    sa.Column('form', sa.String(length=80), nullable=True),
    sa.Column('group_no', sa.String(length=8), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('measure', sa.String(length=80), nullable=True),
    sa.Column('expected', sa.String(length=120), nullable=True),
    sa.Column('actual', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('submission_id', sa.String(length=64), nullable=True),
    sa.Column('file', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('steward', sa.String(length=80), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failures_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_failures_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_failures_unit_code'), ['unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_failures_period'), ['period'], unique=False)

    op.create_table('failure_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('failure_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('who', sa.String(length=80), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['failure_id'], ['failures.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('failure_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failure_events_failure_id'), ['failure_id'], unique=False)

    op.create_table('expectation_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('asset', sa.String(length=80), nullable=False),
    sa.Column('expectation', sa.String(length=120), nullable=False),
    sa.Column('column_name', sa.String(length=80), nullable=True),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('expected', sa.String(length=120), nullable=True),
    sa.Column('actual', sa.String(length=120), nullable=True),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('expectation_findings')
    with op.batch_alter_table('failure_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failure_events_failure_id'))
    op.drop_table('failure_events')
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failures_period'))
        batch_op.drop_index(batch_op.f('ix_failures_unit_code'))
        batch_op.drop_index(batch_op.f('ix_failures_severity'))
        batch_op.drop_index(batch_op.f('ix_failures_status'))
    op.drop_table('failures')
