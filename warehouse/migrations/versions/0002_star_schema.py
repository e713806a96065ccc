"""star schema: unit hierarchy and successors, programs, forms, indicators, periods; consolidation views

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VIEW_NAMES = ("completeness", "province_totals", "latest_reports")
VIEWS = (
    # one row per unit x program x period: its current report, the latest by report date when it sent several
    """
    CREATE VIEW latest_reports AS
    SELECT s.id AS submission_id, s.unit_code AS unit_code, s.unit_name AS unit_name,
           s.province_code AS province_code, s.program AS program, s.period AS period,
           s.report_number AS report_number, s.report_date AS report_date, s.version AS version,
           s.received_at AS received_at
    FROM submissions s
    WHERE s.is_current = TRUE AND s.status <> 'quarantined' AND s.unit_code IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM submissions o
        WHERE o.is_current = TRUE AND o.status <> 'quarantined' AND o.id <> s.id
          AND o.unit_code = s.unit_code AND o.period = s.period
          AND COALESCE(o.program, '') = COALESCE(s.program, '')
          AND (COALESCE(o.report_date, o.received_at) > COALESCE(s.report_date, s.received_at)
               OR (COALESCE(o.report_date, o.received_at) = COALESCE(s.report_date, s.received_at)
                   AND o.id > s.id))
      )
    """,
    # one row per province x program x period x form x catalogued indicator x year (NULL: phase total) x measure:
    # the sum over the province's units of what their latest current reports say
    """
    CREATE VIEW province_totals AS
    SELECT r.province_code AS province_code, r.program AS program, r.period AS period,
           f.form AS form, f.indicator AS indicator, i.position AS position, i.label AS label, i.unit AS unit,
           f.year AS year, f.measure AS measure,
           SUM(f.value) AS value, COUNT(f.value) AS units_reporting
    FROM facts f
    JOIN latest_reports r ON r.submission_id = f.submission_id
    LEFT JOIN indicators i ON i.form = f.form AND i.code = f.indicator
    WHERE f.indicator IS NOT NULL
    GROUP BY r.province_code, r.program, r.period, f.form, f.indicator, i.position, i.label, i.unit,
             f.year, f.measure
    """,
    # one row per district x period: expected (every district of its province) versus received current reports
    """
    CREATE VIEW completeness AS
    SELECT p.code AS period, u.province_code AS province_code, u.province AS province,
           u.code AS unit_code, u.name AS unit_name, p.due_date AS due_date,
           COUNT(s.id) AS reports,
           CASE WHEN COUNT(s.id) > 0 THEN 1 ELSE 0 END AS received,
           MIN(s.received_at) AS first_received_at,
           MAX(s.report_date) AS last_report_date,
           CASE WHEN p.due_date IS NULL OR COUNT(s.id) = 0 THEN NULL
                WHEN p.late_by = 'report_date' THEN CASE WHEN MIN(s.report_date) > p.due_date THEN 1 ELSE 0 END
                WHEN MIN(s.received_at) >= p.late_from THEN 1 ELSE 0 END AS late
    FROM periods p
    CROSS JOIN reporting_units u
    LEFT JOIN submissions s
      ON s.unit_code = u.code AND s.period = p.code AND s.is_current = TRUE AND s.status <> 'quarantined'
    WHERE u.level = 'district'
    GROUP BY p.code, u.province_code, u.province, u.code, u.name, p.due_date, p.late_from, p.late_by
    """,
)


def upgrade() -> None:
    op.add_column("reporting_units", sa.Column("level", sa.String(length=12), nullable=False, server_default="district"))
    op.add_column("reporting_units", sa.Column("parent_code", sa.String(length=8), nullable=True))
    op.add_column("reporting_units", sa.Column("successor_code", sa.String(length=8), nullable=True))
    op.add_column("reporting_units", sa.Column("successor_name", sa.String(length=120), nullable=True))

    op.create_table(
        "programs",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "forms",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=4), nullable=False),
        sa.Column("program", sa.String(length=16), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "indicators",
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("group_no", sa.String(length=8), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("sum_of", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("form", "code"),
    )
    op.create_table(
        "periods",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("late_from", sa.DateTime(), nullable=True),
        sa.Column("late_by", sa.String(length=16), nullable=False, server_default="received_date"),
        sa.PrimaryKeyConstraint("code"),
    )
    # restatements look up the earlier reports of a unit; reruns and exports select a period's current reports
    op.create_index("ix_submissions_unit_current", "submissions", ["unit_code", "is_current"])
    # one current version per report (unit + program + period + number), even under concurrent loads
    op.create_index("uq_submissions_current_key", "submissions", ["natural_key"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    for statement in VIEWS:
        op.execute(statement)


def downgrade() -> None:
    for name in VIEW_NAMES:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("uq_submissions_current_key", table_name="submissions")
    op.drop_index("ix_submissions_unit_current", table_name="submissions")
    op.drop_table("periods")
    op.drop_table("indicators")
    op.drop_table("forms")
    op.drop_table("programs")
    with op.batch_alter_table("reporting_units") as batch_op:
        batch_op.drop_column("successor_name")
        batch_op.drop_column("successor_code")
        batch_op.drop_column("parent_code")
        batch_op.drop_column("level")
