"""Completeness of a period on inline submissions; the annexes of one report in `check`'s output."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app
from tasks.check.completeness import Received, annexes_of, check_completeness, expected_units, summarize_completeness
from tasks.read.submission import read_document

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {"province_code": "12", "periods": {"2020": {
    "due": "2021-01-15", "late_by": "received_date", "annexes": ["01", "02"]}}}


def test_expected_units_are_the_districts_of_lai_chau():
    units = expected_units("2020", config=CONFIG)
    assert len(units) == 8 and units["109"] == "Phong Thổ" and units["105"] == "Lai Châu"
    only = {"periods": {"2020": {"units": ["106", "109"]}}, "province_code": "12"}
    assert expected_units("2020", config=only) == {"106": "Tam Đường", "109": "Phong Thổ"}


def test_who_reported_who_did_not_who_was_late():
    received = [
        Received("109", "2020", date(2021, 1, 10), date(2021, 1, 12), ("01", "02"), ("01", "02", "03"), "12/BC-UBND"),
        Received("106", "2020", date(2021, 1, 14), date(2021, 1, 20), ("01",), ("01",), "7/BC-UBND"),
        Received("108", "2019", date(2020, 1, 14), date(2020, 1, 14), ("01", "02")),  # another period
        Received("301", "2020", date(2021, 1, 5), date(2021, 1, 5), ("01", "02")),  # not of this province
    ]
    rows = {r.unit_code: r for r in check_completeness("2020", received, config=CONFIG)}
    assert rows["109"].status == "on_time" and rows["109"].annexes_missing == ["03"]  # referenced, not sent
    assert (rows["106"].status, rows["106"].days_late, rows["106"].annexes_missing) == ("late", 5, ["02"])
    assert rows["108"].status == "missing" and rows["108"].annexes_missing == ["01", "02"]
    assert rows["301"].status == "unexpected"
    summary = summarize_completeness(list(rows.values()))
    assert summary["expected"] == 8 and summary["late"] == ["Tam Đường"]
    assert sorted(summary["missing"]) == sorted(["Lai Châu", "Mường Tè", "Sìn Hồ", "Than Uyên", "Tân Uyên", "Nậm Nhùn"])


def test_late_by_report_date_and_no_due_date():
    received = [Received("109", "2020", date(2021, 1, 16), None, ("01", "02"))]
    by_report = {"province_code": "12", "periods": {"2020": {"due": "2021-01-15", "late_by": "report_date"}}}
    rows = {r.unit_code: r for r in check_completeness("2020", received, config=by_report)}
    assert (rows["109"].status, rows["109"].days_late) == ("late", 1)
    no_due = {"province_code": "12", "periods": {"2020": {}}}
    (row,) = [r for r in check_completeness("2020", received, config=no_due) if r.unit_code == "109"]
    assert row.status == "reported" and row.annexes_missing == []


def test_annexes_of_the_seed(seed_bytes):
    doc = read_document(seed_bytes, "seed.txt")
    assert annexes_of(doc) == {"referenced": ["01", "02", "03"], "attached": ["01", "02"], "missing": ["03"],
                               "unreferenced": []}


def test_check_json_lists_annexes(seed_path):
    out = CliRunner().invoke(app, ["check", "--format", "json", str(seed_path)])
    sub = json.loads(out.stdout)["submissions"][0]
    assert sub["annexes"]["referenced"] == ["01", "02", "03"] and sub["annexes"]["missing"] == ["03"]
    assert {"report", "facts", "findings"} <= set(sub)  # existing keys stay


def test_completeness_command_over_the_example_inbox():
    files = sorted(str(p) for p in (ROOT / "examples" / "inbox").glob("*.txt"))
    out = CliRunner().invoke(app, ["completeness", "--period", "2016-2020", "--format", "json", *files])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)["summary"]
    assert sorted(summary["reported"]) == ["Phong Thổ", "Sìn Hồ", "Tam Đường"]
    assert sorted(summary["missing"]) == sorted(["Lai Châu", "Mường Tè", "Than Uyên", "Tân Uyên", "Nậm Nhùn"])
