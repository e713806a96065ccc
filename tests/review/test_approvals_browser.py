"""Approval on the desk in a real browser (Debian's chromium via Playwright): approve a unit, see the lock, see the
pending version with its changed cell once the district's corrected file arrives."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from tasks.review.accounts import add_user
from tests.review.test_approvals import corrected_seed, seed_loaded, so_lop_2018, waive_errors
from tests.review.test_notices import free_port
from tests.steward_setup import load_inbox
from warehouse.db import engine_for

pytestmark = pytest.mark.slow




def serve_desk(url: str):
    """The desk on `url` in a uvicorn thread on a free loopback port; returns (base address, server)."""
    import uvicorn

    from flows.desk.app import create_app
    from flows.desk.security import DeskSettings

    app = create_app(DeskSettings(warehouse_url=url, idle=timedelta(minutes=30), province_code="12"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}", server


def test_approve_on_the_desk_see_the_lock_and_the_pending_version(browser, seed_bytes, tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    inbox = seed_loaded(url, seed_bytes, tmp_path)
    engine = engine_for(url)
    add_user(engine, "an", "approver", "12", "mật khẩu dài", by="admin")
    base, server = serve_desk(url)
    try:
        page = browser.new_page()
        # the desk answers /favicon.ico with a redirect to /login, whose new sign-in cookie would void the form's
        # token (the desk branch's bug, reported there); the test keeps the browser from asking
        page.route("**/favicon.ico", lambda route: route.abort())
        page.goto(f"{base}/login?next=/approvals")
        page.fill("#username", "an")
        page.fill("#password", "mật khẩu dài")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/approvals")
        row = page.locator("#unit-109")
        # the seed's open errors block it: no box to tick, the failures named
        assert row.get_attribute("data-state") == "ready"
        assert page.locator("#pick-109").is_disabled()
        assert row.locator("a[href^='/failures/']").count() == 3

        waive_errors(url)
        page.reload()
        page.check("#pick-109")
        page.click("#approve-selected")
        page.wait_for_selector("#note")
        assert "109" in page.inner_text("#note")
        row = page.locator("#unit-109")
        assert row.get_attribute("data-state") == "approved"
        assert "khóa" in row.inner_text()  # locked, in Vietnamese first
        assert "an " in row.inner_text()

        (inbox / "phong_tho_v2.txt").write_bytes(corrected_seed(seed_bytes))
        load_inbox(url, inbox, tmp_path / "archive")
        page.reload()
        pending = page.locator("#pending-109-2")
        assert pending.is_visible()
        assert pending.locator(".changed").inner_text() == "1"
        text = pending.inner_text()
        assert "Số lớp" in text and "2018" in text and "8 → 7" in text and "L173:C9" in text
        assert so_lop_2018(url) == [(8.0,)]  # the lock holds in the views

        page.select_option("#unapprove-unit", "109")
        page.fill("#unapprove-reason", "Phong Thổ corrected Số lớp 2018")
        page.click("#unapprove button[type=submit]")
        page.wait_for_selector("#note")
        assert page.locator("#unit-109").get_attribute("data-state") == "ready"
        assert page.locator("#pending-109-2").count() == 0
        assert so_lop_2018(url) == [(7.0,)]
        page.screenshot(path=str(tmp_path / "approvals.png"), full_page=True)
    finally:
        server.should_exit = True
