"""Vega-Lite specs for the steward's report and the desk: plan beside actual per reporting unit, with tooltips and
zoom, drawn in the browser by the vendored vega-embed (static/datadocs/), offline."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from tasks.review.datadocs import VENDOR

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # names the version; vega-embed fetches nothing
MEASURES = {"plan": "Kế hoạch (plan)", "actual": "Thực hiện (actual)"}
PLAN_COLOR, ACTUAL_COLOR = "#8aa4c8", "#b3261e"
SCRIPTS = ("vega@5.33.1/vega.min.js", "vega-lite@5.23.0/vega-lite.min.js", "vega-embed@6.29.0/vega-embed.min.js")
# Vietnamese numbers: 1.568 is one thousand five hundred sixty-eight, 2,5 is two and a half
VI_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}
EMBED_OPTIONS = {"actions": False, "renderer": "svg", "formatLocale": VI_LOCALE}


def plan_vs_actual_spec(rows: list[dict], *, title: str = "", unit: str = "") -> dict:
    """A grouped bar chart of one indicator: for each reporting unit, plan (Kế hoạch) beside actual (Thực hiện).

    `rows` are {"unit_name", "measure" ("plan" or "actual"), "value"}, one per reported number; a missing value
    draws no bar and says so in the tooltip. Scrolling over the chart zooms the value axis, dragging pans it."""
    values = [{"unit_name": r.get("unit_name") or "?", "measure": MEASURES.get(r["measure"], r["measure"]),
               "value": None if r.get("value") is None else float(r["value"])} for r in rows]
    units = sorted({v["unit_name"] for v in values})
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": {"text": title, "subtitle": unit} if unit else title,
        "width": {"step": 44},
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "params": [{"name": "zoom", "select": {"type": "interval", "encodings": ["y"]}, "bind": "scales"}],
        "encoding": {
            "x": {"field": "unit_name", "type": "nominal", "sort": units, "title": None,
                  "axis": {"labelAngle": -35, "labelLimit": 120}},
            "xOffset": {"field": "measure", "type": "nominal", "sort": list(MEASURES.values())},
            "y": {"field": "value", "type": "quantitative", "title": unit or None, "axis": {"format": ",~f"}},
            "color": {"field": "measure", "type": "nominal", "title": None,
                      "scale": {"domain": list(MEASURES.values()), "range": [PLAN_COLOR, ACTUAL_COLOR]},
                      "legend": {"orient": "bottom"}},
            "tooltip": [
                {"field": "unit_name", "type": "nominal", "title": "Đơn vị (unit)"},
                {"field": "measure", "type": "nominal", "title": "Số liệu (measure)"},
                {"field": "value", "type": "quantitative", "title": unit or "Giá trị (value)", "format": ",~f"},
            ],
        },
    }


def spec_json(spec: dict) -> str:
    """The spec as JSON that is safe inside an HTML <script> element (a district's '</script>' stays text)."""
    return json.dumps(spec, ensure_ascii=False).replace("</", "<\\/")


def copy_scripts(out: Path) -> list[str]:
    """vega, vega-lite and vega-embed copied into out/vendor/ (the report opens from disk); their paths from out."""
    paths = []
    for name in SCRIPTS:
        target = Path(out) / "vendor" / name
        if not target.is_file() or target.stat().st_size != (VENDOR / name).stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(VENDOR / name, target)
        paths.append(target.relative_to(out).as_posix())
    return paths


def embed_script() -> str:
    """The page's script: every <script class="chart-spec" data-target=ID> drawn into the element ID."""
    return ("(function(){if(typeof vegaEmbed!=='function')return;var options=" + json.dumps(EMBED_OPTIONS) + ";"
            "document.querySelectorAll('script.chart-spec').forEach(function(s){"
            "vegaEmbed('#'+s.dataset.target, JSON.parse(s.textContent), options)"
            ".catch(function(e){document.getElementById(s.dataset.target).textContent=String(e);});});})();")


def period_charts(rows: list[dict], limit: int = 12) -> list[dict]:
    """The desk's charts of a period: one spec per form and indicator row of its phase totals (year NULL), in form
    order, from plan_vs_actual rows (unit_name, plan, actual); a blank value draws no bar."""
    series: dict[tuple, list[dict]] = {}
    for r in rows:
        if r.get("year") is None:
            series.setdefault((r["form"], r.get("group_no") or "", r["label"], r.get("unit") or ""), []).append(r)
    specs = []
    for (form, group, label, unit), items in list(series.items())[:limit]:
        title = f"{form.replace('BIEU_', 'Biểu ')} — {group + '. ' if group else ''}{label}"
        measured = [{"unit_name": r.get("unit_name") or r.get("unit_code"), "measure": m, "value": r.get(m)}
                    for r in items for m in ("plan", "actual")]
        spec = plan_vs_actual_spec(measured, title=title[:80], unit=unit)
        spec["width"] = "container"  # the desk's page is as wide as the phone or the screen it is read on
        specs.append(spec)
    return specs

