"""Plan-versus-actual charts as Vega-Lite specs (plain dicts): the browser draws them with the vendored vega-embed."""
from __future__ import annotations

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier vega-embed reads, never fetched
PLAN_COLOR, ACTUAL_COLOR = "#5b7bb0", "#b3261e"


def plan_vs_actual_spec(rows: list[dict], title: str = "", plan_word: str = "Kế hoạch",
                        actual_word: str = "Thực hiện") -> dict:
    """Grouped bars of plan beside actual per unit, from plan_vs_actual rows (unit_name, plan, actual) of one
    indicator; a blank value is left out, never drawn as zero."""
    values = []
    for r in rows:
        unit = r.get("unit_name") or r.get("unit_code") or "?"
        for measure, word in (("plan", plan_word), ("actual", actual_word)):
            if r.get(measure) is not None:
                values.append({"unit": unit, "measure": word, "value": float(r[measure])})
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "unit", "type": "nominal", "title": None, "axis": {"labelAngle": 0}},
            "xOffset": {"field": "measure", "sort": [plan_word, actual_word]},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "measure", "type": "nominal", "title": None,
                      "scale": {"domain": [plan_word, actual_word], "range": [PLAN_COLOR, ACTUAL_COLOR]}},
        },
    }


def period_charts(rows: list[dict], limit: int = 12) -> list[dict]:
    """One spec per form and indicator row of a period's phase totals (year NULL), in form order."""
    series: dict[tuple, list[dict]] = {}
    for r in rows:
        if r.get("year") is None:
            series.setdefault((r["form"], r.get("group_no") or "", r["label"]), []).append(r)
    specs = []
    for (form, group, label), items in list(series.items())[:limit]:
        title = f"{form.replace('BIEU_', 'Biểu ')} — {group + '. ' if group else ''}{label}"
        specs.append(plan_vs_actual_spec(items, title=title[:80]))
    return specs
