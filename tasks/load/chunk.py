"""Load a chunk of checked submissions in one transaction: one version lookup, one history query, one COPY of
facts and one of findings, however many files the chunk holds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from tasks.check.result import FORM, INDICATOR, MEASURE, SOURCE, VALUE, YEAR, SubmissionResult
from tasks.load.submissions import (
    FACTS, FINDINGS, SUBMISSIONS, _count, apply_earlier, covered_years, ensure_period, fact_rows, finding_rows,
    EarlierFact, SubmissionFacts, insert_rows, known_ids, natural_key, pick_earlier, years_text,
)
from tasks.load.locks import locked_places, next_version
from warehouse.db import now

RETRYABLE_STATES = {"40P01", "40001"}  # deadlock, serialization failure: another run's chunk got in the way


@dataclass
class Arrival:
    """One submission to write: its result, where its bytes are archived, when it was received, by which run."""

    result: SubmissionResult
    archive_path: str | None
    received_at: datetime
    run_id: str | None


def arrivals_now(items: list[tuple[SubmissionResult, str | None]], run_id: str | None) -> list[Arrival]:
    """The chunk's files received now, in order: strictly increasing times keep their order for restatements."""
    out, last = [], None
    for result, archive_path in items:
        at = now()
        if last is not None and at <= last:
            at = last + timedelta(microseconds=1)
        out.append(Arrival(result, archive_path, at, run_id))
        last = at
    return out


def current_versions(conn: Connection, keys: list[str]) -> dict[str, tuple[str, int]]:
    """natural key -> (id, version) of its current submission, locked until commit (sorted: no deadlock by order)."""
    found: dict[str, tuple[str, int]] = {}
    s = SUBMISSIONS
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        query = (select(s.c.natural_key, s.c.id, s.c.version)
                 .where(s.c.natural_key.in_(chunk), s.c.is_current.is_(True))
                 .order_by(s.c.natural_key).with_for_update())
        found.update({row.natural_key: (row.id, row.version) for row in conn.execute(query)})
    return found


_fact = tuple.__new__  # EarlierFact from the driver's tuple without its generated __new__'s argument handling

# what unit_history gives of each earlier submission, beside its facts
SUBMISSION_HISTORY = (SUBMISSIONS.c.unit_code, SUBMISSIONS.c.program, SUBMISSIONS.c.id, SUBMISSIONS.c.is_current,
                      SUBMISSIONS.c.report_number, SUBMISSIONS.c.version, SUBMISSIONS.c.period,
                      SUBMISSIONS.c.report_date, SUBMISSIONS.c.received_at)


def unit_history(conn: Connection, units: list[str], years: set[int] | None = None, also: list[str] = (),
                 compared: set[tuple] | None = None
                 ) -> tuple[dict[str, dict[str, SubmissionFacts]], dict[str, set[int]]]:
    """unit -> submission -> the facts of the unit's current submissions with an indicator and a value (what
    restatements compare with: SubmissionFacts, the submission's columns beside its facts), and submission -> the
    years those facts cover. Grouped by submission, so that choosing a report's earlier submissions looks at each
    once, not at each of its facts. `also`: submissions fetched though no longer current (the versions a rerun's
    submissions superseded) or whatever they hold (the versions a chunk's reports supersede); each submission's
    columns say whether it `is_current`.

    `years`: only facts of these years (and phase totals, which have none) are fetched, the chunk's years and the
    year before each, which is all restatements and year-over-year jumps look at: a unit's history holds every
    report it ever sent, and fetching all of it for every chunk grew each night's load with the warehouse
    (N = 5 000: 98 000 rows for a chunk of 200). The years each submission covers are stored with it
    (submissions.years; aggregating its facts grew with the unit's history): a phase total is compared only
    between reports of one period covering the same years, so with `compared`, the (period, years) of the chunk's
    reports, phase totals come only from submissions that match one of them, or from `also` (a late chunk of
    N = 5 000 fetched 32 000 rows, most of them phase totals of annual reports that cannot match), and a
    submission covering none of `years` is not read at all."""
    s, f = SUBMISSIONS, FACTS
    history: dict[str, dict[str, SubmissionFacts]] = {}
    covers: dict[str, set[int]] = {}
    also = sorted(set(also))
    for start in range(0, len(units), 500):
        wanted_submissions = or_(s.c.is_current.is_(True), s.c.id.in_(also)) if also else s.c.is_current.is_(True)
        period_of: dict[str, str | None] = {}
        unknown = []  # rows written without `years` (not by baocao's loader): counted from their facts
        for sid, period, stored in conn.execute(select(s.c.id, s.c.period, s.c.years).where(
                s.c.unit_code.in_(units[start:start + 500]), wanted_submissions)):
            period_of[sid] = period
            if stored is None:
                unknown.append(sid)
            elif stored:
                covers[sid] = {int(y) for y in stored.split()}
        if unknown:
            for sid, year in conn.execute(select(f.c.submission_id, f.c.year).distinct().where(
                    f.c.submission_id.in_(unknown), f.c.indicator.is_not(None), f.c.value.is_not(None),
                    f.c.year.is_not(None))):
                covers.setdefault(sid, set()).add(year)
        fetch = sorted(period_of)
        if years is None:
            wanted = ()
        elif compared is None:
            wanted = (or_(f.c.year.is_(None), f.c.year.in_(sorted(years))),)
        else:
            totals_of = {sid for sid, ys in covers.items() if sid in period_of
                         and (period_of[sid], frozenset(ys)) in compared} | set(also)
            wanted = (or_(f.c.year.in_(sorted(years)), f.c.year.is_(None) & f.c.submission_id.in_(sorted(totals_of))),)
            # a submission none of whose years the chunk looks at, and whose phase totals it does not compare with,
            # has nothing to give: its facts are not read at all
            fetch = [sid for sid in fetch if sid in totals_of or not covers.get(sid, set()).isdisjoint(years)]
        if not fetch:
            continue
        # the submissions' columns once each, then their facts: joined, every fact row carried (and SQLite's
        # driver parsed) its submission's dates again, 41 267 rows in 0.16-0.18 s against 0.10-0.15 s apart
        result = conn.execute(select(*SUBMISSION_HISTORY).where(s.c.id.in_(fetch)))
        names = tuple(result.keys())
        held = {row[2]: SubmissionFacts(dict(zip(names, row))) for row in result}
        facts = plain_rows(conn, select(f.c.submission_id, f.c.form, f.c.indicator, f.c.year, f.c.measure, f.c.value,
                                        f.c.source)
                           .where(f.c.submission_id.in_(fetch), f.c.indicator.is_not(None),
                                  f.c.value.is_not(None), *wanted))
        for row in facts:
            kept = held[row[0]]
            if not kept:  # its first fact: the unit's history holds it from now (a submission without any is left out)
                history.setdefault(kept.submission["unit_code"], {})[row[0]] = kept
            kept.append(_fact(EarlierFact, row[1:]))  # the driver's tuple as it is, named
    return history, covers


def plain_rows(conn: Connection, query) -> list[tuple]:
    """A query's rows as the driver's tuples, fetched at once: for columns that need no result processing (text,
    integers, floats), without SQLAlchemy making a Row of each. The history of a chunk is tens of thousands of
    rows: N = 5 000, unit_history 1.65 / 2.01 s -> 1.28 / 1.52 s (1.08 / 1.24 -> 1.03 / 1.04 s of CPU)."""
    result = conn.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def years_by_unit(metas: list, rows_of: list[list[tuple]]) -> dict[str, set[int]]:
    """unit -> the years its reports in a chunk cover and the year before each: all that restatements (same cell,
    same year) and year-over-year jumps (the year before) look up in the unit's history."""
    out: dict[str, set[int]] = {}
    for meta, rows in zip(metas, rows_of):
        if meta is not None and meta.unit_code:
            out.setdefault(meta.unit_code, set()).update(
                y + back for y in {row[YEAR] for row in rows} - {None} for back in (0, -1))
    return out


def histories(conn: Connection, years_of: dict[str, set[int]], also: list[str] = (),
              compared: set[tuple] | None = None) -> tuple[dict[str, dict[str, SubmissionFacts]], dict[str, set[int]]]:
    """unit_history for each unit with its own years (years_by_unit), one query per set of years the chunk's units
    share (a handful: a report covers a phase or the years of its phase to date). Asking every unit for the years of
    the whole chunk fetched, for a chunk mixing 2016-2020 reports with 2021 ones, the 2016-2019 figures of units
    that only sent a 2021 report: the last 200 reports of the bench corpus, 47 706 rows in 0.49 s against 27 634
    in 0.16 s."""
    history: dict[str, dict[str, SubmissionFacts]] = {}
    covers: dict[str, set[int]] = {}
    groups: dict[frozenset, list[str]] = {}
    for unit, years in years_of.items():
        groups.setdefault(frozenset(years), []).append(unit)
    for years, units in sorted(groups.items(), key=lambda g: sorted(g[0])):
        found, covered = unit_history(conn, sorted(units), set(years), also=also, compared=compared)
        history.update(found)
        covers.update(covered)
    return history, covers


def compared_spans(metas: list, rows_of: list[list[tuple]]) -> set[tuple] | None:
    """The (period, years) of each report of a chunk, what an earlier phase total must match to be compared with;
    None when a report has no yearly figure (it compares with phase totals of reports without one either)."""
    spans = set()
    for meta, rows in zip(metas, rows_of):
        if meta is None:
            continue
        mine = frozenset(row[YEAR] for row in rows if row[YEAR] is not None)
        if not mine:
            return None
        spans.add((meta.period, mine))
    return spans


def history_rows(submission: dict, rows: list[tuple]) -> SubmissionFacts:
    """A submission's fact rows as unit_history gives them, to compare the chunk's later reports with."""
    return SubmissionFacts(submission, [
        EarlierFact(f[FORM], f[INDICATOR], f[YEAR], f[MEASURE], f[VALUE], f[SOURCE])
        for f in rows if f[INDICATOR] is not None and f[VALUE] is not None])


def submission_row(a: Arrival, key: str | None, version: int, supersedes: str | None, years: str = "") -> dict:
    """The submissions row of one arrival; `years` as years_text gives them."""
    r = a.result
    meta = r.document.meta if r.document else None
    return dict(
        id=r.sha256, source=r.source, archive_path=a.archive_path, format=r.format, encoding=r.encoding,
        status=r.status, reason=r.reason, unit_code=meta.unit_code if meta else None,
        unit_name=meta.unit_name if meta else None, province_code=meta.province_code if meta else None,
        program=meta.program if meta else None, period=meta.period if meta else None,
        report_number=meta.number if meta else None, report_date=meta.date if meta else None, natural_key=key,
        version=version, supersedes=supersedes, is_current=r.status != "quarantined", received_at=a.received_at,
        loaded_at=now(), run_id=a.run_id, errors=_count(r, "error"), warnings=_count(r, "warning"), years=years,
    )


def write_chunk(conn: Connection, arrivals: list[Arrival], periods: set | None = None) -> None:
    """Insert the arrivals with their facts and findings in `conn`'s transaction, each superseding the current
    version of its report and compared with what its unit reported before (earlier arrivals of the chunk too)."""
    metas = [a.result.document.meta if a.result.document else None for a in arrivals]
    for period in sorted({m.period for m in metas if m is not None and m.period} - (periods or set())):
        ensure_period(conn, period)
    keys = [natural_key(a.result) for a in arrivals]
    current = current_versions(conn, sorted({k for k in keys if k}))
    rows_of = [fact_rows(a.result) for a in arrivals]
    history, covers = histories(conn, years_by_unit(metas, rows_of), also=[sid for sid, _ in current.values()],
                                compared=compared_spans(metas, rows_of))
    live = {sid for unit in history.values() for sid in unit}  # current submissions among the history
    stored_current = {sid for sid, _ in current.values()}
    rows_out: dict[str, dict] = {}
    retired: list[str] = []
    facts_out: list[dict] = []
    # unit x program x period approved: what arrives for it waits as pending
    locks = locked_places(conn, [(m.unit_code, m.program, m.period) for m in metas if m is not None])
    newest: dict[str, int] = {}  # versions given in this chunk, pending ones included
    for a, meta, key in zip(arrivals, metas, keys):
        r = a.result
        version, supersedes = 1, None
        place = (meta.unit_code, meta.program, meta.period) if meta is not None else None
        locked = place in locks
        if locked and key is not None:  # compared with the approved version, which stays current
            supersedes = current[key][0] if key in current else None
            version = max(next_version(conn, key), newest.get(key, 0) + 1,
                          (current[key][1] + 1) if key in current else 1)
        elif key is not None and key in current:
            supersedes, previous = current.pop(key)
            version = previous + 1
            live.discard(supersedes)
            if supersedes in rows_out:
                rows_out[supersedes]["is_current"] = False
            elif supersedes in stored_current:
                retired.append(supersedes)
        rows = fact_rows(r)
        if meta is not None:
            earlier = []
            if meta.unit_code:
                earlier = [facts for sid, facts in history.get(meta.unit_code, {}).items()
                           if sid != r.sha256 and (not meta.program or facts.submission["program"] == meta.program)
                           and ((sid in live and facts.submission["received_at"] < a.received_at)
                                or sid == supersedes)]
            apply_earlier(r, rows, pick_earlier(earlier, r, supersedes=supersedes, rows=rows, covers=covers)
                          if earlier else {})
        covered = covered_years(rows)
        row = submission_row(a, key, version, supersedes, years_text(covered))
        row["pending"] = locked and r.status != "quarantined"
        row["is_current"] = row["is_current"] and not locked
        if key is not None:
            newest[key] = max(newest.get(key, 0), version)
        rows_out[r.sha256] = row
        facts_out += rows
        if row["is_current"]:
            if key is not None:
                current[key] = (r.sha256, version)
            if meta is not None and meta.unit_code:
                live.add(r.sha256)
                submission = dict(unit_code=meta.unit_code, program=meta.program, id=r.sha256, is_current=True,
                                  report_number=meta.number, version=version, period=meta.period,
                                  report_date=meta.date, received_at=a.received_at)
                known = history_rows(submission, rows)
                covers[r.sha256] = covered
                if known:
                    history.setdefault(meta.unit_code, {})[r.sha256] = known
    if retired:
        conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id.in_(retired)).values(is_current=False))
    conn.execute(SUBMISSIONS.insert(), list(rows_out.values()))
    insert_rows(conn, FACTS, facts_out, copy=True)
    insert_rows(conn, FINDINGS, [f for a in arrivals for f in finding_rows(a.result)], copy=True)


def begin_writing(conn: Connection) -> None:
    """On SQLite take the write lock first: a chunk that read under a stale snapshot could not write."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def load_chunk(engine: Engine, arrivals: list[Arrival], periods: set | None = None) -> list[str | None]:
    """Write a chunk in one transaction; when another run got in the way (the same bytes, another version of a
    report, a deadlock), roll it back and load its files one transaction each. Per file: None once written,
    "concurrent" when another run loaded the same bytes, else why the warehouse refused it."""
    if not arrivals:
        return []
    try:
        with engine.begin() as conn:
            begin_writing(conn)
            write_chunk(conn, arrivals, periods)
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) not in RETRYABLE_STATES:
            raise
        return [load_once(engine, a.result, archive_path=a.archive_path, run_id=a.run_id, periods=periods)
                for a in arrivals]
    if periods is not None:
        periods |= {a.result.document.meta.period for a in arrivals if a.result.document is not None}
    return [None] * len(arrivals)


def write_submission(conn: Connection, result: SubmissionResult, *, archive_path: str | None,
                     run_id: str | None, received_at: datetime, periods: set | None = None) -> None:
    """Insert one submission with its facts and findings; supersede the current version of its report."""
    write_chunk(conn, [Arrival(result, archive_path, received_at, run_id)], periods)


def load_once(engine: Engine, result: SubmissionResult, *, archive_path: str | None,
              run_id: str | None, periods: set | None = None) -> str | None:
    """Write one submission in its own transaction: None once written, "concurrent" when another run loaded
    the same bytes first, else why the warehouse refused it.

    A concurrent run that loaded another version of the same report trips the unique index on current
    natural keys; the second try then supersedes that version.
    """
    attempts = 10  # each retry re-reads the current version; more than a few runs racing on one report is rare
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                write_submission(conn, result, archive_path=archive_path, run_id=run_id, received_at=now(),
                                 periods=periods)
            if periods is not None and result.document is not None:
                periods.add(result.document.meta.period)  # committed: later files of the batch skip the INSERT
            return None
        except IntegrityError as exc:
            if known_ids(engine, [result.sha256]):
                return "concurrent"
            if attempt == attempts:
                return str(exc.orig).splitlines()[0]
    return None
