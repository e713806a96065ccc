"""The failure queue: fingerprints, waivers across reruns and corrected files, the `baocao failures` CLI."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.cli import app
from flows.rerun import rerun_period_plain
from tasks.review.queue import (
    StewardError, change_status, failure_events, failures_csv, fingerprint, list_failures, sync_failures,
)
from contracts.cells import csv_text as csv_cell
from warehouse.db import engine_for
from warehouse.models import FailureEvent

from tests.steward_setup import INBOX, ROOT, SEED_NAME, edit_lines, load_inbox

PERIOD = "2016-2020"


@pytest.fixture()
def warehouse(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("BAOCAO_VAR", str(tmp_path / "var"))
    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    return sqlite_url


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def listed(*args: str) -> list[dict]:
    return json.loads(cli("failures", "list", "--format", "json", *args))["failures"]


def one(items: list[dict], **where) -> dict:
    found = [i for i in items if all(i[k] == v for k, v in where.items())]
    assert len(found) == 1, (where, items)
    return found[0]


def load_corrected(tmp_path, url: str, name: str, source: str, line: int, cells: dict[int, str]) -> None:
    """A district sends a corrected file: same report number, one line changed."""
    inbox = tmp_path / f"inbox-{name}"
    inbox.mkdir()
    text = (INBOX / source).read_text(encoding="utf-8")
    (inbox / name).write_text(edit_lines(text, line, cells), encoding="utf-8")
    load_inbox(url, inbox, tmp_path / "archive")


def test_list_json_holds_the_seeds_errors(warehouse):
    items = listed("--unit", "109", "--severity", "error")
    assert sorted(i["rule"] for i in items) == ["annex_missing", "annex_parent", "narrative_figure"]
    parent = one(items, rule="annex_parent")
    assert parent["status"] == "open" and len(parent["id"]) == 40
    assert parent["actual"] == "2043/BC-UBND (18/10/2020)" and parent["expected"] == "2049/BC-UBND (14/10/2020)"
    assert one(items, rule="annex_missing")["form"] == "BIEU_03"
    everything = listed("--period", PERIOD)
    assert {i["unit_name"] for i in everything} == {"Phong Thổ", "Sìn Hồ", "Tam Đường"}
    assert len([i for i in everything if i["severity"] == "error"]) == 7  # 3 seed, 2 Sìn Hồ, 2 Tam Đường
    assert listed("--form", "BIEU_01", "--unit", "Tam Đường", "--status", "open")[0]["rule"] in (
        "total_equals_sum_of_years", "group_total")
    assert listed("--status", "waived") == []


def test_fingerprint_ignores_run_file_and_spelling_of_case():
    a = fingerprint("total_blank", "109", "GNBV", PERIOD, "BIEU_02", "1", "Số buổi", None, "actual")
    assert a == fingerprint("total_blank", "109", "GNBV", PERIOD, "BIEU_02", "1", "số buổi", None, "actual")
    assert a != fingerprint("total_blank", "109", "GNBV", PERIOD, "BIEU_02", "1", "Số buổi", 2018, "actual")
    assert a != fingerprint("total_blank", "106", "GNBV", PERIOD, "BIEU_02", "1", "Số buổi", None, "actual")


def test_a_waiver_survives_a_rerun_of_the_period(warehouse):
    parent = one(listed("--unit", "109"), rule="annex_parent")
    out = cli("failures", "waive", parent["id"][:10], "--reason", "Huyện xác nhận số 2049 là đúng", "--by", "lan")
    assert "waived" in out
    outcomes = rerun_period_plain(warehouse, PERIOD)
    assert len(outcomes) == 3
    counts = sync_failures(engine_for(warehouse))
    assert counts["opened"] == 0 and counts["reopened"] == 0 and counts["resolved"] == 0
    after = one(listed("--unit", "109"), rule="annex_parent")
    assert (after["id"], after["status"], after["steward"]) == (parent["id"], "waived", "lan")
    assert after["reason"] == "Huyện xác nhận số 2049 là đúng"
    events = failure_events(engine_for(warehouse), parent["id"])
    assert [(e["who"], e["from_status"], e["to_status"]) for e in events] == [
        ("baocao", None, "open"), ("lan", "open", "waived")]


def test_a_changed_cell_reopens_its_waiver_and_a_new_failure_opens(warehouse, tmp_path):
    items = listed("--unit", "109")
    blank = one(items, rule="total_blank", label="Số buổi")
    parent = one(items, rule="annex_parent")
    engine = engine_for(warehouse)
    for item in (blank, parent):
        change_status(engine, item["id"], "waive", "lan", reason="chờ huyện giải trình")
    # 2018 actual 5 -> 6 (the blank total's expected value becomes 10); total plan 9 -> 12 (a new error)
    load_corrected(tmp_path, warehouse, "phong_tho_v2.txt", SEED_NAME, 192, {3: "12", 8: "6"})
    now = {i["id"]: i for i in listed("--unit", "109")}
    assert now[blank["id"]]["status"] == "open" and now[blank["id"]]["expected"] == "10"
    assert now[parent["id"]]["status"] == "waived"  # same values: the waiver holds
    new = one(list(now.values()), rule="total_equals_sum_of_years")
    assert new["status"] == "open" and (new["expected"], new["actual"]) == ("9", "12")
    notes = [e["note"] for e in failure_events(engine, blank["id"])]
    assert notes[-1].startswith("values changed") and "9 → 10" in notes[-1]


def test_a_fixed_cell_resolves_its_failures(warehouse, tmp_path):
    before = [i for i in listed("--unit", "106", "--severity", "error")]
    assert len(before) == 2
    load_corrected(tmp_path, warehouse, "tam_duong_v2.txt", "tam_duong_2020.txt", 92, {10: "121"})
    after = {i["id"]: i["status"] for i in listed("--unit", "106")}
    assert all(after[i["id"]] == "resolved" for i in before)
    assert listed("--unit", "106", "--severity", "error", "--status", "open") == []


def test_an_expired_waiver_reopens(warehouse):
    engine = engine_for(warehouse)
    item = one(listed("--unit", "108", "--severity", "error"), rule="annex_parent")
    change_status(engine, item["id"], "waive", "lan", reason="tạm chấp nhận", until=date(2026, 1, 31))
    sync_failures(engine, today=date(2026, 1, 31))
    assert one(listed("--unit", "108"), id=item["id"])["status"] == "waived"
    sync_failures(engine, today=date(2026, 2, 1))
    assert one(listed("--unit", "108"), id=item["id"])["status"] == "open"
    assert failure_events(engine, item["id"])[-1]["note"] == "waiver expired on 2026-01-31"


def test_ack_reopen_and_refusals_are_recorded(warehouse):
    engine = engine_for(warehouse)
    item = one(listed("--unit", "108", "--severity", "error"), rule="annex_parent")
    cli("failures", "ack", item["id"], "--by", "minh", "--note", "đã gọi huyện")
    refused = CliRunner().invoke(app, ["failures", "ack", item["id"]])
    assert refused.exit_code == 2 and "acknowledged" in refused.output
    assert CliRunner().invoke(app, ["failures", "waive", item["id"], "--reason", "x", "--until", "31/01"]).exit_code == 2
    cli("failures", "reopen", item["id"], "--by", "minh")
    with pytest.raises(StewardError, match="needs a reason"):
        change_status(engine, item["id"], "waive", "minh", reason="  ")
    with pytest.raises(StewardError, match="no failure"):
        change_status(engine, "ffffffffff", "ack", "minh")
    with engine.connect() as conn:
        moves = conn.execute(select(FailureEvent.who, FailureEvent.from_status, FailureEvent.to_status)
                             .where(FailureEvent.failure_id == item["id"]).order_by(FailureEvent.id)).all()
    assert [tuple(m) for m in moves] == [("baocao", None, "open"), ("minh", "open", "acknowledged"),
                                         ("minh", "acknowledged", "open")]


def test_show_prints_both_languages_and_the_archived_lines(warehouse):
    item = one(listed("--unit", "109"), rule="total_blank", label="Số buổi")
    out = cli("failures", "show", item["id"][:8])
    assert "Tổng số / Thực hiện (dòng 192, cột 5) để trống" in out
    assert "phase total (Tổng số) / actual (line 192, column 5) is blank" in out
    assert ">   192 │ - │ Số buổi │ Buổi │ 9" in out
    assert "    191 │" in out and "    193 │ - │ Số người tham gia" in out


@pytest.mark.parametrize("value,safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("Số buổi", "Số buổi"), (None, ""), (9, "9"),
])
def test_csv_cells_cannot_run_as_formulas(value, safe):
    assert csv_cell(value) == safe


def test_csv_export_is_injection_safe(warehouse):
    engine = engine_for(warehouse)
    rows = list_failures(engine)
    rows[0] = rows[0] | {"label": "=cmd|' /C calc'!A0", "message_en": "-1+1", "reason": "@x"}
    parsed = list(csv.DictReader(io.StringIO(failures_csv(rows))))
    assert parsed[0]["label"].startswith("'=") and parsed[0]["message_en"] == "'-1+1" and parsed[0]["reason"] == "'@x"
    for row in csv.DictReader(io.StringIO(cli("failures", "list", "--format", "csv"))):
        assert not any(v[:1] in "=+-@" and v for v in row.values())


def test_the_check_command_stays_light():
    code = ("import sys, flows.cli; heavy = [m for m in ('great_expectations', 'prefect', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.integration
def test_lifecycle_on_postgresql(pg_url, tmp_path):
    load_inbox(pg_url, INBOX, tmp_path / "archive")
    engine = engine_for(pg_url)
    blank = one([f for f in list_failures(engine, unit="109")], rule="total_blank", label="Số buổi")
    change_status(engine, blank["id"], "waive", "lan", reason="chờ giải trình", until=date(2099, 1, 1))
    rerun_period_plain(pg_url, PERIOD)
    sync_failures(engine)
    assert one(list_failures(engine, unit="109"), id=blank["id"])["status"] == "waived"
    load_corrected(tmp_path, pg_url, "phong_tho_v2.txt", SEED_NAME, 192, {8: "6"})
    assert one(list_failures(engine, unit="109"), id=blank["id"])["status"] == "open"
    assert [e["to_status"] for e in failure_events(engine, blank["id"])] == ["open", "waived", "open"]
