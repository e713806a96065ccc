"""`rebuild` recreates submissions, facts and findings from the archive; on an unchanged catalog the warehouse comes
back row by row, and the steward's decisions stay."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tasks.batch import ingest_files, rebuild_warehouse
from tasks.intake.discover import discover_inbox
from tasks.review.queue import change_status, sync_failures
from warehouse.db import engine_for, upgrade

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "examples" / "inbox"
# what a rebuild rewrites on purpose: when it loaded, serial ids, and when the queue last saw a failure
REWRITTEN = {"submissions": {"loaded_at"}, "facts": {"id"}, "findings": {"id"},
             "failures": {"last_seen"}, "failure_events": {"id"}}  # a sync marks what it saw again


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of the rebuilt and steward tables, minus what a rebuild rewrites on purpose, sorted."""
    out = {}
    with engine_for(url).connect() as conn:
        for table, skipped in REWRITTEN.items():
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
            out[table] = sorted(tuple((k, str(v)) for k, v in sorted(r.items()) if k not in skipped) for r in rows)
    return out


def loaded_warehouse(url: str, inbox: Path, archive: Path) -> None:
    """The inbox loaded, the queue synced, and a steward's waiver and acknowledgement on two failures."""
    upgrade(url)
    engine = engine_for(url)
    files, _ = discover_inbox(inbox)
    for start in range(0, len(files), 200):
        ingest_files(files[start:start + 200], engine, archive, run_id=None)
    sync_failures(engine)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM failures ORDER BY id")).scalars())
    change_status(engine, ids[0], "waive", "thu", reason="đã xác minh với huyện")
    change_status(engine, ids[1], "ack", "thu")


def test_rebuild_of_the_demo_warehouse_gives_it_back_row_by_row_with_the_stewards_decisions(tmp_path, warehouse_url):
    loaded_warehouse(warehouse_url, INBOX, tmp_path / "archive")
    engine = engine_for(warehouse_url)
    with engine.begin() as conn:  # a finding lost (as if yesterday's rules had not found it): the rebuild finds it
        lost = conn.execute(text("SELECT MIN(id) FROM findings")).scalar()
        conn.execute(text("DELETE FROM findings WHERE id = :id"), {"id": lost})
    before_loss = snapshot(warehouse_url)
    with engine.connect() as conn:
        loaded_before = dict(conn.execute(text("SELECT id, loaded_at FROM submissions")).all())
    done = rebuild_warehouse(engine)
    assert sum(done.values()) == len(loaded_before)
    queue = sync_failures(engine)
    after = snapshot(warehouse_url)
    assert len(after["findings"]) == len(before_loss["findings"]) + 1
    for table in ("submissions", "facts", "failures", "failure_events"):
        assert after[table] == before_loss[table], table
    with engine.connect() as conn:
        statuses = sorted(conn.execute(text("SELECT status FROM failures WHERE steward = 'thu'")).scalars())
        loaded_after = dict(conn.execute(text("SELECT id, loaded_at FROM submissions")).all())
    assert statuses == ["acknowledged", "waived"]
    assert queue["opened"] == queue["reopened"] == queue["resolved"] == 0
    assert all(loaded_after[sid] != at for sid, at in loaded_before.items())  # every row was written again


def test_rebuild_of_one_period_leaves_the_others(tmp_path, sqlite_url):
    loaded_warehouse(sqlite_url, INBOX, tmp_path / "archive")
    engine = engine_for(sqlite_url)
    with engine.connect() as conn:
        periods = dict(conn.execute(text("SELECT period, COUNT(*) FROM submissions GROUP BY period")).all())
        loaded_before = dict(conn.execute(text("SELECT id, loaded_at FROM submissions WHERE period != '2016-2020'"
                                               " OR period IS NULL")).all())
    assert rebuild_warehouse(engine, "2016-2020") == {"2016-2020": periods["2016-2020"]}
    with engine.connect() as conn:
        untouched = dict(conn.execute(text("SELECT id, loaded_at FROM submissions WHERE period != '2016-2020'"
                                           " OR period IS NULL")).all())
    assert untouched == loaded_before


@pytest.mark.slow
def test_rebuild_of_a_thousand_report_warehouse_gives_it_back_row_by_row(tmp_path, warehouse_url):
    from tasks.synth.corpus import synth_corpus

    synth_corpus(1000, tmp_path / "corpus", seed=17, error_rate=0.1)
    loaded_warehouse(warehouse_url, tmp_path / "corpus" / "inbox", tmp_path / "archive")
    before = snapshot(warehouse_url)
    assert len(before["submissions"]) == 1000
    engine = engine_for(warehouse_url)
    rebuild_warehouse(engine)
    sync_failures(engine)
    after = snapshot(warehouse_url)
    for table in REWRITTEN:
        assert after[table] == before[table], table
