"""Warehouse expectations told report by report, and a night's checkpoint that looks at the night's reports only.

The example inbox's files are loaded over two nights: the second night's checkpoint looks at its own report and keeps
what the first found in the others; a failure reaches the queue under its report's unit and period."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import delete, select, update

from tasks.review.expectations import check_warehouse
from tasks.review.queue import list_failures, sync_failures
from warehouse.db import engine_for, now
from warehouse.models import ExpectationFinding, Fact, Submission

from tests.steward_setup import INBOX, SEED_NAME, load_inbox, plant_fact


def stored(url: str) -> set[tuple]:
    with engine_for(url).connect() as conn:
        return {tuple(r) for r in conn.execute(select(
            ExpectationFinding.expectation, ExpectationFinding.submission_id, ExpectationFinding.actual))}


def submission_of(url: str, name: str) -> str:
    with engine_for(url).connect() as conn:
        return conn.execute(select(Submission.id).where(Submission.source == name)).scalar_one()


def plant(url: str, submission: str, **values) -> None:
    """A fact the pipeline would never write, in the report's own rows (its source cell one no report has)."""
    plant_fact(url, submission, **{"source": f"L9{len(values)}9:C9"} | values)


def two_nights(url: str, tmp_path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for path in sorted(INBOX.iterdir()):
        shutil.copy(path, (second if path.name == "tam_duong_2020.txt" else first) / path.name)
    first_night = now()
    load_inbox(url, first, tmp_path / "archive")
    seed = submission_of(url, SEED_NAME)
    plant(url, seed, value=-5.0, raw="-5")
    whole = check_warehouse(url, since=first_night)  # nothing was loaded before: it looks at everything
    assert whole["since"] is None and "facts_non_negative" in whole["failed"]
    assert ("facts_non_negative", seed, "1 unexpected") in stored(url)
    # the seed leaves Biểu 02's actual totals blank: its own report's failure, as many rows as GX counted
    [(_, unpaired, count)] = [r for r in stored(url) if r[0] == "plan_actual_complete"]
    assert unpaired == seed and count == f"{whole['unexpected']['plan_actual_complete']} unexpected"

    since = now()
    plant(url, seed, value=-7.0, raw="-7", line=None)  # into a report the second night does not reload
    load_inbox(url, second, tmp_path / "archive")
    tam_duong = submission_of(url, "tam_duong_2020.txt")
    night = check_warehouse(url, since=since)
    assert night["since"] == since
    after = stored(url)
    # what the first checkpoint found in the seed is kept, and the fact planted since is not seen: not looked at
    assert ("facts_non_negative", seed, "1 unexpected") in after
    assert ("plan_actual_complete", seed, count) in after
    assert not any(r[1] not in (seed, tam_duong) for r in after)

    again = check_warehouse(url)  # the whole warehouse: the second planted fact is found
    assert again["since"] is None
    assert ("facts_non_negative", seed, "2 unexpected") in stored(url)

    engine = engine_for(url)
    sync_failures(engine)
    [negative] = [f for f in list_failures(engine) if f["label"] == "facts_non_negative"]
    with engine.connect() as conn:
        unit, period = conn.execute(select(Submission.unit_code, Submission.period).where(Submission.id == seed)).one()
    assert (negative["unit_code"], negative["period"], negative["file"]) == (unit, period, SEED_NAME)
    assert negative["message_en"].startswith("Warehouse check failed for this report:")
    assert "báo cáo này" in negative["message_vi"] and "-7" in negative["message_en"]
    assert list_failures(engine, period=period, unit=unit)  # where a steward looking at the report finds it

    with engine.begin() as conn:  # the seed superseded: its warehouse failures leave the queue with its findings
        conn.execute(update(Submission.__table__).where(Submission.id == seed).values(is_current=False))
    sync_failures(engine, scope="expectations")
    statuses = {f["label"]: f["status"] for f in list_failures(engine) if f["rule"] == "expectation"}
    assert statuses == {"facts_non_negative": "resolved", "plan_actual_complete": "resolved"}


def test_a_night_checks_its_own_reports_and_keeps_the_others_findings(sqlite_url, tmp_path):
    two_nights(sqlite_url, tmp_path)


@pytest.mark.integration
def test_a_night_checks_its_own_reports_on_postgresql(pg_url, tmp_path):
    two_nights(pg_url, tmp_path)


def test_every_kind_of_check_is_told_report_by_report_as_gx_counts_it(sqlite_url, tmp_path):
    """A range, a length, a whole-number and a completeness check fail in two reports: each report's count is what
    its rows give, and the reports' counts add up to great-expectations' own."""
    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    seed, sin_ho = submission_of(sqlite_url, SEED_NAME), submission_of(sqlite_url, "sin_ho_2020.txt")
    for sid in (seed, sin_ho):
        plant(sqlite_url, sid, value=-5.0, raw="-5")
        plant(sqlite_url, sid, source="", kind="number")
    plant(sqlite_url, sin_ho, value=2.5, raw="2,5", unit="Người", form="BIEU_01")
    with engine_for(sqlite_url).begin() as conn:  # a report left without facts
        tam_duong = conn.execute(select(Submission.id).where(Submission.source == "tam_duong_2020.txt")).scalar_one()
        conn.execute(delete(Fact.__table__).where(Fact.submission_id == tam_duong))
    result = check_warehouse(sqlite_url)
    rows = stored(sqlite_url)
    for name in ("facts_non_negative", "facts_source_not_empty", "counts_integral", "submissions_have_facts",
                 "plan_actual_complete"):
        assert name in result["failed"], name
        counts = [int(actual.split()[0]) for check, _, actual in rows if check == name]
        assert sum(counts) == result["unexpected"][name], (name, counts, result["unexpected"])
        assert all(sid is not None for check, sid, _ in rows if check == name)
    assert {sid for check, sid, _ in rows if check == "facts_non_negative"} == {seed, sin_ho}
    assert {sid for check, sid, _ in rows if check == "submissions_have_facts"} == {tam_duong}


def test_failures_stored_before_they_were_told_by_report_make_the_next_checkpoint_look_at_everything(sqlite_url,
                                                                                                     tmp_path):
    """A warehouse upgraded with a failure stored for the warehouse as a whole (no report): the next night's checkpoint
    cannot keep the other reports' part of it, so it looks at every report once and replaces it."""
    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    check_warehouse(sqlite_url)
    with engine_for(sqlite_url).begin() as conn:
        conn.execute(update(ExpectationFinding.__table__).values(submission_id=None))
    assert check_warehouse(sqlite_url, since=now())["since"] is None
    assert all(sid is not None for _, sid, _ in stored(sqlite_url))
    assert check_warehouse(sqlite_url, since=now())["since"] is not None  # from now on, by report


def test_a_rerun_of_one_unit_is_checked_and_the_other_reports_are_kept(sqlite_url, tmp_path):
    """A rerun reloads its reports (loaded_at moves): the checkpoint that follows it looks at them and keeps what it
    found in the others, even a fact planted since into one of those, which it does not look at."""
    from tasks.batch import rerun_period_rows

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    check_warehouse(sqlite_url)
    seed, sin_ho = submission_of(sqlite_url, SEED_NAME), submission_of(sqlite_url, "sin_ho_2020.txt")
    engine = engine_for(sqlite_url)
    with engine.connect() as conn:
        unit, period = conn.execute(select(Submission.unit_code, Submission.period).where(Submission.id == seed)).one()
        checked = dict(conn.execute(select(ExpectationFinding.submission_id, ExpectationFinding.checked_at)).all())
    assert set(checked) == {seed}  # the seed's unpaired plan
    plant(sqlite_url, sin_ho, value=-5.0, raw="-5")  # into a report the rerun does not reload

    since = now()
    outcomes = rerun_period_rows(engine, period, unit)
    assert [o.sha256 for o in outcomes] == [seed]
    night = check_warehouse(sqlite_url, since=since)
    assert night["since"] == since and "facts_non_negative" not in night["failed"]
    with engine.connect() as conn:
        again = dict(conn.execute(select(ExpectationFinding.submission_id, ExpectationFinding.checked_at)).all())
    assert set(again) == {seed} and again[seed] > checked[seed]  # the seed checked again; sin_ho not looked at
    check_warehouse(sqlite_url)  # the whole warehouse: now the planted fact is found
    assert ("facts_non_negative", sin_ho, "1 unexpected") in stored(sqlite_url)


def test_orphan_rows_fail_the_warehouse_check_with_their_report_id_whatever_the_night_loaded(sqlite_url, tmp_path):
    """A fact and a finding whose report the warehouse does not hold (written with SQLite's foreign keys off, as a
    hand-made load could): the orphan check fails for the warehouse, not for a report, names the missing report id,
    and a night's checkpoint that loaded nothing finds it too (the check always looks at every report id)."""
    import sqlite3

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    assert "facts_reference_submissions" not in check_warehouse(sqlite_url)["failed"]
    ghost = "f" * 64
    raw = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))  # foreign keys are off unless a connection asks
    with raw:
        for table in ("facts", "findings"):  # a copy of one row, under the missing report's id
            columns = [c[1] for c in raw.execute(f"PRAGMA table_info({table})") if c[1] != "id"]
            values = ", ".join("?" if c == "submission_id" else c for c in columns)
            raw.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} LIMIT 1", (ghost,))
    raw.close()
    for since in (None, now()):
        result = check_warehouse(sqlite_url, since=since)
        assert "facts_reference_submissions" in result["failed"]
        assert result["unexpected"]["facts_reference_submissions"] == 2  # the id, named by facts and by findings
        assert ("facts_reference_submissions", None, "2 unexpected") in stored(sqlite_url)
    engine = engine_for(sqlite_url)
    sync_failures(engine)
    [orphan] = [f for f in list_failures(engine) if f["label"] == "facts_reference_submissions"]
    assert orphan["unit_code"] is None and ghost[:12] in orphan["message_en"]
