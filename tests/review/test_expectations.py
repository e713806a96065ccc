"""Warehouse expectations: the GX checkpoint holds on the example inbox and fails on a planted negative fact."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from tasks.review.expectations import COMPLETENESS, INTEGRITY, check_warehouse
from tasks.review.queue import list_failures, sync_failures
from warehouse.db import engine_for
from warehouse.models import ExpectationFinding, Fact

from tests.steward_setup import INBOX, load_inbox


def plant_negative_fact(url: str) -> None:
    """A fact the pipeline would never write: a copy of a real one with value -5, straight into the warehouse."""
    engine = engine_for(url)
    with engine.begin() as conn:
        row = dict(conn.execute(select(Fact.__table__).limit(1)).mappings().one())
        row.pop("id")
        conn.execute(insert(Fact.__table__).values(**row | {"value": -5.0, "raw": "-5", "source": "L999:C9"}))


def run_checkpoint_twice(url: str, tmp_path) -> None:
    load_inbox(url, INBOX, tmp_path / "archive")
    first = check_warehouse(url)
    assert first["suites"][INTEGRITY] is True, first
    assert first["results"]["facts_non_negative"] is True
    # the seed leaves Biểu 02's actual totals blank: a warning-level check, not an integrity failure
    assert first["suites"][COMPLETENESS] is False and first["failed"] == ["plan_actual_complete"]

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
