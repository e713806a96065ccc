"""Warehouse expectations: a great-expectations checkpoint over the loaded tables, stored as findings of its own.

great_expectations takes seconds to import: it is imported inside `check_warehouse` only, never at module import.
"""
from __future__ import annotations

import os
import shutil
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from config.catalog import load_forms
from config.files import read_yaml
from sqlalchemy import Engine, delete, func, insert, select

from config.messages import finding, templates
from warehouse.db import now
from warehouse.db import engine_for
from warehouse.models import ExpectationFinding, Submission

INTEGRITY, COMPLETENESS = "warehouse_integrity", "warehouse_completeness"


@dataclass(frozen=True)
class Check:
    """One warehouse expectation: what it looks at, the GX expectation, and the words a steward reads."""

    name: str
    asset: str
    suite: str  # INTEGRITY (severity error) or COMPLETENESS (warning)
    expectation: str  # class name in gx.expectations
    kwargs: tuple
    requirement: str
    vi: str
    en: str
    fix_vi: str
    fix_en: str


@lru_cache(maxsize=1)
def count_units() -> tuple[str, ...]:
    """Every spelling of config/expectations.yaml's count units, letter by letter in either case ('Người', 'NGƯỜI',
    'người', ...; 172 for the 13 units): matched as they are, case-insensitively on both databases.

    Until 2026-12-03 the asset matched LOWER(f.unit) against each unit and its lower case. SQLite's LOWER folds
    ASCII letters only ('NGƯỜI' stayed 'ngƯỜi' and was not a count), and it cost: the checkpoint evaluates the
    asset's `fraction` several times a row, and at N = 5 000 a first night's checkpoint took 3.21-4.02 s
    (median 3.76) against 2.27-3.25 (2.67) matching the spellings, alternating runs on one warehouse."""
    units = read_yaml("expectations.yaml")["count_units"]
    return tuple(sorted({spelling for unit in units for spelling in _spellings(unit)}))


def _spellings(word: str) -> set[str]:
    """`word` with each letter in lower or upper case."""
    spellings = {""}
    for char in word:
        spellings = {head + c for head in spellings for c in {char, char.lower(), char.upper()}}
    return spellings


def catalogued_forms() -> tuple[str, ...]:
    """The forms the catalog defines (not the drafts): only their numbers are known to be counts and amounts; a table
    of any layout may hold growth rates, which are negative, or shares."""
    return tuple(sorted(code for code, form in load_forms().items() if not form.drafted))


def asset_queries(since: datetime | None = None) -> dict[str, str | None]:
    """Query assets (None: the table of that name); plain SQL that runs on SQLite and PostgreSQL.

    `since`: only the reports loaded (or reloaded by a rerun or a rebuild) at or after this time, and their facts,
    which are reached from their submissions through the facts' (submission_id, ...) index, not by scanning every
    fact; the orphan rows' asset (`references`, a row per report id a fact or finding names) looks at the whole
    warehouse either way.

    `f.form || '' IN (...)`: nearly every fact is of a catalogued form, so looking them up through ix_facts_lookup
    (what SQLite chose for a plain `f.form IN`) visits the table row by row; the expression makes it scan the table
    once (the count behind an expectation at N = 5 000: 533 -> 91 ms)."""
    units = ", ".join("'" + u.replace("'", "''") + "'" for u in count_units())
    forms = ", ".join("'" + code.replace("'", "''") + "'" for code in catalogued_forms()) or "''"
    # the facts of the reports looked at: all of them, or those of the reports loaded since `since`, found through the
    # facts' submission index (a join let SQLite scan every fact for the night's: 100 of 5 000 reports, 0.2 s a pass)
    facts, loaded = ("facts f WHERE", "") if since is None else (
        f"facts f WHERE f.submission_id IN (SELECT s.id FROM submissions s WHERE {loaded_since(since)}) AND",
        " AND " + loaded_since(since))
    return {
        "facts": None if since is None else f"SELECT * FROM {facts.removesuffix(' AND')}",
        # `fraction`: what a count has after its whole part, NULL when it has none or its unit does not count things
        # (the counts' check ignores NULLs, as a range check does). The whole-number test comes first: it settles
        # nearly every fact, and the unit is looked up for the fractional few only (the checkpoint evaluates the
        # column three times a row; N = 5 000, the facts' lane 1.42-1.86 s -> 1.11-1.42). One asset for both checks,
        # not a second of the counts alone: great-expectations counts an asset's rows once a validation, and that
        # count scanned every fact again (N = 5 000, 0.16-0.28 s of the checkpoint's longer lane)
        "catalogued_facts": (
            "SELECT f.id, f.submission_id, f.form, f.source, f.unit, f.value, "
            f"CASE WHEN f.value <> ROUND(f.value) AND f.unit IN ({units}) "
            "THEN f.value - CAST(f.value AS INTEGER) END AS fraction "
            f"FROM {facts} f.form || '' IN ({forms})"
        ),
        "submission_facts": (
            "SELECT s.id AS submission_id, s.source, "
            "(SELECT COUNT(*) FROM facts f WHERE f.submission_id = s.id) AS fact_count "
            f"FROM submissions s WHERE s.is_current = TRUE AND s.status <> 'quarantined'{loaded}"
        ),
        # one row per current submission: its first cell (file: form / row / year) whose plan or actual is missing,
        # NULL when every plan has its actual. Grouped submission by submission through uq_facts_cell, not as one
        # GROUP BY over every fact: great-expectations runs the asset's query four times (row count, unexpected
        # count, samples, columns), and at N = 5 000 each pass sorted 344 000 facts into 172 000 groups (0.35-0.5 s
        # on SQLite); now only the unexpected count evaluates every submission (0.26 s), the others stop early.
        "plan_actual_pairs": (
            "SELECT s.id AS submission_id, s.source, "
            "(SELECT MIN(u.cell) FROM (SELECT s.source || ': ' || f.form || ' / ' || f.label || ' / ' "
            "|| COALESCE(CAST(f.year AS VARCHAR(4)), 'Tổng số') AS cell "
            f"FROM facts f WHERE f.submission_id = s.id AND f.form || '' IN ({forms}) "
            "GROUP BY f.form, f.group_no, f.label, f.year "
            "HAVING SUM(CASE WHEN f.measure = 'plan' THEN 1 ELSE 0 END) "
            "<> SUM(CASE WHEN f.measure = 'actual' THEN 1 ELSE 0 END)) AS u) AS unpaired "
            f"FROM submissions s WHERE s.is_current = TRUE AND s.status <> 'quarantined'{loaded}"
        ),
        # one row per report id a child table names; `orphan` is the id when the warehouse does not hold that report
        # (what a failure's sample then shows). The ids come from the child tables' submission indexes and each is
        # looked up once: a row per fact looked up all 346 983 at N = 5 000, 0.10-0.15 s a pass, three passes a
        # checkpoint; 0.023 s now
        "references": (
            "SELECT 'facts' AS child, k.submission_id, CASE WHEN s.id IS NULL THEN k.submission_id END AS orphan "
            "FROM (SELECT DISTINCT submission_id FROM facts) k LEFT JOIN submissions s ON s.id = k.submission_id "
            "UNION ALL SELECT 'findings', k.submission_id, CASE WHEN s.id IS NULL THEN k.submission_id END "
            "FROM (SELECT DISTINCT submission_id FROM findings) k LEFT JOIN submissions s ON s.id = k.submission_id"
        ),
    }


WAREHOUSE_WIDE = ("references",)  # assets whose rows belong to no report: their failures are the warehouse's

# The checkpoint's two lanes, each a great-expectations SQL source (one connection) and a checkpoint, run side by side:
# the assets that scan every fact on one, the rest on the other. A first night's checkpoint, alternating runs: at
# N = 5 000 1.34-1.73 s against 1.70-1.96 in one lane, at N = 1 000 0.35-0.37 against 0.40-0.50.
LANES = ("warehouse", "warehouse-facts")
FACT_SCANS = frozenset({"facts", "catalogued_facts"})


def lane_of(asset: str) -> str:
    """The lane (source and checkpoint) an asset is checked in."""
    return LANES[1] if asset in FACT_SCANS else LANES[0]


def loaded_since(since: datetime) -> str:
    """The SQL condition on submissions `s`: loaded at or after `since` (the warehouse's clock, UTC)."""
    return f"s.loaded_at >= '{since:%Y-%m-%d %H:%M:%S.%f}'"


def load_checks() -> tuple[Check, ...]:
    """config/expectations.yaml's checks."""
    return tuple(Check(**{**c, "kwargs": tuple(c["kwargs"].items())}) for c in read_yaml("expectations.yaml")["checks"])


CHECKS = load_checks()


@dataclass
class CheckResult:
    """What one expectation found."""

    check: Check
    success: bool
    unexpected: int | None
    sample: list
    error: str | None = None


def _sample(values: list) -> str:
    return ", ".join(str(v) for v in values[:3]) or "—"


def check_warehouse(warehouse_url: str, docs_dir: Path | None = None, since: datetime | None = None) -> dict:
    """Run the checkpoint over the warehouse, store its failures as findings, build its Data Docs (optional).

    `since`: a run's start. The checkpoint then looks at the reports loaded since (a night's new files, a rerun's or a
    rebuild's period) and keeps what earlier checkpoints found in the others, whose rows have not changed: a night's
    review grows with the night, not with the years the warehouse holds. It looks at everything when the reports
    loaded since are half the warehouse or more (a first night), or when the stored failures predate the per-report
    ones (scope_of).

    The Data Docs are built from the stored results once the checkpoint has run (context.build_data_docs, 0.3 s
    at N = 5 000), not by an UpdateDataDocsAction inside it, which cost ~3 s more for the same pages."""
    engine = engine_for(warehouse_url)
    since = scope_of(engine, since)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if docs_dir is not None:
        keep_templates_compiled()
    context = gx.get_context(mode="ephemeral")
    # progress bars would fill the nightly log
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    with warnings.catch_warnings():  # the generic SQL source is deliberate: one code path for SQLite and PostgreSQL
        warnings.simplefilter("ignore")
        sources = {lane: context.data_sources.add_sql(name=lane, connection_string=warehouse_url) for lane in LANES}
    batches = {}
    for name, query in asset_queries(since).items():
        source = sources[lane_of(name)]
        asset = source.add_table_asset(name=name, table_name=name) if query is None \
            else source.add_query_asset(name=name, query=query)
        batches[name] = asset.add_batch_definition_whole_table(f"{name}-all")
    definitions, by_id = [], {}
    for suite_name in (INTEGRITY, COMPLETENESS):
        for asset_name in dict.fromkeys(c.asset for c in CHECKS if c.suite == suite_name):
            suite = context.suites.add(gx.ExpectationSuite(name=f"{suite_name}.{asset_name}"))
            for c in CHECKS:
                if c.suite == suite_name and c.asset == asset_name:
                    exp = getattr(gxe, c.expectation)(**dict(c.kwargs), meta={"baocao_check": c.name,
                                                                            "description": c.en})
                    suite.add_expectation(exp)
            definitions.append(context.validation_definitions.add(gx.ValidationDefinition(
                name=f"{suite_name}.{asset_name}", data=batches[asset_name], suite=suite)))
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        shutil.rmtree(docs_dir, ignore_errors=True)  # the site shows this checkpoint only
        docs_dir.mkdir(parents=True)  # there from now on: the report links it
        context.add_data_docs_site(site_name="baocao", site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve())},
        })
    # one checkpoint a lane, each on its own connection (a source holds one), run side by side: a query lets go of
    # the GIL while the database works, so one lane's SQL runs while the other's Python reads its answers
    checkpoints = [context.checkpoints.add(gx.Checkpoint(
        name=lane, validation_definitions=[d for d in definitions if lane_of(d.data.data_asset.name) == lane],
        actions=[], result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5})) for lane in LANES]
    with ThreadPoolExecutor(max_workers=len(checkpoints), thread_name_prefix="checkpoint") as pool:
        runs = list(pool.map(lambda checkpoint: checkpoint.run(), checkpoints))
    order = {d.name: k for k, d in enumerate(definitions)}  # results in the suites' order, whichever lane ran them
    validations = sorted((v for run in runs for v in run.run_results.values()), key=lambda v: order[v.suite_name])
    results: list[CheckResult] = []
    checks = {c.name: c for c in CHECKS}
    suites_ok: dict[str, bool] = {INTEGRITY: True, COMPLETENESS: True}
    for validation in validations:
        for r in validation.results:
            check = checks[r.expectation_config.meta["baocao_check"]]
            error = r.exception_info.get("exception_message") if r.exception_info.get("raised_exception") else None
            res = r.result or {}
            results.append(CheckResult(check, bool(r.success), res.get("unexpected_count"),
                                       list(res.get("partial_unexpected_list") or []), error))
            suites_ok[check.suite] &= bool(r.success)
    # each failed check's rows report by report: SQL (which lets go of the GIL) on a thread while the Data Docs, Python,
    # are built here (N = 5 000, a first night: the unpaired plans by report, 0.25 s, hidden behind the pages' 0.3 s)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="by-report") as pool:
        told = pool.submit(lambda: [row for r in results if not r.success for row in failure_rows(engine, r, since)])
        index = None
        try:
            if docs_dir is not None:
                from tasks.review.datadocs import localize_data_docs

                context.build_data_docs(site_names=["baocao"])
                remote = localize_data_docs(docs_dir)
                index = docs_dir / "index.html"
        finally:
            store_expectation_findings(engine, told.result(), since)
    return {"success": all(run.success for run in runs), "suites": suites_ok, "docs": index,
            "results": {r.check.name: r.success for r in results},
            "failed": [r.check.name for r in results if not r.success], "since": since,
            "unexpected": {r.check.name: r.unexpected for r in results if not r.success},
            "remote_assets": remote if docs_dir is not None else []}


def keep_templates_compiled() -> None:
    """great-expectations gives each Data Docs view a Jinja environment of its own, which compiles its templates
    again: 51 compiles, 0.45 of the 0.6 s the pages took, in every checkpoint. Jinja's own bytecode cache (files in
    a per-user temporary folder, keyed by each template's source) keeps them compiled across views, checkpoints and
    runs; the pages are the same but for their run times."""
    from great_expectations.render.view.view import DefaultJinjaView
    from jinja2 import FileSystemBytecodeCache

    if getattr(DefaultJinjaView, "baocao_bytecode_cache", None) is not None:
        return
    cache = FileSystemBytecodeCache()
    build_view = DefaultJinjaView.__init__

    def with_cache(self, *args, **kwargs) -> None:
        build_view(self, *args, **kwargs)
        self.env.bytecode_cache = cache

    DefaultJinjaView.__init__ = with_cache
    DefaultJinjaView.baocao_bytecode_cache = cache


def scope_of(engine: Engine, since: datetime | None) -> datetime | None:
    """What a checkpoint asked to look at the reports loaded since `since` looks at: `since`, or None (every report)
    when the reports loaded since are half the warehouse's or more (a first night: its plain scans cost less than
    reaching that many reports' facts one report at a time, 2.3 against 1.9 s at N = 5 000), or when a stored failure
    of a per-report check names no report (written before failures were told report by report)."""
    if since is None:
        return None
    s, e = Submission.__table__, ExpectationFinding.__table__
    with engine.connect() as conn:
        recent = conn.execute(select(func.count()).where(s.c.loaded_at >= since)).scalar_one()
        held = conn.execute(select(func.count()).select_from(s)).scalar_one()
        legacy = conn.execute(select(e.c.id).where(e.c.submission_id.is_(None),
                                                   e.c.asset.not_in(WAREHOUSE_WIDE)).limit(1)).first()
    return since if 2 * recent < held and legacy is None else None


def unexpected_condition(check: Check) -> str | None:
    """The SQL condition a row of the check's asset breaks it by, as great-expectations counts it (a column's NULLs
    do not count for the range and length checks); None for an expectation not listed here."""
    kwargs = dict(check.kwargs)
    column = kwargs.get("column")
    if column is None:
        return None
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return f"{column} IS NULL"
    if check.expectation == "ExpectColumnValuesToBeNull":
        return f"{column} IS NOT NULL"
    measured = {"ExpectColumnValuesToBeBetween": column,
                "ExpectColumnValueLengthsToBeBetween": f"LENGTH({column})"}.get(check.expectation)
    if measured is None:
        return None
    outside = [f"{measured} < {float(kwargs['min_value'])!r}"] if kwargs.get("min_value") is not None else []
    outside += [f"{measured} > {float(kwargs['max_value'])!r}"] if kwargs.get("max_value") is not None else []
    return f"{column} IS NOT NULL AND ({' OR '.join(outside)})" if outside else None


def by_report(engine: Engine, check: Check, since: datetime | None) -> list[tuple[str, int, object]]:
    """A failed check's rows report by report: (submission, how many rows break it, the least of their values),
    from the asset the checkpoint looked at; [] when the check is not told report by report."""
    condition = unexpected_condition(check)
    if check.asset in WAREHOUSE_WIDE or condition is None:
        return []
    query = asset_queries(since)[check.asset] or check.asset
    column = dict(check.kwargs)["column"]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(
            f"SELECT submission_id, COUNT(*), MIN({column}) FROM ({query}) AS asset WHERE {condition} "
            "GROUP BY submission_id ORDER BY submission_id")]


def failure_rows(engine: Engine, result: CheckResult, since: datetime | None) -> list[dict]:
    """The rows of expectation_findings a failed check writes: one per report whose rows break it, or one for the
    warehouse (orphan rows, an expectation that raised, a check not told report by report)."""
    reports = [] if result.error else by_report(engine, result.check, since)
    if not reports:
        return [expectation_finding(result)]
    return [expectation_finding(result, submission_id=sid, unexpected=count, sample=[least])
            for sid, count, least in reports]


def expectation_finding(result: CheckResult, submission_id: str | None = None, unexpected: int | None = None,
                        sample: list | None = None) -> dict:
    """A failed expectation as a row of expectation_findings, its messages from config/messages.yaml: for one report
    (`submission_id`, with its own count and sample) or for the warehouse (the checkpoint's)."""
    c = result.check
    severity = "error" if c.suite == INTEGRITY else "warning"
    count = result.unexpected if submission_id is None else unexpected
    unexpected = "?" if count is None else str(count)
    sample = result.error or _sample(result.sample if submission_id is None else sample)
    here = {"vi": "", "en": ""} if submission_id is None else templates()["expectation_here"]
    f = finding("expectation", severity=severity, expected=c.requirement,
                actual=f"{unexpected} unexpected" if result.error is None else f"error: {result.error}"[:120],
                check_vi=c.vi, check_en=c.en, asset=c.asset, unexpected=unexpected, sample=sample,
                fix_vi=c.fix_vi, fix_en=c.fix_en, here_vi=here["vi"], here_en=here["en"])
    column = dict(c.kwargs).get("column")
    return {"asset": c.asset, "expectation": c.name, "column_name": column, "severity": f.severity,
            "expected": f.expected, "actual": f.actual, "message_vi": f.message_vi, "message_en": f.message_en,
            "submission_id": submission_id}


def store_expectation_findings(engine: Engine, rows: list[dict], since: datetime | None = None) -> None:
    """Replace what the previous checkpoints found in what this one looked at with what it found, in one
    transaction: every row (`since` None), or the warehouse's own and those of the reports loaded since `since`."""
    table, s = ExpectationFinding.__table__, Submission.__table__
    at = now()
    with engine.begin() as conn:
        if since is None:
            conn.execute(delete(table))
        else:
            looked_at = select(s.c.id).where(s.c.loaded_at >= since)
            conn.execute(delete(table).where(table.c.submission_id.is_(None) | table.c.submission_id.in_(looked_at)))
        if rows:
            conn.execute(insert(table), [row | {"checked_at": at} for row in rows])
