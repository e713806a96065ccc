"""The desk's pages on examples/inbox: the queue's filters, sorts, counts and bulk decisions; one failure; one
submission with its narrative figures tied to cells; one period; the English toggle."""
from __future__ import annotations

import re

from sqlalchemy import text

from tests.desk.conftest import client_for

FAILURE = re.compile(r'href="/failures/([0-9a-f]{40})"')


def rows_of(page: str) -> list[str]:
    return re.findall(r"<tr>\s*<td><input type=\"checkbox\".*?</tr>", page, re.S)


def test_queue_filters_counts_sorts_and_free_text(app, warehouse):
    url, _ = warehouse
    lan, _ = client_for(app, "lan")
    page = lan.get("/queue").text
    counts = {s: int(n) for s, n in re.findall(r'class="status (\w+)">[^<]*: <b>(\d+)</b>', page)}
    from warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        in_db = dict(conn.execute(text("SELECT status, COUNT(*) FROM failures WHERE unit_code IN "
                                       "(SELECT code FROM reporting_units WHERE province_code = '12') "
                                       "GROUP BY status")).all())
    assert {k: v for k, v in counts.items() if v} == in_db
    errors = lan.get("/queue?severity=error").text
    assert rows_of(errors) and all('class="error"' in r for r in rows_of(errors))
    phong = lan.get("/queue?q=phong").text
    assert rows_of(phong) and all("Phong Thổ" in r for r in rows_of(phong))
    by_unit = [re.findall(r"<td>([^<]*)</td>", r)[0] for r in rows_of(lan.get("/queue?sort=unit&desc=1").text)]
    assert by_unit == sorted(by_unit, reverse=True) and len(set(by_unit)) > 1


def test_bulk_waive_with_one_reason_and_assign(app, warehouse):
    url, _ = warehouse
    lan, csrf = client_for(app, "lan")
    ids = FAILURE.findall(lan.get("/queue?rule=period_coverage&status=open").text)
    assert len(ids) >= 2
    r = lan.post("/queue/bulk", data={"ids": ids, "action": "waive", "reason": "giai đoạn bắt đầu 2017",
                                      "csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"].endswith(f"done={len(ids)}")
    from warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT object_id, reason FROM audit WHERE action = 'waive' "
                                 "AND reason = 'giai đoạn bắt đầu 2017'")).all()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert lan.post(f"/failures/{ids[0]}/assign", data={"assignee": "lan", "csrf_token": csrf}).status_code == 303
    assert FAILURE.findall(lan.get("/queue?assignee=lan").text) == [ids[0]]
    trail = lan.get(f"/failures/{ids[0]}/audit.csv").text.splitlines()
    assert trail[0].lstrip("\ufeff").startswith("id,at,who,action") and [line.split(",")[3] for line in trail[1:]] == [
        "waive", "assign"]
    # a steward of another province cannot be given a Lai Châu failure
    assert lan.post(f"/failures/{ids[1]}/assign", data={"assignee": "minh", "csrf_token": csrf}).status_code == 400


def test_a_waiver_needs_a_reason(app):
    lan, csrf = client_for(app, "lan")
    fid = FAILURE.findall(lan.get("/queue?rule=annex_parent").text)[0]
    r = lan.post(f"/failures/{fid}/waive", data={"reason": "  ", "csrf_token": csrf})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert 'id="status">mở<' in lan.get(f"/failures/{fid}").text


def test_submission_ties_narrative_figures_to_cells_and_failing_cells_to_failures(app):
    lan, _ = client_for(app, "lan")
    fid = FAILURE.findall(lan.get("/queue?rule=narrative_figure&unit=109").text)[0]
    sub = re.search(r'href="/submissions/([0-9a-f]{64})"', lan.get(f"/failures/{fid}").text)[1]
    page = lan.get(f"/submissions/{sub}").text
    eleven = re.search(r'<tr class="failing"><td>75</td><td>11 buổi</td>.*?</tr>', page, re.S)[0]
    assert 'href="#cell-L192-C5"' in eleven and f'href="/failures/{fid}"' in eleven and "9.0" in eleven
    assert 'id="cell-L192-C5"' in page  # the anchor exists in the Biểu 02 grid
    assert re.search(r'<td data-ref="L192:C5" id="cell-L192-C5" class="failing"><a href="/failures/', page)
    assert page.count("<table class=\"grid\"") == 2  # Biểu 01 and Biểu 02 as the district wrote them


def test_period_units_charts_totals_export_and_english(app):
    lan, _ = client_for(app, "lan")
    page = lan.get("/periods/2016-2020").text
    assert page.count('class="status missing"') == 5 and page.count('class="status late"') == 1
    # the 8 catalogued rows, and the made-up report's "Số buổi <script>…" row, its "<" written \u003c in the spec
    assert page.count('class="vega-spec"') == 9 and "Số buổi \\u003cscript>" in page
    assert "Tổng cộng số người" in page
    export = lan.get("/periods/2016-2020/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert lan.get("/periods/1999").status_code == 404
    lan.get("/lang/en?next=/queue")
    assert "<h1>Failure queue</h1>" in lan.get("/queue").text
    assert lan.get("/lang/en?next=//evil.example").headers["location"] == "/queue"
