"""initial schema: units, runs, submissions, facts, findings

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 19:26:18.066986
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


VIEW_NAMES = ("plan_vs_actual", "findings_current")
VIEWS = (
    # one row per current submission x indicator row x year (NULL: phase total), plan beside actual
    """
    CREATE VIEW plan_vs_actual AS
    SELECT unit_name, unit_code, period, form, group_no, label, unit, year, plan, actual,
           CASE WHEN plan > 0 THEN actual / plan END AS achievement
    FROM (
        SELECT s.unit_name AS unit_name, s.unit_code AS unit_code, s.period AS period,
               f.form AS form, f.group_no AS group_no, f.label AS label, f.unit AS unit, f.year AS year,
               MAX(CASE WHEN f.measure = 'plan' THEN f.value END) AS plan,
               MAX(CASE WHEN f.measure = 'actual' THEN f.value END) AS actual
        FROM facts f JOIN submissions s ON s.id = f.submission_id
        WHERE s.is_current = TRUE
        GROUP BY s.unit_name, s.unit_code, s.period, f.form, f.group_no, f.label, f.indicator, f.unit, f.year
    ) pivoted
    """,
    # one row per finding of a current submission
    """
    CREATE VIEW findings_current AS
    SELECT s.unit_name, s.unit_code, s.period, s.report_number, s.source AS file, f.*
    FROM findings f JOIN submissions s ON s.id = f.submission_id
    WHERE s.is_current = TRUE
    """,
)


def upgrade() -> None:
    op.create_table('reporting_units',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('province_code', sa.String(length=4), nullable=False),
    sa.Column('province', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('reporting_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_units_province_code'), ['province_code'], unique=False)

    op.create_table('runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow', sa.String(length=40), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('files_seen', sa.Integer(), nullable=False),
    sa.Column('loaded', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('submissions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('archive_path', sa.String(length=255), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('encoding', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('unit_code', sa.String(length=8), nullable=True),
    sa.Column('unit_name', sa.String(length=120), nullable=True),
    sa.Column('province_code', sa.String(length=4), nullable=True),
    sa.Column('program', sa.String(length=16), nullable=True),
    sa.Column('period', sa.String(length=9), nullable=True),
    sa.Column('report_number', sa.String(length=40), nullable=True),
    sa.Column('report_date', sa.Date(), nullable=True),
    sa.Column('natural_key', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=True),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_natural_key'), ['natural_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_unit_code'), ['unit_code'], unique=False)

    op.create_table('facts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.String(length=64), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('group_no', sa.String(length=8), nullable=True),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('measure', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('raw', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('column_header', sa.String(length=120), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('match_score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'source', 'measure', name='uq_facts_cell')
    )
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.create_index('ix_facts_lookup', ['form', 'indicator', 'year', 'measure'], unique=False)
        batch_op.create_index(batch_op.f('ix_facts_submission_id'), ['submission_id'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=True),
    sa.Column('group_no', sa.String(length=8), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('indicator', sa.String(length=40), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('measure', sa.String(length=8), nullable=True),
    sa.Column('expected', sa.String(length=120), nullable=True),
    sa.Column('actual', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_submission_id'), ['submission_id'], unique=False)

    op.create_table('run_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('run_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_files_run_id'), ['run_id'], unique=False)
    for statement in VIEWS:
        op.execute(statement)


def downgrade() -> None:
    for name in VIEW_NAMES:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table('run_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_files_run_id'))

    op.drop_table('run_files')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_submission_id'))
        batch_op.drop_index(batch_op.f('ix_findings_severity'))

    op.drop_table('findings')
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facts_submission_id'))
        batch_op.drop_index('ix_facts_lookup')

    op.drop_table('facts')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_unit_code'))
        batch_op.drop_index(batch_op.f('ix_submissions_period'))
        batch_op.drop_index(batch_op.f('ix_submissions_natural_key'))

    op.drop_table('submissions')
    op.drop_table('runs')
    with op.batch_alter_table('reporting_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_units_province_code'))

    op.drop_table('reporting_units')
