"""The steward's report: a static site that opens from disk (no network), Vietnamese first, English on a toggle."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

from sqlalchemy import Engine, select

from config.settings import load_settings
from tasks.review.charts import copy_scripts, embed_script, plan_vs_actual_spec, spec_json
from tasks.review.queue import failures_csv, list_failures, source_excerpt
from warehouse.models import Fact, Submission

STYLE = """
:root{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2733;background:#fbfbfd}
body{max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
html[data-lang=vi] .en, html[data-lang=en] .vi{display:none}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #b3261e}
h1{font-size:1.5rem} h2{margin-top:2rem;border-bottom:1px solid #ccd} h3{margin-top:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0} th,td{border:1px solid #ccd;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#eef0f5} td.n{text-align:right}
.error{color:#b3261e;font-weight:600} .warning{color:#8a5a00;font-weight:600} .info{color:#3b5b8a}
.status{font-size:.85em;padding:.1rem .4rem;border-radius:.3rem;background:#eee} .status.waived{background:#e6f4ea} .status.open{background:#fde7e9}
pre.excerpt{font-family:inherit;background:#f3f4f8;padding:.4rem;white-space:pre-wrap;word-break:break-word;font-size:.8rem;margin:.3rem 0}
pre.excerpt .here{background:#ffe08a;display:block}
.charts{display:flex;flex-wrap:wrap;gap:1rem} .charts figure{margin:0;padding:.3rem;border:1px solid #ccd;background:#fff;overflow-x:auto;max-width:100%}
button#lang{font-size:1rem;padding:.3rem .8rem;cursor:pointer}
code{font-size:.85em}
"""
SCRIPT = """
(function(){
  var root=document.documentElement, key='baocao-lang';
  try{ if(localStorage.getItem(key)) root.setAttribute('data-lang', localStorage.getItem(key)); }catch(e){}
  document.getElementById('lang').addEventListener('click', function(){
    var next = root.getAttribute('data-lang')==='vi' ? 'en' : 'vi';
    root.setAttribute('data-lang', next); root.setAttribute('lang', next);
    try{ localStorage.setItem(key, next); }catch(e){}
  });
})();
"""
SEVERITY_WORDS = {"error": ("lỗi", "error"), "warning": ("cảnh báo", "warning"), "info": ("thông tin", "info")}
STATUS_WORDS = {"open": ("mở", "open"), "acknowledged": ("đã ghi nhận", "acknowledged"),
                "waived": ("miễn trừ", "waived"), "resolved": ("đã hết", "resolved")}


def both(vi: str, en: str) -> str:
    """The same words in Vietnamese and English; the page shows one at a time."""
    return f'<span class="vi" lang="vi">{escape(vi)}</span><span class="en" lang="en">{escape(en)}</span>'


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


def current_submissions(engine: Engine, period: str) -> list[dict]:
    """The period's current submissions, by unit (a quarantined file has no period: see quarantine_section)."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(Submission.__table__).where(Submission.period == period, Submission.is_current.is_(True))
            .order_by(Submission.unit_name, Submission.report_number)).mappings()]


def periods_of(engine: Engine) -> list[str]:
    """Every period the warehouse holds a current submission for."""
    with engine.connect() as conn:
        return sorted(p for p in conn.execute(
            select(Submission.period).where(Submission.is_current.is_(True)).distinct()).scalars() if p)


MAX_CHART_UNITS = 40  # bars beyond this are unreadable; the tables below carry every unit


def chart_specs(engine: Engine, period: str) -> list[tuple[str, dict]]:
    """One Vega-Lite spec per form and indicator row: plan beside actual of the phase total, per reporting unit."""
    with engine.connect() as conn:
        query = (
            select(Fact.form, Fact.group_no, Fact.label, Fact.indicator, Fact.unit, Fact.measure, Fact.value,
                   Submission.unit_name)
            .join(Submission, Submission.id == Fact.submission_id)
            .where(Submission.period == period, Submission.is_current.is_(True), Fact.year.is_(None))
        )
        # the steward's province: a warehouse that also holds other provinces (a national corpus) would draw
        # charts of hundreds of bars nobody can read
        province = load_settings().province_code
        rows = conn.execute(query.where(Submission.province_code == province)).all() or conn.execute(query).all()
    series: dict[tuple, dict] = {}
    for r in rows:
        key = (r.form, r.indicator or f"{r.group_no or ''}.{r.label}")
        entry = series.setdefault(key, {"label": r.label, "group": r.group_no, "unit": r.unit, "rows": []})
        entry["rows"].append({"unit_name": r.unit_name or "?", "measure": r.measure, "value": r.value})
    charts = []
    for (form, _indicator), entry in sorted(series.items()):
        units = set(sorted({row["unit_name"] for row in entry["rows"]})[:MAX_CHART_UNITS])
        title = f"{form.replace('BIEU_', 'Biểu ')} — {entry['group'] + '. ' if entry['group'] else ''}{entry['label']}"
        charts.append((title, plan_vs_actual_spec([row for row in entry["rows"] if row["unit_name"] in units],
                                                  title=title[:70], unit=entry["unit"] or "")))
    return charts


def missing_units(reported_codes: set[str]) -> list[str]:
    """Districts of the province (BAOCAO_PROVINCE_CODE) with no current report for the period."""
    from config.units import districts_of

    return [u.name for u in districts_of(load_settings().province_code) if u.code not in reported_codes]


def _failure_rows(failures: list[dict], archives: dict[str, str | None]) -> str:
    """A table of failures, each with its message in both languages and the archived lines around its cell."""
    out = []
    files: dict = {}  # each archived file read and decoded once for all its failures
    for f in failures:
        sev_vi, sev_en = SEVERITY_WORDS.get(f["severity"], (f["severity"], f["severity"]))
        st_vi, st_en = STATUS_WORDS.get(f["status"], (f["status"], f["status"]))
        excerpt = source_excerpt(archives.get(f["submission_id"] or ""), f["source"], cache=files)
        pre = ""
        if excerpt:
            pre = '<pre class="excerpt">' + "".join(
                f'<span class="{"here" if e.here else "line"}">{escape(str(e.number)):>5} │ {escape(e.text)}</span>'
                + ("" if e.here else "\n") for e in excerpt) + "</pre>"
        waiver = ""
        if f["status"] == "waived":
            waiver = f'<div>{both("Lý do: ", "Reason: ")}{escape(f["reason"] or "")} — {escape(f["steward"] or "")}' \
                     f'{" → " + f["until"].isoformat() if f["until"] else ""}</div>'
        out.append(
            f'<tr class="failure" data-id="{escape(f["id"])}" data-rule="{escape(f["rule"])}">'
            f'<td><code>{escape(f["id"][:12])}</code></td>'
            f'<td><span class="status {escape(f["status"])}">{both(st_vi, st_en)}</span></td>'
            f'<td class="{escape(f["severity"])}">{both(sev_vi, sev_en)}</td>'
            f'<td><code>{escape(f["rule"])}</code></td>'
            f'<td>{both(f["message_vi"], f["message_en"])}{waiver}{pre}</td>'
            f'<td><code>{escape(f["source"] or "")}</code></td></tr>')
    head = (f'<tr><th>id</th><th>{both("Trạng thái", "Status")}</th><th>{both("Mức", "Severity")}</th>'
            f'<th>{both("Quy tắc", "Rule")}</th><th>{both("Nội dung", "Finding")}</th><th>{both("Ô", "Cell")}</th></tr>')
    return f'<table class="failures">{head}{"".join(out)}</table>'


def period_parts(engine: Engine, period: str, out: Path) -> Iterator[str]:
    """A period's section piece by piece (a submission at a time), so a national report is written, not held."""
    subs = current_submissions(engine, period)
    failures = [f for f in list_failures(engine, period=period) if f["status"] != "resolved"]
    csv_name = f"failures-{_slug(period)}.csv"
    (out / csv_name).write_text(failures_csv(failures), encoding="utf-8-sig")
    archives = {s["id"]: s["archive_path"] for s in subs}
    of_submission: dict[str | None, list[dict]] = {}
    for f in failures:
        of_submission.setdefault(f["submission_id"], []).append(f)
    del failures
    reported = [s for s in subs if s["status"] != "quarantined"]
    missing = missing_units({s["unit_code"] for s in reported if s["unit_code"]})
    by_unit_rows = []
    for s in reported:
        mine = of_submission.get(s["id"], [])
        count = {sev: sum(1 for f in mine if f["severity"] == sev and f["status"] != "waived")
                 for sev in ("error", "warning", "info")}
        waived = sum(1 for f in mine if f["status"] == "waived")
        by_unit_rows.append(
            f'<tr><td><a href="#s-{escape(s["id"][:12])}">{escape(s["unit_name"] or "?")}</a></td>'
            f'<td>{escape(s["report_number"] or "")}</td><td>{escape(s["source"])}</td>'
            f'<td class="n error">{count["error"]}</td><td class="n warning">{count["warning"]}</td>'
            f'<td class="n info">{count["info"]}</td><td class="n">{waived}</td></tr>')
    overview = (
        f'<p class="overview">{both("Đơn vị đã báo cáo", "Units reported")}: <b class="reported">{len(reported)}</b>; '
        f'{both("chưa báo cáo", "missing")}: <b class="missing">{len(missing)}</b>'
        f'{" (" + escape(", ".join(missing)) + ")" if missing else ""}. '
        f'<a href="{csv_name}" download>{both("Tải danh sách lỗi (CSV)", "Download the failure list (CSV)")}</a></p>'
        f'<table class="units"><tr><th>{both("Đơn vị", "Unit")}</th><th>{both("Số báo cáo", "Report")}</th>'
        f'<th>{both("Tệp", "File")}</th><th>{both("Lỗi", "Errors")}</th><th>{both("Cảnh báo", "Warnings")}</th>'
        f'<th>{both("Thông tin", "Info")}</th><th>{both("Miễn trừ", "Waived")}</th></tr>{"".join(by_unit_rows)}</table>')
    del by_unit_rows
    yield (f'<section class="period" id="p-{escape(_slug(period))}">'
           f'<h2>{both("Kỳ báo cáo " + period, "Reporting period " + period)}</h2>{overview}')
    for s in subs:
        mine = of_submission.get(s["id"], [])
        title = f'{s["unit_name"] or "?"} — {s["report_number"] or "?"} ({s["source"]})'
        yield (f'<section class="submission" id="s-{escape(s["id"][:12])}"><h3>{escape(title)}</h3>'
               + (_failure_rows(mine, archives) if mine else
                  f'<p>{both("Không có lỗi nào đang mở.", "No open failures.")}</p>')
               + "</section>")
    charts = chart_specs(engine, period)
    if charts:
        ids = [f"chart-{_slug(period)}-{i}" for i in range(len(charts))]
        yield (f'<h3>{both("Kế hoạch và thực hiện (Tổng số giai đoạn)", "Plan versus actual (phase total)")}</h3>'
               '<div class="charts">'
               + "".join(f'<figure><div class="chart" id="{chart_id}" role="img" aria-label="{escape(title)}"></div>'
                         f'<script type="application/json" class="chart-spec" data-target="{chart_id}">'
                         f'{spec_json(spec)}</script></figure>' for chart_id, (title, spec) in zip(ids, charts))
               + "</div>")
    yield "</section>"


def quarantine_section(engine: Engine) -> str:
    """Files no reader could read (no unit, no period): their failures say why and how to resend."""
    items = [f for f in list_failures(engine) if f["period"] is None and f["rule"] != "expectation"
             and f["status"] != "resolved"]
    if not items:
        return ""
    return (f'<section id="quarantine"><h2>{both("Tệp bị cách ly", "Quarantined files")}</h2>'
            f'{_failure_rows(items, {})}</section>')


def uncatalogued_section(engine: Engine) -> str:
    """Tables no catalog form describes, read from their own layout: their facts are loaded under a key from the
    table's title; `baocao forms draft` makes one a form."""
    from tasks.review.expectations import catalogued_forms
    from warehouse.queries import uncatalogued_tables

    rows = uncatalogued_tables(engine, catalogued_forms())
    if not rows:
        return ""
    body = "".join(
        f'<tr><td>{escape(r["unit_name"] or "?")}</td><td>{escape(r["source"])}</td><td><code>{escape(r["form"])}'
        f'</code></td><td class="n">{r["facts"]}</td><td class="n">{r["first_line"] or ""}</td></tr>' for r in rows)
    note = both("Số liệu đã được đọc theo cấu trúc của chính bảng và lưu trong kho; tạo mẫu biểu bằng "
                "baocao forms draft.", "Their numbers were read from the table itself and are in the warehouse; "
                "make one a form with baocao forms draft.")
    return (f'<section id="uncatalogued"><h2>{both("Bảng ngoài danh mục biểu", "Tables outside the form catalog")}</h2>'
            f'<p>{note}</p>'
            f'<table class="uncatalogued"><tr><th>{both("Đơn vị", "Unit")}</th><th>{both("Tệp", "File")}</th>'
            f'<th>{both("Mã bảng", "Table key")}</th><th>{both("Số liệu", "Facts")}</th>'
            f'<th>{both("Dòng đầu", "First line")}</th></tr>{body}</table></section>')


def warehouse_section(engine: Engine, datadocs: Path | None, out: Path) -> str:
    """Failed warehouse expectations and the link to the checkpoint's Data Docs."""
    checks = [f for f in list_failures(engine) if f["rule"] == "expectation" and f["status"] != "resolved"]
    body = _failure_rows(checks, {}) if checks else f'<p>{both("Mọi kiểm tra kho dữ liệu đều đạt.", "Every warehouse check holds.")}</p>'
    link = ""
    if datadocs is not None and (datadocs / "index.html").is_file():
        href = Path(os.path.relpath(datadocs / "index.html", out)).as_posix()
        link = f'<p><a id="datadocs" href="{escape(href)}">{both("Chi tiết kiểm tra (Data Docs)", "Check details (Data Docs)")}</a></p>'
    return f'<section id="warehouse"><h2>{both("Kiểm tra kho dữ liệu", "Warehouse checks")}</h2>{body}{link}</section>'


def write_report(engine: Engine, out: Path, period: str | None = None, datadocs: Path | None = None,
                 checked: Callable[[], object] | None = None) -> Path:
    """Write index.html (its charts as Vega-Lite specs), the chart scripts and the CSV of failures for one period
    (or every period) into `out`; the Data Docs are linked when `datadocs` holds them.

    `checked`: called once the periods are written and before the warehouse checks' section, which shows the
    checkpoint's failures: a run writes its periods while great-expectations checks the warehouse (N = 5 000: the
    queue and the periods, 0.4 s, beside a 1.4-2.0 s checkpoint) and waits for it here. What it raises, this raises,
    and the page is not written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    periods = [period] if period else periods_of(engine)
    index = out / "index.html"
    partial = index.with_name("index.html.tmp")
    with partial.open("w", encoding="utf-8") as page:
        page.write(
            '<!doctype html><html lang="vi" data-lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>baocao — {escape(", ".join(periods) or "báo cáo")}</title><style>{STYLE}</style></head><body>'
            f'<header><h1>{both("Báo cáo kiểm tra số liệu", "Data check report")}</h1>'
            '<button id="lang" type="button"><span class="vi">English</span><span class="en">Tiếng Việt</span></button>'
            '</header>')
        for p in periods:
            page.writelines(period_parts(engine, p, out))
        if not periods:
            page.write(f'<p>{both("Kho dữ liệu chưa có báo cáo nào.", "The warehouse holds no report yet.")}</p>')
        scripts = "".join(f'<script src="{escape(src)}"></script>' for src in copy_scripts(out))
        page.write(f'{quarantine_section(engine)}{uncatalogued_section(engine)}')
        if checked is not None:
            checked()
        page.write(f'{warehouse_section(engine, datadocs, out)}'
                   f'<script>{SCRIPT}</script>{scripts}<script>{embed_script()}</script></body></html>')
    partial.replace(index)  # a steward never opens half a page
    return index
