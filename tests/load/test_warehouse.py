"""The warehouse on SQLite and PostgreSQL: migrations, the demo inbox, versions and restatements, reruns, views."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tasks.intake.archive import archive_file_of
from tasks.intake.discover import discover_inbox
from tasks.batch import ingest_files, rerun_period_rows
from warehouse.db import downgrade, engine_for, upgrade
from warehouse.models import VIEWS as WAREHOUSE_VIEWS
from config.reporting import due_dates
from warehouse.reference import period_row

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "examples" / "inbox"
TABLES = {"reporting_units", "programs", "forms", "indicators", "periods", "submissions", "facts", "findings",
          "runs", "run_files"}
VIEWS = set(WAREHOUSE_VIEWS)
SEED_2018_ACTUAL = (172, 8)  # line 173 "- Số lớp" of Biểu 01, tab column 9: Năm 2018 / Thực hiện (8)


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request) -> str:
    """The same test on the embedded SQLite and on a real PostgreSQL database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def load_inbox(url: str, inbox: Path, archive: Path):
    upgrade(url)
    files, refused = discover_inbox(inbox)
    assert not refused
    return ingest_files(files, engine_for(url), archive, run_id=None)


def rows(url: str, sql: str, **params) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def table_counts(url: str) -> dict[str, int]:
    return {t: rows(url, f"SELECT COUNT(*) FROM {t}")[0][0] for t in sorted(TABLES | VIEWS)}


def changed_seed(seed: bytes, line: int, column: int, value: str, number: str | None = None) -> bytes:
    """The seed with one table cell rewritten (and, optionally, another report number on its first page)."""
    lines = seed.decode("utf-8").split("\n")
    cells = lines[line].split("\t")
    cells[column] = value
    lines[line] = "\t".join(cells)
    text_ = "\n".join(lines)
    if number:
        text_ = text_.replace("Số: 2049/BC-UBND", f"Số: {number}/BC-UBND")
        text_ = text_.replace("**2049/BC-UBND**", f"**{number}/BC-UBND**")
    return text_.encode("utf-8")


def plan_vs_actual(url: str) -> list[tuple]:
    return sorted(
        rows(url, "SELECT unit_code, period, form, group_no, label, unit, year, plan, actual, achievement "
                  "FROM plan_vs_actual"),
        key=lambda r: tuple("" if v is None else str(v) for v in r),
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_alembic_upgrade_head_then_downgrade_on_an_empty_database(kind, request):
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    env = {**os.environ, "BAOCAO_WAREHOUSE_URL": url}
    alembic = [sys.executable, "-m", "alembic", "-c", "warehouse/alembic.ini"]
    subprocess.run([*alembic, "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    engine = engine_for(url)
    names = inspect(engine)
    assert TABLES <= set(names.get_table_names())
    assert VIEWS <= set(names.get_view_names())
    assert rows(url, "SELECT version_num FROM alembic_version") == [("0009",)]
    # facts carry one index by submission, the unique cell key that starts with it (0006 dropped the other)
    assert {i["name"] for i in names.get_indexes("facts")} - {"uq_facts_cell"} == {"ix_facts_lookup"}  # PG lists it
    assert [c["column_names"] for c in names.get_unique_constraints("facts")] == [["submission_id", "source", "measure"]]
    if kind == "postgresql":  # 0007: the database plans for SSDs, for every client that connects to it
        engine.dispose()
        assert rows(url, "SHOW random_page_cost") == [("1.1",)]
        downgrade(url, "0006")
        engine.dispose()
        assert rows(url, "SHOW random_page_cost") == [("4",)]  # a session opened before the migration...
        upgrade(url)
        assert rows(url, "SHOW random_page_cost") == [("1.1",)]  # ...migrates, back in the pool with the setting
    subprocess.run([*alembic, "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    engine.dispose()
    if kind == "postgresql":
        assert rows(url, "SHOW random_page_cost") == [("4",)]
    names = inspect(engine)
    assert set(names.get_table_names()) <= {"alembic_version"}
    assert not set(names.get_view_names()) & VIEWS


UPGRADE_PROBE = "import sys; from warehouse.db import upgrade; upgrade(sys.argv[1]); print('alembic' in sys.modules)"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_warehouse_at_head_is_upgraded_without_alembic_and_one_behind_is_migrated(kind, request):
    from alembic.script import ScriptDirectory

    from warehouse.db import alembic_config, head_revisions

    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())

    def upgrade_imports_alembic() -> bool:
        probe = subprocess.run([sys.executable, "-c", UPGRADE_PROBE, url], cwd=ROOT, capture_output=True, text=True,
                               timeout=120)
        assert probe.returncode == 0, probe.stderr[-2000:]
        return probe.stdout.split()[-1] == "True"

    assert upgrade_imports_alembic()  # an empty database: Alembic creates the schema
    assert not upgrade_imports_alembic()  # at head: one query says so, the reference data is synced
    downgrade(url, "0007")
    engine_for(url).dispose()
    assert upgrade_imports_alembic()  # one migration behind: Alembic runs it
    assert rows(url, "SELECT version_num FROM alembic_version") == [(max(head_revisions()),)]
    assert rows(url, "SELECT count(*) FROM forms")[0][0] > 0


def test_dimensions_hold_units_with_successors_and_the_catalog(sqlite_url):
    upgrade(sqlite_url)
    assert rows(sqlite_url, "SELECT name, level, parent_code, successor_code, successor_name FROM reporting_units "
                            "WHERE code = '109'") == [("Phong Thổ", "district", "12", "12", "Lai Châu")]
    # Hà Giang merged into Tuyên Quang in 2025; so did its districts
    assert rows(sqlite_url, "SELECT successor_code, successor_name FROM reporting_units WHERE code = '02'") == [
        ("08", "Tuyên Quang")]
    assert rows(sqlite_url, "SELECT COUNT(*) FROM reporting_units WHERE level = 'district' AND province_code = '12'"
                ) == [(8,)]
    assert rows(sqlite_url, "SELECT kind, label FROM indicators WHERE form = 'BIEU_01' ORDER BY position") == [
        ("group", "Nâng cao năng lực cho cộng đồng"), ("item", "Số lớp"), ("item", "Số lượng"),
        ("group", "Nâng cao năng lực cho cán bộ cơ sở"), ("item", "Số lớp"), ("item", "Số lượng"),
        ("total", "Tổng cộng số lớp"), ("total", "Tổng cộng số người"),
    ]
    assert ("GNBV",) in rows(sqlite_url, "SELECT code FROM programs")
    before = table_counts(sqlite_url)
    upgrade(sqlite_url)
    assert table_counts(sqlite_url) == before


def test_demo_inbox_gives_the_same_plan_vs_actual_on_postgresql_and_sqlite(sqlite_url, pg_url, tmp_path):
    for url in (sqlite_url, pg_url):
        outcomes = load_inbox(url, INBOX, tmp_path / "archive")
        assert sorted(o.outcome for o in outcomes) == ["flagged"] * 3
    lite, pg = plan_vs_actual(sqlite_url), plan_vs_actual(pg_url)
    assert len(lite) == 116
    assert lite == pg
    assert ("109", "2016-2020", "BIEU_01", None, "Tổng cộng số người = (1+2)", "Người", None, 1886.0, 1886.0, 1.0) in lite
    for url in (sqlite_url, pg_url):
        before = table_counts(url)
        again = load_inbox(url, INBOX, tmp_path / "archive")
        assert [o.outcome for o in again] == ["skipped"] * 3
        assert table_counts(url) == before
    assert plan_vs_actual(sqlite_url) == lite and plan_vs_actual(pg_url) == pg


def test_a_new_version_supersedes_and_its_changed_cell_is_a_restatement(warehouse_url, seed_bytes, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "phong_tho_v1.txt").write_bytes(seed_bytes)
    load_inbox(warehouse_url, inbox, tmp_path / "archive")
    line, old = SEED_2018_ACTUAL
    (inbox / "phong_tho_v2.txt").write_bytes(changed_seed(seed_bytes, line, 8, "7"))
    outcomes = load_inbox(warehouse_url, inbox, tmp_path / "archive")
    assert sorted(o.outcome for o in outcomes) == ["flagged", "skipped"]

    history = rows(warehouse_url, "SELECT source, version, is_current, supersedes IS NOT NULL FROM submissions "
                                  "WHERE natural_key = '109|GNBV|2016-2020|2049/BC-UBND' ORDER BY version")
    assert history == [("phong_tho_v1.txt", 1, False, False), ("phong_tho_v2.txt", 2, True, True)]
    assert rows(warehouse_url, "SELECT plan, actual FROM plan_vs_actual WHERE unit_code = '109' AND form = 'BIEU_01' "
                               "AND group_no = '1' AND label = 'Số lớp' AND year = 2018") == [(8.0, 7.0)]
    restated = rows(warehouse_url, "SELECT form, indicator, year, measure, expected, actual, source, severity, "
                                   "message_en FROM findings_current WHERE rule = 'restatement'")
    assert len(restated) == 1
    form, indicator, year, measure, expected, actual, source, severity, message = restated[0]
    assert (form, indicator, year, measure, severity) == ("BIEU_01", "G1.SO_LOP", 2018, "actual", "warning")
    assert (float(expected), float(actual), source) == (old, 7.0, "L173:C9")
    assert "2049/BC-UBND" in message and "said 8" in message and "now says 7" in message
    # the first version keeps its own facts: history, not overwritten
    assert rows(warehouse_url, "SELECT f.value FROM facts f JOIN submissions s ON s.id = f.submission_id "
                               "WHERE s.version = 1 AND f.source = 'L173:C9'") == [(8.0,)]


def test_an_earlier_report_of_the_same_unit_is_compared_too(sqlite_url, seed_bytes, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_bytes(seed_bytes)
    load_inbox(sqlite_url, inbox, tmp_path / "archive")
    (inbox / "b.txt").write_bytes(changed_seed(seed_bytes, 172, 8, "7", number="2100"))
    load_inbox(sqlite_url, inbox, tmp_path / "archive")
    assert rows(sqlite_url, "SELECT report_number, version, is_current FROM submissions ORDER BY report_number") == [
        ("2049/BC-UBND", 1, True), ("2100/BC-UBND", 1, True)]
    restated = rows(sqlite_url, "SELECT report_number, expected, actual, message_vi FROM findings_current "
                                "WHERE rule = 'restatement'")
    assert [(r[0], float(r[1]), float(r[2])) for r in restated] == [("2100/BC-UBND", 8.0, 7.0)]
    assert "báo cáo 2049/BC-UBND" in restated[0][3]
    # the province counts the unit once: its latest report
    assert rows(sqlite_url, "SELECT COUNT(*) FROM latest_reports WHERE unit_code = '109'") == [(1,)]


def test_annual_reports_of_a_phase_restate_nothing_when_their_years_agree(sqlite_url, tmp_path):
    """A phase's annual reports give its total to date (2021; 2021-2022; 2021-2023): the total grows, the
    years repeat. Only a year that changed is a restatement; the growing total is not."""
    import random

    from tasks.synth.corpus import build_report, reporting_units, write_text

    unit = next(u for u in reporting_units() if u.code == "109")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for year in ("2021", "2022", "2023"):
        report = build_report(random.Random(year), unit, year, seed=7)
        (inbox / f"{year}.txt").write_bytes(write_text(report))
        load_inbox(sqlite_url, inbox, tmp_path / "archive")
    assert rows(sqlite_url, "SELECT COUNT(*) FROM submissions WHERE is_current") == [(3,)]
    assert rows(sqlite_url, "SELECT COUNT(*) FROM findings WHERE rule = 'restatement'") == [(0,)]
    # another 2023 report with one more 2022 class: that year, and the 2021-2023 total it moves, are restated
    changed = build_report(random.Random("2023b"), unit, "2023", seed=7)
    row = next(a for a in changed.annexes if a.form == "BIEU_01").rows[1]  # group 1, Số lớp
    row.values[2][1] += 1  # 2022 (columns: total, 2021, 2022, 2023), actual
    row.values[0][1] += 1  # its phase total follows, so the tables still add up
    (inbox / "2023b.txt").write_bytes(write_text(changed))
    load_inbox(sqlite_url, inbox, tmp_path / "archive")
    restated = rows(sqlite_url, "SELECT s.source, f.year, f.measure, f.indicator FROM findings f "
                                "JOIN submissions s ON s.id = f.submission_id WHERE f.rule = 'restatement' "
                                "ORDER BY f.year")
    assert restated == [("2023b.txt", None, "actual", "G1.SO_LOP"), ("2023b.txt", 2022, "actual", "G1.SO_LOP")]


def test_a_rerun_replaces_the_period_in_one_transaction(warehouse_url, seed_bytes, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in INBOX.iterdir():
        (inbox / f.name).write_bytes(f.read_bytes())
    load_inbox(warehouse_url, inbox, tmp_path / "archive")
    (inbox / "phong_tho_v2.txt").write_bytes(changed_seed(seed_bytes, 172, 8, "7"))
    load_inbox(warehouse_url, inbox, tmp_path / "archive")
    before = table_counts(warehouse_url)
    findings = rows(warehouse_url, "SELECT rule, source, expected, actual FROM findings_current ORDER BY 1, 2, 3, 4")

    outcomes = rerun_period_rows(engine_for(warehouse_url), "2016-2020")
    assert len(outcomes) == 3
    assert table_counts(warehouse_url) == before
    assert rows(warehouse_url, "SELECT rule, source, expected, actual FROM findings_current ORDER BY 1, 2, 3, 4"
                ) == findings

    # an archive file gone: the rerun fails as a whole and the period keeps every row it had
    archived = rows(warehouse_url, "SELECT archive_path FROM submissions WHERE source = 'tam_duong_2020.txt'")[0][0]
    archive_file_of(archived).unlink()  # its pack, with the batch's other files
    with pytest.raises(FileNotFoundError):
        rerun_period_rows(engine_for(warehouse_url), "2016-2020")
    assert table_counts(warehouse_url) == before


def test_province_totals_and_completeness(warehouse_url, tmp_path):
    load_inbox(warehouse_url, INBOX, tmp_path / "archive")
    totals = rows(warehouse_url, "SELECT measure, value, units_reporting FROM province_totals WHERE province_code = '12' "
                                 "AND period = '2016-2020' AND form = 'BIEU_01' AND indicator = 'TONG_SO_NGUOI' "
                                 "AND year IS NULL ORDER BY measure")
    # the three reports' own "(1+2)" phase totals: 1.886 + 1.588 + 2.337 planned, 1.886 + 1.497 + 2.226 done
    assert [(m, float(v), n) for m, v, n in totals] == [("actual", 5609.0, 3), ("plan", 5811.0, 3)]
    # Biểu 02's actual phase total is blank in the seed: two units report it
    assert rows(warehouse_url, "SELECT units_reporting FROM province_totals WHERE form = 'BIEU_02' "
                               "AND indicator = 'G1.SO_BUOI' AND year IS NULL AND measure = 'actual'") == [(2,)]
    got = rows(warehouse_url, "SELECT unit_name, reports, received, late FROM completeness "
                              "WHERE province_code = '12' AND period = '2016-2020' ORDER BY unit_code")
    assert len(got) == 8
    assert {r[0] for r in got if r[2] == 1} == {"Phong Thổ", "Tam Đường", "Sìn Hồ"}
    assert {r[0] for r in got if r[2] == 0} == {"Lai Châu", "Mường Tè", "Than Uyên", "Tân Uyên", "Nậm Nhùn"}
    # config/reporting.yaml: due 12/10/2020, judged by the date a report bears (the demo is loaded after the fact)
    assert {r[0]: r[3] for r in got if r[2] == 1} == {"Phong Thổ": 1, "Tam Đường": 0, "Sìn Hồ": 0}
    assert all(r[3] is None for r in got if r[2] == 0)
    with engine_for(warehouse_url).begin() as conn:
        conn.execute(text("UPDATE periods SET due_date = :d, late_from = :f, late_by = 'received_date'"
                          " WHERE code = '2016-2020'"),
                     {"d": date(2020, 10, 31), "f": datetime(2020, 11, 1)})
    late = rows(warehouse_url, "SELECT unit_name, late FROM completeness WHERE province_code = '12' AND received = 1")
    assert sorted(late) == [("Phong Thổ", 1), ("Sìn Hồ", 1), ("Tam Đường", 1)]  # loaded in 2026


def test_due_dates_come_from_config_reporting_yaml(tmp_path, monkeypatch):
    (tmp_path / "reporting.yaml").write_text("periods:\n  2016-2020:\n    due: 2020-10-31\n  '2021': 2021-12-15\n",
                                             encoding="utf-8")
    monkeypatch.setenv("BAOCAO_CONFIG", str(tmp_path))
    assert due_dates() == {"2016-2020": date(2020, 10, 31), "2021": date(2021, 12, 15)}
    (tmp_path / "reporting.yaml").write_text("periods:\n", encoding="utf-8")
    assert due_dates() == {}
    assert period_row("2016-2020", date(2020, 10, 31))["late_from"] == datetime(2020, 11, 1)
    assert period_row("2016-2020", date(2020, 10, 31), "report_date")["late_by"] == "report_date"
    assert period_row("giai đoạn 2016") is None


def test_reporting_queries_give_the_same_values_on_both_databases(sqlite_url, pg_url, tmp_path):
    from warehouse import queries

    got = {}
    for url in (sqlite_url, pg_url):
        load_inbox(url, INBOX, tmp_path / "archive")
        engine = engine_for(url)
        got[url] = (
            queries.plan_vs_actual(engine, "2016-2020", "109"),
            queries.province_totals(engine, "12", "2016-2020"),
            [{k: v for k, v in r.items() if k != "first_received_at"}
             for r in queries.completeness(engine, "12", "2016-2020")],
        )
        assert all(isinstance(r["first_received_at"], datetime) for r in queries.completeness(engine, "12", "2016-2020")
                   if r["received"])
    lite, pg = got[sqlite_url], got[pg_url]
    assert lite == pg
    pva, totals, complete = lite
    assert len(pva) == 36 and pva[0]["year"] is None  # 6 rows x 5 columns of Biểu 01, 2 x 3 of Biểu 02
    assert totals[0]["form"] == "BIEU_01" and totals[0]["indicator"] == "G1.SO_LOP" and totals[0]["year"] is None
    assert [r["unit_name"] for r in complete if r["received"]] == ["Tam Đường", "Sìn Hồ", "Phong Thổ"]
    assert complete[-1]["last_report_date"] is None and complete[-1]["due_date"] == date(2020, 10, 12)


def test_two_runs_loading_two_versions_at_once_leave_one_current(pg_url, seed_bytes, tmp_path):
    """Run A holds version 2 uncommitted while run B loads version 3 and waits on it; B must then supersede 2."""
    import threading
    import time

    from tasks.load.chunk import load_once, write_submission
    from warehouse.db import now
    from tasks.check.submission import process_submission

    upgrade(pg_url)
    engine = engine_for(pg_url)
    v1, v2, v3 = (process_submission(data, name) for data, name in (
        (seed_bytes, "v1.txt"), (changed_seed(seed_bytes, 172, 8, "7"), "v2.txt"),
        (changed_seed(seed_bytes, 172, 8, "6"), "v3.txt")))
    assert load_once(engine, v1, archive_path=None, run_id=None) is None
    outcome = {}
    with engine.connect() as conn_a:
        tx = conn_a.begin()
        write_submission(conn_a, v2, archive_path=None, run_id=None, received_at=now())
        run_b = threading.Thread(target=lambda: outcome.update(b=load_once(engine, v3, archive_path=None, run_id=None)))
        run_b.start()
        for _ in range(600):  # until B waits on A's lock
            if rows(pg_url, "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")[0][0]:
                break
            time.sleep(0.05)
        tx.commit()
    run_b.join(timeout=60)
    assert outcome == {"b": None}
    assert rows(pg_url, "SELECT source, version, is_current FROM submissions ORDER BY version") == [
        ("v1.txt", 1, False), ("v2.txt", 2, False), ("v3.txt", 3, True)]
    assert rows(pg_url, "SELECT actual FROM plan_vs_actual WHERE unit_code = '109' AND form = 'BIEU_01' "
                        "AND group_no = '1' AND label = 'Số lớp' AND year = 2018") == [(6.0,)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_database_refuses_a_second_current_version_of_a_report(kind, request):
    from sqlalchemy.exc import IntegrityError

    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    upgrade(url)
    row = {"source": "x.txt", "format": "text", "status": "ok", "natural_key": "109|GNBV|2016-2020|1/BC-UBND",
           "version": 1, "received_at": datetime(2020, 1, 1), "loaded_at": datetime(2020, 1, 1),
           "errors": 0, "warnings": 0}
    insert = text("INSERT INTO submissions (id, source, format, status, natural_key, version, is_current, "
                  "received_at, loaded_at, errors, warnings) VALUES (:id, :source, :format, :status, :natural_key, "
                  ":version, :is_current, :received_at, :loaded_at, :errors, :warnings)")
    with engine_for(url).begin() as conn:
        conn.execute(insert, {**row, "id": "a" * 64, "is_current": False})
        conn.execute(insert, {**row, "id": "b" * 64, "is_current": True})
    with pytest.raises(IntegrityError):
        with engine_for(url).begin() as conn:
            conn.execute(insert, {**row, "id": "c" * 64, "is_current": True})


def test_a_fact_row_is_the_facts_tables_columns_in_its_order(seed_bytes):
    """The loader inserts fact rows as they come (tuples): a column added to the table must be added to FACT_ROW."""
    from tasks.check.result import FACT_ROW, FORM, MEASURE, SOURCE, SUBMISSION_ID, VALUE
    from tasks.check.submission import process_submission
    from tasks.load.submissions import FACTS, fact_rows

    assert FACT_ROW == tuple(c.name for c in FACTS.columns if c.name != "id")
    result = process_submission(seed_bytes, "seed.txt")
    row = next(r for r in fact_rows(result) if r[SOURCE] == f"L{SEED_2018_ACTUAL[0] + 1}:C{SEED_2018_ACTUAL[1] + 1}")
    assert (row[SUBMISSION_ID], row[FORM], row[MEASURE], row[VALUE]) == (result.sha256, "BIEU_01", "actual", 8.0)
