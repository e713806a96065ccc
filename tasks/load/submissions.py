"""Load processed submissions into the warehouse: one transaction per submission version."""
from __future__ import annotations

import logging
import operator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Connection, Engine, Float, select

from config.messages import finding, where
from config.reporting import due_dates
from contracts.findings import Finding
from tasks.check.history import outliers_against
from tasks.check.result import (
    FACT_ROW, FORM, GROUP_NO, INDICATOR, LABEL, LINE, MEASURE, SOURCE, VALUE, YEAR, SubmissionResult, fact_table_rows,
    status_for,
)
from warehouse.db import now
from warehouse.models import Fact, FindingRow, Period, RunFile, Submission
from warehouse.reference import period_row

FACTS = Fact.__table__
FINDINGS = FindingRow.__table__
SUBMISSIONS = Submission.__table__
PERIODS = Period.__table__
log = logging.getLogger("baocao.load")


@dataclass
class FileOutcome:
    """What became of one inbox file in one run."""

    source: str
    sha256: str | None
    outcome: str  # loaded | flagged | skipped | quarantined
    reason: str | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    facts: int = 0


def natural_key(result: SubmissionResult) -> str | None:
    """unit + program + period + report number: a newer file with the same key supersedes the older."""
    if result.document is None:
        return None
    m = result.document.meta
    if not (m.unit_code and m.period and m.number):
        return None
    return f"{m.unit_code}|{m.program or '-'}|{m.period}|{m.number}"


def _count(result: SubmissionResult, severity: str) -> int:
    return sum(1 for f in result.findings if f.severity == severity)


def fact_rows(result: SubmissionResult) -> list[tuple]:
    """The submission's facts as rows for the facts table (FACT_ROW): made with its batch when it was processed."""
    return result.rows if result.rows is not None else fact_table_rows(result.facts)


def covered_years(rows: list[tuple]) -> set[int]:
    """The years a submission's figures cover (fact rows with an indicator and a value): what a phase total's
    comparison and the history fetch go by."""
    return {r[YEAR] for r in rows if r[YEAR] is not None and r[INDICATOR] is not None and r[VALUE] is not None}


def years_text(years: set[int]) -> str:
    """submissions.years as stored: ascending, space-separated; "" for none."""
    return " ".join(map(str, sorted(years)))


def finding_rows(result: SubmissionResult) -> list[dict]:
    rows = []
    for f in result.findings:
        d = dict(vars(f))  # a flat record of scalars: dataclasses.asdict's deep copy cost 10 µs a finding
        d["group_no"] = d.pop("group")
        d["expected"] = None if d["expected"] is None else str(d["expected"])
        d["actual"] = None if d["actual"] is None else str(d["actual"])
        d["submission_id"] = result.sha256
        rows.append(d)
    return rows


COPY_THRESHOLD = 500  # below this many rows a multi-row INSERT is as fast as COPY on PostgreSQL


def insert_rows(conn: Connection, table, rows: list[dict] | list[tuple], copy: bool = False) -> None:
    """Bulk insert: COPY on PostgreSQL for a chunk's rows (`copy`) or large fact batches, one executemany otherwise
    (SQLite, small batches). `rows`: dicts, or fact rows (tuples in FACT_ROW's order) for the facts table."""
    if not rows:
        return
    if type(rows[0]) is tuple:
        if table is not FACTS:
            raise TypeError(f"rows as tuples are fact rows; {table.name} takes dicts")
        if conn.dialect.name == "postgresql":
            _copy(conn, table, FACT_ROW, rows)
            return
        plain = _sqlite_insert(table, conn.dialect) if conn.dialect.name == "sqlite" else None
        if plain and plain[1] == FACT_ROW and not any(plain[2]):  # the driver takes them as they are
            conn.exec_driver_sql(plain[0], rows)
            return
        rows = [dict(zip(FACT_ROW, row)) for row in rows]
    if conn.dialect.name == "postgresql" and (copy or (table is FACTS and len(rows) >= COPY_THRESHOLD)):
        columns = tuple(c.name for c in table.columns if c.name != "id")
        values = operator.itemgetter(*columns)

        def tuples():
            for row in rows:
                try:
                    yield values(row)
                except KeyError:  # a row without some nullable column
                    yield tuple(row.get(c) for c in columns)

        _copy(conn, table, columns, tuples())
        return
    if conn.dialect.name == "sqlite" and (plain := _sqlite_insert(table, conn.dialect)):
        # SQLAlchemy's executemany compiles and processes each row's dict (a third of loading a chunk): the
        # driver's own executemany with tuples, through the column types' own bind processors where they have one
        sql, columns, processors = plain
        if any(processors):
            params = [tuple(v if p is None or v is None else p(v) for v, p in zip(map(row.get, columns), processors))
                      for row in rows]
        else:
            values = operator.itemgetter(*columns)
            try:
                params = [values(row) for row in rows]
            except KeyError:  # a row without some nullable column
                params = [tuple(map(row.get, columns)) for row in rows]
        conn.exec_driver_sql(sql, params)
        return
    conn.execute(table.insert(), rows)


def _copy(conn: Connection, table, columns: tuple[str, ...], rows) -> None:
    """PostgreSQL's COPY of `rows` (tuples in `columns`' order) into `table`, in one round trip."""
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)


@lru_cache(maxsize=None)
def _sqlite_insert(table, dialect) -> tuple[str, tuple[str, ...], tuple] | None:
    """INSERT with one ? per column (no id), the columns, and each column type's bind processor (None: as it is);
    None for a table with column defaults, which SQLAlchemy's insert fills."""
    columns = tuple(c.name for c in table.columns if c.name != "id")
    if any(table.c[c].default is not None or table.c[c].server_default is not None for c in columns):
        return None
    # a float column's processor turns a Decimal into a float: the loader's values are floats and None already
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", columns,
            tuple(None if isinstance(table.c[c].type, Float) and not table.c[c].type.asdecimal
                  else table.c[c].type.bind_processor(dialect) for c in columns))


def ensure_period(conn: Connection, period: str | None) -> None:
    """The period a submission names exists in `periods` (concurrent loads may race: insert or ignore)."""
    row = period_row(period or "", due_dates().get(period or ""))
    if row is None:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(PERIODS).values(**row).on_conflict_do_nothing(index_elements=["code"]))


class EarlierFact(NamedTuple):
    """One fact a unit reported before, as the history fetch gives it: what restatements and jumps compare with."""

    form: str
    indicator: str
    year: int | None
    measure: str
    value: float
    source: str


class SubmissionFacts(list):
    """An earlier submission's facts (EarlierFact), and its columns once (`submission`: unit_code, program, id,
    is_current, report_number, version, period, report_date, received_at). One dict a fact merging both cost more
    than the query that fetched them (N = 5 000: 367 000 rows)."""

    __slots__ = ("submission",)

    def __init__(self, submission: dict, facts=()):
        super().__init__(facts)
        self.submission = submission


def pick_earlier(found: list[SubmissionFacts], result: SubmissionResult, *, supersedes: str | None,
                 rows: list[tuple] | None = None, covers: dict[str, set] | None = None
                 ) -> dict[tuple, tuple[dict, EarlierFact]]:
    """Per cell (form, indicator, year, measure), the earlier fact to compare with, and its submission's columns,
    among the unit's earlier submissions `found`: the previous version of the same report first, then the unit's
    other current reports, latest first.

    A phase total (year NULL) is compared only with a report of the same period covering the same years: the
    annual reports of a phase give its total to date (2021; 2021-2022; ...), which grows without being restated.
    `covers`: the years each earlier submission's facts cover, when `found` holds only some of its years."""
    meta = result.document.meta
    covers = covers or {}
    rows = fact_rows(result) if rows is None else rows
    mine = {r[YEAR] for r in rows if r[YEAR] is not None}
    rank: dict[tuple, tuple] = {}
    values: dict[tuple, tuple[dict, EarlierFact]] = {}
    for facts in found:
        sub = facts.submission
        sid = sub["id"]
        years = covers.get(sid)
        if years is None:
            years = {fact.year for fact in facts if fact.year is not None}
        totals = sid == supersedes or (sub["period"] == meta.period and years == mine)
        order = (sid == supersedes, sub["report_date"] or date.min, sub["received_at"])
        for fact in facts:
            if fact.year is None and not totals:
                continue
            key = fact[:4]  # (form, indicator, year, measure)
            held = rank.get(key)
            if held is None or order > held:
                rank[key] = order
                values[key] = (sub, fact)
    return values


def restatements(rows: list[tuple], earlier: dict[tuple, tuple[dict, EarlierFact]]) -> list[Finding]:
    """A restatement finding for every number that differs from what the unit reported for the same cell before.

    `rows`: the submission's fact rows (fact_rows); `earlier`: what pick_earlier chose."""
    if not earlier:
        return []
    out: list[Finding] = []
    for row in rows:
        if row[INDICATOR] is None or row[VALUE] is None:
            continue
        year = row[YEAR]
        picked = earlier.get((row[FORM], row[INDICATOR], year, row[MEASURE]))
        if picked is None:
            continue
        sub, old = picked
        if abs(float(old.value) - float(row[VALUE])) < 1e-9:
            continue
        previous_vi, previous_en = where(old.source)
        out.append(finding(
            "restatement", form_label=f"Biểu {row[FORM].removeprefix('BIEU_')}", source=row[SOURCE],
            expected=float(old.value), actual=float(row[VALUE]), form=row[FORM], group=row[GROUP_NO],
            label=row[LABEL], indicator=row[INDICATOR], year=year, measure=row[MEASURE],
            line=row[LINE], previous_number=sub["report_number"] or "?", previous_version=sub["version"],
            previous_where_vi=previous_vi, previous_where_en=previous_en,
        ))
    return out


def apply_earlier(result: SubmissionResult, rows: list[tuple], earlier: dict[tuple, tuple[dict, EarlierFact]]) -> None:
    """Restatements and outliers against the unit's earlier figures join the submission's findings and status."""
    found = restatements(rows, earlier) + outliers(rows, earlier)
    if found:
        redone = {"restatement", "outlier_jump", "outlier_band"}
        result.findings = [f for f in result.findings if f.rule not in redone] + found
        if result.status != "quarantined":
            result.status = status_for(result.findings)


def outliers(rows: list[tuple], earlier: dict[tuple, tuple[dict, EarlierFact]]) -> list[Finding]:
    """Jumps from the unit's previous year as it reported it before, and values outside their bands."""

    def before_of(row: tuple) -> dict | None:
        picked = earlier.get((row[FORM], row[INDICATOR], int(row[YEAR]) - 1, row[MEASURE]))
        if picked is None:
            return None
        sub, fact = picked
        return {"value": fact.value, "year": fact.year, "source": fact.source, "report": sub["report_number"]}

    return outliers_against(rows, before_of)


def known_ids(engine: Engine, shas: list[str]) -> set[str]:
    """Which of these contents the warehouse already holds (the nightly run skips them)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(shas), 500):
            chunk = shas[start:start + 500]
            found |= set(conn.execute(select(SUBMISSIONS.c.id).where(SUBMISSIONS.c.id.in_(chunk))).scalars())
    return found


def outcome_of(result: SubmissionResult) -> FileOutcome:
    status = {"ok": "loaded", "flagged": "flagged", "quarantined": "quarantined"}[result.status]
    return FileOutcome(
        source=result.source, sha256=result.sha256, outcome=status, reason=result.reason,
        errors=_count(result, "error"), warnings=_count(result, "warning"), infos=_count(result, "info"),
        facts=len(fact_rows(result)),
    )


def record_run_files(engine: Engine, run_id: str, outcomes: list[FileOutcome]) -> None:
    if not outcomes:
        return
    with engine.begin() as conn:
        conn.execute(RunFile.__table__.insert(), [
            {"run_id": run_id, "source": o.source, "sha256": o.sha256, "outcome": o.outcome, "reason": o.reason}
            for o in outcomes
        ])
