"""Loading into the warehouse: idempotent, one transaction per submission, same result on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, text

from tasks.intake.archive import archive_file_of, archived_bytes, pack_members
from tasks.intake.discover import discover_inbox
from tasks.batch import ingest_files
from tests.conftest import ROOT
from warehouse.db import engine_for, upgrade
from warehouse.models import Fact, FindingRow, Submission

INBOX = ROOT / "examples" / "inbox"
TABLES = ("submissions", "facts", "findings")


def load_inbox(url, archive):
    upgrade(url)
    files, refused = discover_inbox(INBOX)
    assert not refused
    return ingest_files(files, engine_for(url), archive, run_id=None)


def counts(url) -> dict:
    with engine_for(url).connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def plan_vs_actual(url) -> list[tuple]:
    with engine_for(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT unit_name, unit_code, period, form, group_no, label, unit, year, plan, actual"
            " FROM plan_vs_actual"
        )).all()
    # sorted here: SQLite and PostgreSQL order NULLs and collate text differently
    return sorted((tuple(r) for r in rows), key=lambda r: tuple((v is not None, v if v is not None else 0) for v in r))


def people_total(url):
    with engine_for(url).connect() as conn:
        return conn.execute(text(
            "SELECT plan, actual FROM plan_vs_actual WHERE unit_name = 'Phong Thổ' AND form = 'BIEU_01'"
            " AND label LIKE 'Tổng cộng số người%' AND year IS NULL"
        )).one()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


def test_demo_inbox_loads_and_reloading_changes_nothing(url, tmp_path):
    outcomes = load_inbox(url, tmp_path / "archive")
    assert sorted(o.outcome for o in outcomes) == ["flagged", "flagged", "flagged"]
    first = counts(url)
    assert first == {"submissions": 3, "facts": 230, "findings": 17}
    assert tuple(people_total(url)) == (1886, 1886)
    again = load_inbox(url, tmp_path / "archive")
    assert [o.outcome for o in again] == ["skipped"] * 3
    assert counts(url) == first


def test_sqlite_and_postgresql_give_the_same_plan_vs_actual(pg_url, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'w.db'}"
    load_inbox(sqlite_url, tmp_path / "a1")
    load_inbox(pg_url, tmp_path / "a2")
    rows = plan_vs_actual(sqlite_url)
    assert len(rows) == 116
    assert rows == plan_vs_actual(pg_url)


def test_raw_bytes_are_archived_by_content(tmp_path, sqlite_url, seed_bytes):
    load_inbox(sqlite_url, tmp_path / "archive")
    with engine_for(sqlite_url).connect() as conn:
        sub = conn.execute(select(Submission).where(Submission.unit_code == "109")).one()
    assert archived_bytes(sub.archive_path) == seed_bytes
    # the batch's pack: its members listed from their headers, each one's bytes hashing to the name it is listed by
    pack = archive_file_of(sub.archive_path)
    members = list(pack_members(pack))
    assert sub.id in {sha for sha, _, _ in members} and len(members) > 1
    with engine_for(sqlite_url).connect() as conn:
        kept = dict(conn.execute(select(Submission.id, Submission.archive_path)).all())
    for sha, offset, length in members:
        assert kept[sha] == f"{pack}#{offset}+{length}"
        assert hashlib.sha256(archived_bytes(kept[sha])).hexdigest() == sha


def test_a_newer_version_of_the_same_report_supersedes_the_older(tmp_path, sqlite_url, seed_bytes):
    upgrade(sqlite_url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "v1.txt").write_bytes(seed_bytes)
    engine = engine_for(sqlite_url)
    ingest_files(discover_inbox(inbox)[0], engine, tmp_path / "archive", None)
    (inbox / "v2.txt").write_bytes(seed_bytes.replace(b"1.886\t1.886", b"1.886\t1.887"))
    outcomes = ingest_files(discover_inbox(inbox)[0], engine, tmp_path / "archive", None)
    assert sorted(o.outcome for o in outcomes) == ["flagged", "skipped"]
    with engine.connect() as conn:
        subs = conn.execute(select(Submission.source, Submission.version, Submission.is_current)
                            .order_by(Submission.version)).all()
        assert [tuple(s) for s in subs] == [("v1.txt", 1, False), ("v2.txt", 2, True)]
        assert conn.execute(select(func.count()).select_from(Fact)).scalar_one() == 140
    assert tuple(people_total(sqlite_url)) == (1886, 1887)


def test_findings_carry_both_messages_into_the_warehouse(tmp_path, sqlite_url):
    load_inbox(sqlite_url, tmp_path / "archive")
    with engine_for(sqlite_url).connect() as conn:
        rows = conn.execute(select(FindingRow.rule, FindingRow.message_vi, FindingRow.message_en, FindingRow.source)
                            .where(FindingRow.rule == "total_blank")).all()
    assert len(rows) == 2
    assert all(r.message_vi and r.message_en and r.source.startswith("L19") for r in rows)


def test_a_jump_from_the_units_previous_year_is_an_outlier_warning(tmp_path, sqlite_url):
    from tests.check.test_reconcile import GOOD, HEADER, report

    upgrade(sqlite_url)
    engine = engine_for(sqlite_url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_bytes(report(GOOD))
    ingest_files(discover_inbox(inbox)[0], engine, tmp_path / "archive", None)
    # the next phase's report: 2021 plans 400 people in group 1 where 2020 planned 60
    later = GOOD.replace("-\tSố lượng\tNgười\t100\t90\t40\t40\t60\t50", "-\tSố lượng\tNgười\t440\t90\t400\t40\t40\t50")
    data = report(later, number="16/BC-UBND", annex_number="16").replace(b"2019-2020", b"2021-2022")
    data = data.replace(HEADER.encode(), HEADER.replace("2019", "2021").replace("2020", "2022").encode())
    (inbox / "b.txt").write_bytes(data)
    ingest_files(discover_inbox(inbox)[0], engine, tmp_path / "archive", None)
    with engine.connect() as conn:
        jumps = conn.execute(select(FindingRow.year, FindingRow.measure, FindingRow.expected, FindingRow.actual,
                                    FindingRow.message_en).where(FindingRow.rule == "outlier_jump")).all()
    assert [(j.year, j.measure, j.expected, j.actual) for j in jumps] == [(2021, "plan", "60", "400")]
    assert "report 15/BC-UBND" in jumps[0].message_en


def test_the_loading_process_imports_neither_pandas_nor_great_expectations():
    """The flow's process loads what the reading workers checked: pandas and pandera (0.4 s, ~40 MiB) stay in the
    workers, great-expectations in its own process or the review worker."""
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", (
        "import sys, flows.nightly, flows.rerun, flows.review, flows.cli.operator, tasks.batch, tasks.load.chunk; "
        "print(sorted(m for m in ('pandas', 'pandera', 'numpy', 'great_expectations') if m in sys.modules))")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.split("\n")[-2] == "[]"
