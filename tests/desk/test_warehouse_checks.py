"""A failed warehouse check reaches the desk under the report it is about: a province's steward sees it in the queue,
opens it, and finds the report's file and unit on its page."""
from __future__ import annotations

import re

from tests.desk.conftest import client_for, prepare


def test_a_reports_failed_warehouse_check_is_on_its_provinces_desk(tmp_path, monkeypatch):
    from flows.desk.app import create_app
    from tasks.review.expectations import check_warehouse
    from tasks.review.queue import list_failures, sync_failures
    from tests.steward_setup import SEED_NAME
    from warehouse.db import engine_for

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    prepare(url, tmp_path)
    assert "plan_actual_complete" in check_warehouse(url)["failed"]  # the seed leaves Biểu 02's actual totals blank
    engine = engine_for(url)
    sync_failures(engine)
    [check] = [f for f in list_failures(engine) if f["rule"] == "expectation"]
    assert check["file"] == SEED_NAME and check["unit_code"]

    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", url)
    monkeypatch.setenv("BAOCAO_PROVINCE_CODE", "12")
    app = create_app()
    lan, _ = client_for(app, "lan")  # Lai Châu's steward
    queue = lan.get("/queue").text
    assert f'href="/failures/{check["id"]}"' in queue
    page = lan.get(f"/failures/{check['id']}")
    assert page.status_code == 200
    assert "Kiểm tra kho dữ liệu không đạt ở báo cáo này" in page.text and SEED_NAME in page.text
    minh, _ = client_for(app, "minh")  # Hà Nội's steward: not theirs
    assert f'href="/failures/{check["id"]}"' not in minh.get("/queue").text
    assert minh.get(f"/failures/{check['id']}").status_code in (403, 404)
