"""The steward's report in a real browser (Debian's chromium via Playwright), from disk, with the network off."""
from __future__ import annotations

from pathlib import Path

import pytest

from tasks.review.steward import review_warehouse

from tests.steward_setup import INBOX, ROOT, load_inbox

OUTPUT = ROOT / "tests" / "output"




@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The example inbox loaded, checked and reported once for the module (the checkpoint takes seconds)."""
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    load_inbox(url, INBOX, folder / "archive")
    return review_warehouse(url, folder / "report", period="2016-2020")


def offline_page(browser):
    """A page whose every request that is not a file on disk is refused (and remembered)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    refused: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page, refused


def test_report_opens_offline_with_findings_charts_and_data_docs(browser, report):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page, refused = offline_page(browser)
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    body = page.inner_text("body")
    # the seed's errors, in Vietnamese first
    assert "Biểu 02 (dòng 187) ghi kèm theo Báo cáo số 2043/BC-UBND (18/10/2020)" in body
    assert "Mục III.3 (dòng 111) viết 'có biểu 03 chi tiết kèm theo'" in body
    assert "Tổng số / Thực hiện (dòng 192, cột 5) để trống" in body
    # the blank total, and the narrative's 11 sessions compared with it, both point at the "Số buổi" row
    assert page.locator("pre.excerpt .here", has_text="Số buổi").count() >= 1
    assert page.inner_text("b.reported") == "3"
    assert "says it is attached to report 2043/BC-UBND" not in body  # English hidden until the toggle
    page.click("button#lang")
    assert "says it is attached to report 2043/BC-UBND" in page.inner_text("body")
    # Vega-Lite charts drawn by the vendored vega-embed: 8 indicators, 3 units, plan and actual bars each
    page.wait_for_function("document.querySelectorAll('.chart svg .mark-rect path').length >= 8", timeout=20000)
    bars = page.eval_on_selector_all(".chart svg", "svgs => svgs.map(s => s.querySelectorAll('.mark-rect path').length)")
    assert len(bars) == 8 and all(n >= 3 for n in bars)
    page.hover(".chart svg .mark-rect path >> nth=0")
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000)
    assert "Đơn vị (unit)" in tooltip.inner_text()
    page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)
    csv_href = page.get_attribute("a[download]", "href")
    assert (report.parent / csv_href).read_text(encoding="utf-8-sig").startswith("id,status,severity")

    page.click("a#datadocs")
    page.wait_for_load_state("load")
    assert page.url.endswith("/datadocs/index.html")
    # styles only the vendored copies give: bootstrap's flex navbar, Font Awesome's web font, jQuery
    assert page.eval_on_selector(".navbar", "e => getComputedStyle(e).display") == "flex"
    assert "BlinkMacSystemFont" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert page.evaluate("typeof window.jQuery") == "function"
    page.evaluate("document.fonts.load('900 16px \"Font Awesome 6 Free\"')")
    assert page.evaluate("Array.from(document.fonts).some(f => f.family.includes('Font Awesome 6 Free')"
                         " && f.status === 'loaded')") is True
    assert page.locator("text=plan_actual_pairs").count() >= 1
    page.screenshot(path=str(OUTPUT / "datadocs.png"), full_page=True)
    assert refused == []
    page.close()


def test_data_docs_pages_name_no_remote_script_or_style(report):
    from tasks.review.datadocs import RESOURCE

    pages = list((report.parent / "datadocs").rglob("*.html"))
    assert len(pages) >= 5
    remote = [p.name for p in pages if RESOURCE.search(p.read_text(encoding="utf-8"))]
    assert remote == []
