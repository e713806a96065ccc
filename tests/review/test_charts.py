"""The plan-versus-actual chart spec the report and the desk share: valid Vega-Lite, every number kept."""
from __future__ import annotations

import json

import pytest

from tasks.review.charts import plan_vs_actual_spec, spec_json

# made-up numbers for this test, in the seed's shape: two units, one with no actual reported
ROWS = [{"unit_name": "Phong Thổ", "measure": "plan", "value": 30}, {"unit_name": "Phong Thổ", "measure": "actual",
        "value": 28.5}, {"unit_name": "Sìn Hồ", "measure": "plan", "value": 1568}, {"unit_name": "Sìn Hồ",
                                                                                      "measure": "actual", "value": None}]


def test_the_spec_is_valid_vega_lite_with_tooltips_and_keeps_every_number():
    altair = pytest.importorskip("altair")
    spec = plan_vs_actual_spec(ROWS, title="Biểu 01 — 1. Số lớp", unit="Lớp")
    altair.Chart.from_dict(spec, validate=True)  # the Vega-Lite JSON schema altair ships
    assert spec["mark"]["tooltip"] is True and spec["encoding"]["tooltip"][2]["title"] == "Lớp"
    assert [(v["unit_name"], v["measure"], v["value"]) for v in spec["data"]["values"]] == [
        ("Phong Thổ", "Kế hoạch (plan)", 30.0), ("Phong Thổ", "Thực hiện (actual)", 28.5),
        ("Sìn Hồ", "Kế hoạch (plan)", 1568.0), ("Sìn Hồ", "Thực hiện (actual)", None)]
    assert spec["encoding"]["x"]["sort"] == ["Phong Thổ", "Sìn Hồ"]


def test_a_district_s_script_tag_stays_text_inside_the_page():
    text = spec_json(plan_vs_actual_spec([{"unit_name": "</script><script>alert(1)", "measure": "plan", "value": 1}]))
    assert "</script>" not in text and json.loads(text)["data"]["values"][0]["unit_name"].startswith("</script>")
