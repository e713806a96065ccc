"""submissions.years (migration 0008): the years a submission's figures cover, stored at load, what the history fetch
goes by instead of aggregating every fact of a unit's history."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import event, text

import tasks.synth.corpus as synth
from tasks.batch import ingest_files
from tasks.intake.discover import discover_inbox
from tasks.load.chunk import unit_history
from tests.conftest import ROOT
from warehouse.db import engine_for, upgrade


@pytest.fixture()
def history_warehouse(tmp_path, sqlite_url, monkeypatch):
    """Two districts through all six periods of the synthetic corpus (2016-2020, then 2021, 2021-2022, ...)."""
    monkeypatch.setattr(synth, "reporting_units", lambda: synth.legacy_districts()[:2])
    synth.synth_corpus(12, tmp_path / "corpus", seed=3)
    upgrade(sqlite_url)
    files, refused = discover_inbox(tmp_path / "corpus" / "inbox")
    assert not refused and len(files) == 12
    ingest_files(files, engine_for(sqlite_url), tmp_path / "archive", run_id=None)
    return sqlite_url


def stored_and_counted(url) -> tuple[dict, dict]:
    with engine_for(url).connect() as conn:
        stored = dict(conn.execute(text("SELECT id, years FROM submissions")).all())
        counted: dict[str, set] = {sid: set() for sid in stored}
        for sid, year in conn.execute(text(
                "SELECT DISTINCT submission_id, year FROM facts "
                "WHERE year IS NOT NULL AND indicator IS NOT NULL AND value IS NOT NULL")):
            counted[sid].add(year)
    return stored, {sid: " ".join(map(str, sorted(ys))) for sid, ys in counted.items()}


def test_the_loader_stores_the_years_each_submission_covers(history_warehouse):
    stored, counted = stored_and_counted(history_warehouse)
    assert stored == counted
    assert {"2016 2017 2018 2019 2020", "2021", "2021 2022 2023 2024 2025"} <= set(stored.values())


def test_the_migration_fills_the_years_of_submissions_loaded_before_it(history_warehouse):
    """Down to 0007 (the column goes) and up again: every row filled from its facts, as the loader writes it."""
    stored, _ = stored_and_counted(history_warehouse)
    env = {"BAOCAO_WAREHOUSE_URL": history_warehouse, "PATH": "/usr/bin:/bin"}
    alembic = [sys.executable, "-m", "alembic", "-c", "warehouse/alembic.ini"]
    subprocess.run([*alembic, "downgrade", "0007"], cwd=ROOT, env=env, check=True, capture_output=True)
    with engine_for(history_warehouse).connect() as conn:
        assert "years" not in {row[1] for row in conn.execute(text("PRAGMA table_info(submissions)"))}
    subprocess.run([*alembic, "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert stored_and_counted(history_warehouse)[0] == stored


def test_the_history_fetch_reads_only_submissions_covering_the_years_it_looks_at(history_warehouse):
    engine = engine_for(history_warehouse)
    asked: list = []  # the parameters of every statement that reads facts
    with engine.connect() as conn:
        units = sorted(conn.execute(text("SELECT DISTINCT unit_code FROM submissions")).scalars())
        old = set(conn.execute(text("SELECT id FROM submissions WHERE period = '2016-2020'")).scalars())

        def watch(conn, cursor, statement, parameters, context, executemany):
            if "FROM facts" in statement or "JOIN facts" in statement or "facts JOIN" in statement:
                asked.extend(parameters)
        event.listen(engine, "before_cursor_execute", watch)
        try:
            history, covers = unit_history(conn, units, {2024, 2025}, compared={("2021-2025", frozenset({2025}))})
        finally:
            event.remove(engine, "before_cursor_execute", watch)
    fetched = {sid for unit in history.values() for sid in unit}
    assert len(units) == 2 and len(old) == 2 and asked
    assert old <= covers.keys() and not old & set(asked)  # known to cover 2016-2020 only: its facts not read
    assert all(covers[sid] & {2024, 2025} for sid in fetched)
    assert {row.year for unit in history.values() for rows in unit.values() for row in rows} <= {2024, 2025}

    # rows written without years (by hand, an older tool) are counted from their facts: the same history
    with engine.begin() as conn:
        conn.execute(text("UPDATE submissions SET years = NULL"))
    with engine.connect() as conn:
        again = unit_history(conn, units, {2024, 2025}, compared={("2021-2025", frozenset({2025}))})
    assert again == (history, covers)


def test_names_never_received_are_the_inbox_names_no_submission_came_under(history_warehouse):
    """What lets a night start great-expectations' import before reading any file: in order, across chunks of 500."""
    from warehouse.queries import names_never_received

    with engine_for(history_warehouse).connect() as conn:
        received = [name for name, in conn.execute(text("SELECT source FROM submissions ORDER BY source"))]
    assert len(received) == 12
    names = [f"new_{i:03}.txt" for i in range(600)] + received + ["zz_late.docx"]
    assert names_never_received(engine_for(history_warehouse), names) == names[:600] + ["zz_late.docx"]
    assert names_never_received(engine_for(history_warehouse), received) == []


def test_each_unit_gets_the_history_of_its_own_years(history_warehouse):
    """A chunk where one district sent a 2016-2020 report and the other a 2021 one: the second is not given the
    first's 2016-2019 years (what restatements and jumps never look at), and neither loses a row it needs."""
    from tasks.load.chunk import histories

    with engine_for(history_warehouse).connect() as conn:
        first, second = sorted(conn.execute(text("SELECT DISTINCT unit_code FROM submissions")).scalars())
        wanted = {first: set(range(2015, 2021)), second: {2020, 2021}}
        history, covers = histories(conn, wanted)
        alone = {unit: unit_history(conn, [unit], years)[0][unit] for unit, years in wanted.items()}
        together = unit_history(conn, [first, second], wanted[first] | wanted[second])[0]

    def years(rows_by_submission):
        return {row.year for rows in rows_by_submission.values() for row in rows} - {None}

    assert history == alone  # each unit as if asked alone
    assert years(history[second]) == {2020, 2021} and years(together[second]) > {2016, 2020, 2021}
    for unit, rows_by_submission in together.items():  # what the whole chunk's years fetch, within the unit's years
        kept = {sid: [r for r in rows if r.year is None or r.year in wanted[unit]]
                for sid, rows in rows_by_submission.items()}
        assert {sid: rows for sid, rows in kept.items() if rows} == history[unit]
