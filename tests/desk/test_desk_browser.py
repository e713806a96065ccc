"""The desk in Debian's Chromium (Playwright, no browser download), served by uvicorn on SQLite and on PostgreSQL:
sign in, filter, open the seed's 11-versus-9 failure, waive it, see the audit row, sign out; axe on every page."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.desk.conftest import PASSWORD, prepare, serve, stop
from tests.steward_setup import ROOT

SHOTS = Path(os.environ.get("BAOCAO_DESK_SHOTS", ROOT / "tests" / "output" / "desk"))

pytestmark = pytest.mark.slow




@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def desk(request, tmp_path):
    """The desk served on a warehouse of each kind, loaded with examples/inbox."""
    url = request.getfixturevalue("sqlite_url") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    prepare(url, tmp_path)
    base, proc = serve(url, tmp_path)
    yield base, request.param, tmp_path
    stop(proc)
    from warehouse.db import engine_for

    engine_for(url).dispose()


def offline_page(browser, base: str, width: int = 1280, height: int = 800):
    """A page that may reach the desk and nothing else (every other request is refused and remembered)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    refused: list[str] = []

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page, refused


def sign_in(page, base: str, name: str = "lan") -> None:
    page.goto(base + "/queue")
    assert "/login" in page.url
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r".*/queue.*"))


def test_sign_in_filter_open_waive_audit_sign_out(browser, desk):
    base, kind, folder = desk
    page, refused = offline_page(browser, base)
    sign_in(page, base)
    assert page.locator("table.queue tbody tr").count() > 5
    page.select_option("#f-rule", "narrative_figure")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)  # the seed's and a made-up report's
    page.select_option("#f-unit", "Phong Thổ")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    assert "rule=narrative_figure" in page.url
    row = page.locator("table.queue tbody tr").first
    assert "11" in row.inner_text() and "Phong Thổ" in row.inner_text()
    row.locator("a.failure-link").click()
    page.wait_for_url(re.compile(r".*/failures/[0-9a-f]{40}$"))
    # the blank Tổng số / Thực hiện cell of "Số buổi" is the failing cell; the years 5 and 4 are what it adds up
    here = page.locator("table.grid td.here")
    assert here.count() == 1 and here.get_attribute("data-ref") == "L192:C5"
    assert sorted(page.locator("table.grid td.from").all_inner_texts()) == ["", "", "4", "5"]
    assert page.locator("pre.excerpt .here").inner_text().strip().startswith("75")
    assert "11" in page.locator("p.msg[lang=vi]").inner_text()
    page.screenshot(path=str(folder / f"failure-{kind}.png"), full_page=True)
    page.fill("#waive-reason", "Huyện xác nhận 9 buổi; phần lời viết nhầm")
    page.click("button#waive")
    page.wait_for_load_state("load")
    assert page.inner_text("#status") == "miễn trừ"
    audit = page.locator("li.audit-entry[data-action=waive]")
    assert audit.count() == 1
    assert "lan" in audit.inner_text() and "open → waived" in audit.inner_text()
    assert "Huyện xác nhận 9 buổi" in audit.inner_text()
    page.click("button#logout")
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(base + "/queue")
    assert "/login" in page.url
    assert refused == []
    page.close()
    log = (folder / "desk.log").read_text(encoding="utf-8", errors="replace")
    assert "POST /login" in log and PASSWORD not in log  # uvicorn's access log names the request, never the form


PAGES = {"queue": "/queue", "period": "/periods/2016-2020"}


def test_pages_pass_axe_and_are_shot_at_desktop_and_phone_width(browser, desk):
    """axe-core (shipped by axe-playwright-python, run offline) finds no serious or critical violation; screenshots."""
    from axe_playwright_python.sync_playwright import Axe

    base, kind, _folder = desk
    page, refused = offline_page(browser, base)
    sign_in(page, base)
    page.goto(base + "/queue?rule=narrative_figure")
    failure = page.locator("a.failure-link").first.get_attribute("href")
    page.goto(base + failure)
    submission = page.locator("p.crumbs a[href^='/submissions/']").get_attribute("href")
    urls = {"queue": "/queue", "failure": failure, "submission": submission, "period": "/periods/2016-2020"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    worst = {}
    for name, path in urls.items():
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if name == "period":
            page.wait_for_selector(".vega svg")
        result = axe.run(page)
        worst[name] = [(v["id"], v["impact"]) for v in result.response["violations"]
                       if v["impact"] in ("serious", "critical")]
        page.screenshot(path=str(SHOTS / f"{name}-{kind}.png"), full_page=True)
    phone, _ = offline_page(browser, base, width=390, height=844)
    sign_in(phone, base)
    for name, path in urls.items():
        phone.goto(base + path)
        phone.wait_for_load_state("networkidle")
        # readable at phone width: the page itself does not scroll sideways (wide tables scroll in their box)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1, name
        phone.screenshot(path=str(SHOTS / f"{name}-{kind}-phone.png"), full_page=True)
    assert worst == {name: [] for name in urls}
    assert refused == []
