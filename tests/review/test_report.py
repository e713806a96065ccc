"""The steward's report as files: overview counts, quarantined files, CSV, and the `baocao report` command."""
from __future__ import annotations

import csv
import json
import re
import io

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from flows.cli import app
from tasks.review.queue import list_failures
from warehouse.db import downgrade, engine_for, upgrade

from tests.steward_setup import INBOX, load_inbox


@pytest.fixture()
def inbox_with_a_bad_file(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in INBOX.iterdir():
        (inbox / f.name).write_bytes(f.read_bytes())
    (inbox / "hong.docx").write_bytes(b"PK\x03\x04 not really a zip")
    return inbox


def test_report_command_writes_overview_failures_and_csv(tmp_path, sqlite_url, monkeypatch, inbox_with_a_bad_file):
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", sqlite_url)
    load_inbox(sqlite_url, inbox_with_a_bad_file, tmp_path / "archive")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--period", "2016-2020", "--out", str(out), "--no-expectations"])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<b class="reported">3</b>' in html and '<b class="missing">5</b>' in html  # Lai Châu has 8 districts
    assert "Mường Tè" in html and "Phong Thổ" in html
    assert html.index('lang="vi"') < html.index('lang="en"')  # Vietnamese first
    assert 'id="quarantine"' in html and "hong.docx" in html
    unreadable = [f for f in list_failures(engine_for(sqlite_url)) if f["rule"] == "unreadable"]
    assert len(unreadable) == 1 and unreadable[0]["status"] == "open"
    specs = [json.loads(m) for m in re.findall(r'<script type="application/json" class="chart-spec"[^>]*>(.*?)</script>',
                                                html)]
    assert len(specs) == 8 and all(s["mark"]["tooltip"] for s in specs)
    assert {v["unit_name"] for s in specs for v in s["data"]["values"]} == {"Phong Thổ", "Sìn Hồ", "Tam Đường"}
    assert not (out / "charts").exists() and "<svg" not in html  # the browser draws them
    assert all((out / "vendor" / name).is_file() for name in ("vega-embed@6.29.0/vega-embed.min.js",
                                                              "vega-lite@5.23.0/vega-lite.min.js"))
    rows = list(csv.DictReader(io.StringIO((out / "failures-2016-2020.csv").read_text(encoding="utf-8-sig"))))
    assert {r["rule"] for r in rows if r["unit_code"] == "109" and r["severity"] == "error"} == {
        "annex_parent", "annex_missing", "narrative_figure"}
    assert 'id="datadocs"' not in html  # no checkpoint ran, so no link to Data Docs


@pytest.mark.parametrize("which", ["sqlite", "postgresql"])
def test_migration_0003_goes_up_and_down(which, request):
    url = request.getfixturevalue("sqlite_url" if which == "sqlite" else "pg_url")
    upgrade(url)
    tables = set(inspect(engine_for(url)).get_table_names())
    assert {"failures", "failure_events", "expectation_findings"} <= tables
    downgrade(url, "0002")
    assert not {"failures", "failure_events", "expectation_findings"} & set(inspect(engine_for(url)).get_table_names())
    upgrade(url)
    assert "failures" in inspect(engine_for(url)).get_table_names()


def test_report_escapes_what_districts_wrote(tmp_path, sqlite_url):
    from sqlalchemy import update

    from tasks.review.report import write_report
    from warehouse.models import Failure

    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(update(Failure.__table__).where(Failure.__table__.c.rule == "annex_parent")
                     .values(message_vi="<script>alert(1)</script> Biểu 02", source='"><img src=x>'))
    html = write_report(engine, tmp_path / "report", period="2016-2020").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Biểu 02" in html
    assert '"><img src=x>' not in html
