"""Warehouse expectations: the GX checkpoint holds on the example inbox and fails on a planted negative fact."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tasks.review.expectations import COMPLETENESS, INTEGRITY, check_warehouse
from tasks.review.queue import list_failures, sync_failures
from warehouse.db import engine_for
from warehouse.models import ExpectationFinding, Fact

from tests.steward_setup import INBOX, load_inbox, plant_fact


def plant_negative_fact(url: str) -> None:
    """A fact the pipeline would never write: a copy of a real one with value -5, straight into the warehouse."""
    plant_fact(url, value=-5.0, raw="-5", source="L999:C9")


def run_checkpoint_twice(url: str, tmp_path) -> None:
    load_inbox(url, INBOX, tmp_path / "archive")
    first = check_warehouse(url)
    assert first["suites"][INTEGRITY] is True, first
    assert first["results"]["facts_non_negative"] is True
    # the seed leaves Biểu 02's actual totals blank: a warning-level check, not an integrity failure
    assert first["suites"][COMPLETENESS] is False and first["failed"] == ["plan_actual_complete"]
    with engine_for(url).connect() as conn:
        unpaired = conn.execute(select(ExpectationFinding.message_en).where(
            ExpectationFinding.expectation == "plan_actual_complete")).scalar_one()
    assert ".txt: BIEU_02 / " in unpaired, unpaired  # its sample names the file and the cell

    plant_negative_fact(url)
    second = check_warehouse(url)
    assert second["success"] is False and second["suites"][INTEGRITY] is False
    assert "facts_non_negative" in second["failed"] and "counts_integral" not in second["failed"]
    engine = engine_for(url)
    with engine.connect() as conn:
        stored = conn.execute(select(ExpectationFinding.expectation, ExpectationFinding.severity,
                                     ExpectationFinding.actual)).all()
    assert ("facts_non_negative", "error", "1 unexpected") in [tuple(r) for r in stored]
    sync_failures(engine)
    queued = [f for f in list_failures(engine, severity="error") if f["rule"] == "expectation"]
    assert len(queued) == 1 and queued[0]["status"] == "open"
    assert "mọi số liệu không âm" in queued[0]["message_vi"] and "-5" in queued[0]["message_en"]


def test_checkpoint_fails_on_a_planted_negative_fact(sqlite_url, tmp_path):
    run_checkpoint_twice(sqlite_url, tmp_path)


@pytest.mark.integration
def test_checkpoint_on_postgresql(pg_url, tmp_path):
    run_checkpoint_twice(pg_url, tmp_path)


def count_fractions(url: str, units: list[str]) -> int | None:
    """counts_integral's unexpected count after planting a fact of 2.5 in each of `units`; None if it holds."""
    for k, unit in enumerate(units):
        plant_fact(url, value=2.5, raw="2,5", unit=unit, source=f"L99{k}:C9")
    return check_warehouse(url)["unexpected"].get("counts_integral")


def counts_in_any_case(url: str, tmp_path) -> None:
    load_inbox(url, INBOX, tmp_path / "archive")
    assert check_warehouse(url)["results"]["counts_integral"] is True
    assert count_fractions(url, ["Người", "NGƯỜI", "lớp", "hộ", "Triệu đồng", "%", "Người/Hộ"]) == 4


def test_counts_are_whole_numbers_whatever_the_case_of_their_unit(sqlite_url, tmp_path):
    """A count unit matches in any case, the Vietnamese letters too (SQLite's LOWER folds ASCII only: 'NGƯỜI' was
    not a count); a unit that does not count things may hold fractions."""
    counts_in_any_case(sqlite_url, tmp_path)


@pytest.mark.integration
def test_counts_in_any_case_on_postgresql(pg_url, tmp_path):
    counts_in_any_case(pg_url, tmp_path)


def test_the_queue_syncs_findings_and_checkpoint_failures_apart(sqlite_url, tmp_path):
    """A run syncs its findings while the checkpoint runs and the checkpoint's failures after it: each scope opens and
    resolves its own failures only, and the two together leave nothing for a whole sync to do."""
    from sqlalchemy import delete

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")  # its findings queued; no checkpoint has run yet
    engine = engine_for(sqlite_url)

    def queued(rule_is_expectation: bool) -> dict[str, str]:
        return {f["id"]: f["status"] for f in list_failures(engine) if (f["rule"] == "expectation") == rule_is_expectation}

    findings = queued(False)
    assert findings and queued(True) == {}
    plant_negative_fact(sqlite_url)
    check_warehouse(sqlite_url)
    assert sync_failures(engine, scope="findings") == {"opened": 0, "reopened": 0, "resolved": 0,
                                                       "kept": len(findings)}
    assert queued(True) == {}  # the checkpoint's failures wait for their own sync
    assert sync_failures(engine, scope="expectations")["opened"] == 2  # the negative fact, the seed's unpaired plan
    assert set(queued(True).values()) == {"open"} and queued(False) == findings

    with engine.begin() as conn:  # the negative fact goes: the next checkpoint holds
        conn.execute(delete(Fact.__table__).where(Fact.source == "L999:C9"))
    check_warehouse(sqlite_url)
    assert sync_failures(engine, scope="findings") == {"opened": 0, "reopened": 0, "resolved": 0,
                                                       "kept": len(findings)}
    assert list(queued(True).values()).count("open") == 2  # not the findings' sync's to resolve
    assert sync_failures(engine, scope="expectations")["resolved"] == 1
    assert sorted(queued(True).values()) == ["open", "resolved"]
    whole = sync_failures(engine)
    assert (whole["opened"], whole["reopened"], whole["resolved"]) == (0, 0, 0)
    with pytest.raises(ValueError, match="scope"):
        sync_failures(engine, scope="expectation")


def test_the_checkpoint_in_its_own_process_stores_what_it_finds(sqlite_url, tmp_path):
    """run_checkpoint: the started process imports great-expectations, is handed the warehouse, and stores the
    planted fact's failure exactly as the checkpoint in this process does; its Data Docs are written."""
    from tasks.review import checkpoint
    from tasks.review.checkpoint import run_checkpoint, start_checkpoint, stop_checkpoint

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    plant_negative_fact(sqlite_url)
    stop_checkpoint()  # whatever earlier tests of this process left
    start_checkpoint()
    run_checkpoint(sqlite_url, tmp_path / "datadocs")
    # it answered; the run did not wait for it to end (unloading great-expectations); once ended, the next start
    # forgets it, and stop_checkpoint reaps what is still ending
    [answered] = checkpoint._ending
    assert answered.wait(60) == 0
    start_checkpoint()
    assert checkpoint._ending == []
    stop_checkpoint()
    engine = engine_for(sqlite_url)
    columns = (ExpectationFinding.expectation, ExpectationFinding.severity, ExpectationFinding.actual)
    with engine.connect() as conn:
        there = sorted(tuple(r) for r in conn.execute(select(*columns)))
    check_warehouse(sqlite_url)
    with engine.connect() as conn:
        here = sorted(tuple(r) for r in conn.execute(select(*columns)))
    assert ("facts_non_negative", "error", "1 unexpected") in there
    assert there == here
    assert any((tmp_path / "datadocs").rglob("index.html"))


def test_a_failed_checkpoint_raises_with_its_traceback_and_an_unused_one_ends(tmp_path):
    from tasks.review import checkpoint

    with pytest.raises(checkpoint.CheckpointFailed, match="Traceback"):
        checkpoint.run_checkpoint("postgresql+psycopg://nobody:none@127.0.0.1:1/none", tmp_path / "docs")
    checkpoint.start_checkpoint()
    started = checkpoint._waiting
    assert started is not None and started.poll() is None
    checkpoint.stop_checkpoint()
    assert started.returncode == 0 and checkpoint._waiting is None


def test_data_docs_templates_are_compiled_once_not_at_every_checkpoint(sqlite_url, tmp_path, monkeypatch):
    """great-expectations compiles its Data Docs templates anew for every view (51 compiles, 0.45 s a checkpoint):
    with Jinja's bytecode cache the second checkpoint compiles none and its pages are the same but for run times."""
    import re

    from jinja2 import Environment

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    compiles = []
    compile_template = Environment.compile

    def counted(self, *args, **kwargs):
        compiles.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return compile_template(self, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counted)
    check_warehouse(sqlite_url, tmp_path / "docs1")
    first = len(compiles)
    check_warehouse(sqlite_url, tmp_path / "docs2")
    assert len(compiles) == first, compiles[first:]  # nothing compiled again

    def page(docs):
        [path] = (docs / "validations" / "warehouse_integrity" / "facts").rglob("*.html")
        return re.sub(r"\d{4}-?\d{2}-?\d{2}T\d{2}:?\d{2}:?\d{2}(\.\d+)?Z|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", "",
                      path.read_text())

    assert page(tmp_path / "docs1") == page(tmp_path / "docs2")
