"""Approval states, locks and acceptance on SQLite and PostgreSQL: the seed's errors block approval, a corrected
file after approval waits as pending, unapproving makes it current, the province accepts only a complete period."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tasks.batch import rerun_period_rows
from tasks.review.approvals import (
    ApprovalError, accept, approve, list_approvals, unaccept, unapprove, unit_approval,
)
from tasks.review.audit import audit_rows
from tasks.review.export import export_consolidation, read_consolidation
from tasks.review.queue import change_status, list_failures
from tests.steward_setup import load_inbox
from warehouse.db import engine_for

PERIOD = "2016-2020"
SEED_2018_ACTUAL = (172, 8)  # line 173 "- Số lớp" of Biểu 01, tab column 9: Năm 2018 / Thực hiện (8)


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request) -> str:
    """The same test on the embedded SQLite and on a real PostgreSQL database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def corrected_seed(seed: bytes, value: str = "7") -> bytes:
    """The seed with one cell rewritten: Biểu 01, Số lớp, 2018 actual (made up: the district's correction)."""
    lines = seed.decode("utf-8").split("\n")
    cells = lines[SEED_2018_ACTUAL[0]].split("\t")
    cells[8] = value
    lines[SEED_2018_ACTUAL[0]] = "\t".join(cells)
    return "\n".join(lines).encode("utf-8")


def seed_loaded(url: str, seed_bytes: bytes, tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "phong_tho_v1.txt").write_bytes(seed_bytes)
    load_inbox(url, inbox, tmp_path / "archive")
    return inbox


def waive_errors(url: str) -> list[str]:
    engine = engine_for(url)
    ids = [f["id"] for f in list_failures(engine, unit="109", severity="error", status="open")]
    for fid in ids:
        change_status(engine, fid, "waive", "tester", reason="known to the province")
    return ids


def rows(url: str, sql: str, **params) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def so_lop_2018(url: str) -> list[tuple]:
    return rows(url, "SELECT actual FROM plan_vs_actual WHERE unit_code = '109' AND form = 'BIEU_01' "
                     "AND group_no = '1' AND label = 'Số lớp' AND year = 2018")


def exported_so_lop_2018(url: str) -> list[float]:
    data = read_consolidation(engine_for(url), PERIOD, "12")
    return [f["value"] for f in data["facts"]
            if (f["form"], f["indicator"], f["year"], f["measure"]) == ("BIEU_01", "G1.SO_LOP", 2018, "actual")]


def test_approve_is_refused_while_the_seed_errors_are_open_and_allowed_once_waived(warehouse_url, seed_bytes, tmp_path):
    seed_loaded(warehouse_url, seed_bytes, tmp_path)
    engine = engine_for(warehouse_url)
    errors = [f["id"] for f in list_failures(engine, unit="109", severity="error", status="open")]
    assert len(errors) == 3  # annex_parent, annex_missing, narrative_figure
    state = unit_approval(engine, PERIOD, "109")
    assert (state.state, state.blocked, sorted(state.blocking)) == ("ready", True, sorted(errors))
    with pytest.raises(ApprovalError) as refused:
        approve(engine, PERIOD, "109", "approver1")
    assert all(fid[:12] in str(refused.value) for fid in errors)
    assert "3 open error failure(s)" in str(refused.value)

    waive_errors(warehouse_url)
    done = approve(engine, PERIOD, "109", "approver1")
    assert (done.state, done.approved_by) == ("approved", "approver1")
    with pytest.raises(ApprovalError, match="approved already"):
        approve(engine, PERIOD, "109", "approver2")
    trail = audit_rows(engine, "approval", "109|GNBV|2016-2020")
    assert [(r["who"], r["action"], r["before"]) for r in trail] == [("approver1", "approve", "ready")]
    states = {r.unit_code: r.state for r in list_approvals(engine, PERIOD, "12")}
    assert states["109"] == "approved" and len(states) == 8
    assert sum(1 for s in states.values() if s == "waiting") == 7


def test_a_corrected_seed_after_approval_is_pending_until_unapproved(warehouse_url, seed_bytes, tmp_path):
    inbox = seed_loaded(warehouse_url, seed_bytes, tmp_path)
    engine = engine_for(warehouse_url)
    waive_errors(warehouse_url)
    approve(engine, PERIOD, "109", "approver1")
    (inbox / "phong_tho_v2.txt").write_bytes(corrected_seed(seed_bytes))
    outcomes = load_inbox(warehouse_url, inbox, tmp_path / "archive")
    assert sorted(o.outcome for o in outcomes) == ["flagged", "skipped"]

    assert rows(warehouse_url, "SELECT source, version, is_current, pending FROM submissions ORDER BY version") == [
        ("phong_tho_v1.txt", 1, True, False), ("phong_tho_v2.txt", 2, False, True)]
    # views and the export keep the approved number
    assert so_lop_2018(warehouse_url) == [(8.0,)]
    assert exported_so_lop_2018(warehouse_url) == [8.0]
    export_consolidation(engine, PERIOD, tmp_path / "tong_hop.xlsx", "12")
    assert rows(warehouse_url, "SELECT COUNT(*) FROM findings_current WHERE rule = 'restatement'") == [(0,)]
    state = unit_approval(engine, PERIOD, "109")
    assert state.state == "approved" and len(state.pending) == 1
    pending = state.pending[0]
    assert (pending["version"], pending["changed"]) == (2, 1)
    change = pending["changes"][0]
    assert (change["form"], change["indicator"], change["year"], change["measure"]) == (
        "BIEU_01", "G1.SO_LOP", 2018, "actual")
    assert (change["approved"], change["pending"], change["source"]) == (8.0, 7.0, "L173:C9")

    with pytest.raises(ApprovalError, match="needs a reason"):
        unapprove(engine, PERIOD, "109", "approver1", " ")
    after = unapprove(engine, PERIOD, "109", "approver1", "the district corrected Số lớp 2018")
    assert (after.state, after.version, after.pending) == ("ready", 2, [])
    assert rows(warehouse_url, "SELECT source, is_current, pending FROM submissions ORDER BY version") == [
        ("phong_tho_v1.txt", False, False), ("phong_tho_v2.txt", True, False)]
    assert so_lop_2018(warehouse_url) == [(7.0,)]
    assert exported_so_lop_2018(warehouse_url) == [7.0]
    restated = rows(warehouse_url, "SELECT expected, actual, source FROM findings_current WHERE rule = 'restatement'")
    assert [(float(e), float(a), s) for e, a, s in restated] == [(8.0, 7.0, "L173:C9")]
    queued = list_failures(engine, unit="109", status="open")
    assert [f["rule"] for f in queued if f["rule"] == "restatement"] == ["restatement"]
    # v1's waived errors are the same failures in v2 with the same values and stay waived; what blocks a new
    # approval is what the correction itself broke: its total and its group's total no longer add up
    blocking = unit_approval(engine, PERIOD, "109").blocking
    opened = {f["id"]: (f["rule"], f["source"]) for f in list_failures(engine, unit="109", severity="error")
              if f["status"] == "open"}
    assert sorted(opened[fid] for fid in blocking) == [("group_total", "L178:C9"),
                                                      ("total_equals_sum_of_years", "L173:C5")]
    trail = audit_rows(engine, "approval", "109|GNBV|2016-2020")
    assert [r["action"] for r in trail] == ["approve", "unapprove"]
    assert trail[-1]["reason"] == "the district corrected Số lớp 2018"


def test_a_rerun_leaves_an_approved_report_as_it_is(warehouse_url, seed_bytes, tmp_path):
    seed_loaded(warehouse_url, seed_bytes, tmp_path)
    engine = engine_for(warehouse_url)
    waive_errors(warehouse_url)
    approve(engine, PERIOD, "109", "approver1")
    before = rows(warehouse_url, "SELECT id, value, source FROM facts ORDER BY id")
    outcomes = rerun_period_rows(engine, PERIOD)
    assert [(o.outcome, o.reason) for o in outcomes] == [("skipped", "approved: unapprove it to rerun")]
    assert rows(warehouse_url, "SELECT id, value, source FROM facts ORDER BY id") == before
    unapprove(engine, PERIOD, "109", "approver1", "rerun with today's rules")
    assert [o.outcome for o in rerun_period_rows(engine, PERIOD)] == ["flagged"]


def test_accept_is_refused_until_every_unit_of_the_province_is_approved(warehouse_url, seed_bytes, tmp_path,
                                                                         monkeypatch):
    seed_loaded(warehouse_url, seed_bytes, tmp_path)
    engine = engine_for(warehouse_url)
    with pytest.raises(ApprovalError) as refused:
        accept(engine, PERIOD, "12", "province")
    assert "8 of 8 unit(s) not approved" in str(refused.value) and "109 Phong Thổ (ready, blocked)" in str(refused.value)
    with pytest.raises(ApprovalError, match="Mường Tè \\(107\\) sent no report"):
        approve(engine, PERIOD, "107", "approver1")  # waiting: nothing to approve
    waive_errors(warehouse_url)
    approve(engine, PERIOD, "Phong Thổ", "approver1")  # by name as well as by code
    with pytest.raises(ApprovalError) as refused:
        accept(engine, PERIOD, "12", "province")
    assert "7 of 8 unit(s) not approved" in str(refused.value) and "(waiting)" in str(refused.value)
    assert "109" not in str(refused.value).split(":", 1)[1]

    own = tmp_path / "config"  # a province where only Phong Thổ must report this period
    own.mkdir()
    (own / "reporting.yaml").write_text(
        'province_code: "12"\nperiods:\n  "2016-2020":\n    program: GNBV\n    units: ["109"]\n', encoding="utf-8")
    monkeypatch.setenv("BAOCAO_CONFIG", str(own))
    done = accept(engine, PERIOD, "12", "province")
    assert (done["program"], done["units"]) == ("GNBV", 1)
    assert unit_approval(engine, PERIOD, "109").state == "accepted"
    with pytest.raises(ApprovalError, match="unaccept it first"):
        unapprove(engine, PERIOD, "109", "approver1", "late correction")
    with pytest.raises(ApprovalError, match="needs a reason"):
        unaccept(engine, PERIOD, "12", "province", "")
    unaccept(engine, PERIOD, "12", "province", "Phong Thổ sends a correction")
    assert unit_approval(engine, PERIOD, "109").state == "approved"
    assert [r["action"] for r in audit_rows(engine, "acceptance")] == ["accept", "unaccept"]


def test_the_cli_refuses_with_the_failure_ids_and_approves_once_waived(baocao_env, seed_bytes, tmp_path):
    from flows.cli import app

    url = f"sqlite:///{baocao_env / 'warehouse.db'}"
    baocao_env.mkdir(parents=True, exist_ok=True)
    seed_loaded(url, seed_bytes, tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["failures", "list", "--unit", "109", "--severity", "error"])
    ids = [line.split()[0] for line in listed.output.splitlines() if "error" in line]
    assert len(ids) == 3
    refused = runner.invoke(app, ["approvals", "approve", "--period", PERIOD, "--unit", "109", "--by", "an"])
    assert refused.exit_code == 1
    assert all(fid in refused.output for fid in ids)
    for fid in ids:
        assert runner.invoke(app, ["failures", "waive", fid, "--reason", "known", "--by", "binh"]).exit_code == 0
    approved = runner.invoke(app, ["approvals", "approve", "--period", PERIOD, "--unit", "109", "--by", "an"])
    assert approved.exit_code == 0, approved.output
    assert "approved by an" in approved.output
    listing = runner.invoke(app, ["approvals", "list", "--period", PERIOD, "--format", "json"])
    import json

    states = {r["unit_code"]: r["state"] for r in json.loads(listing.output)["approvals"]}
    assert states["109"] == "approved"
    assert runner.invoke(app, ["approvals", "unapprove", "--period", PERIOD, "--unit", "109"]).exit_code == 2
    refused = runner.invoke(app, ["approvals", "accept", "--period", PERIOD, "--province", "12"])
    assert refused.exit_code == 1 and "7 of 8 unit(s) not approved" in refused.output
