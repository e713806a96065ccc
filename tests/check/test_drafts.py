"""`baocao forms draft`: a catalog entry drafted from a real table, and the same numbers under its indicators after."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from config.catalog import load_forms
from flows.cli import app
from tasks.check.submission import process_submission

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
STRUCTURE_RULES = {"structure_sum", "structure_total", "coded_identity", "discovered_identity", "rate_mismatch",
                   "ragged_row", "table_truncated", "non_integer_count", "repeated_row_key"}


@pytest.fixture
def own_config(tmp_path, monkeypatch):
    """A steward's copy of config/ (BAOCAO_CONFIG), with the catalog read afresh before and after."""
    own = tmp_path / "config"
    shutil.copytree(ROOT / "config", own, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    load_forms.cache_clear()
    yield own
    monkeypatch.delenv("BAOCAO_CONFIG", raising=False)
    load_forms.cache_clear()


def _facts(result):
    return sorted((r["source"], r["value"], r["form"], r["indicator"]) for r in result.facts.to_dict("records"))


@pytest.mark.parametrize("name", ["01_binh_dinh_ra_soat_2022_pipe.txt", "02_bac_giang_giam_ngheo_dot_decimals.txt",
                                  "03_quang_ngai_nien_giam_2016_ty_le_ho_ngheo.txt", "08_thua_thien_hue_chi_tieu_2019.txt"])
def test_draft_round_trip_gives_the_same_numbers_under_catalog_indicators(name, own_config, monkeypatch):
    data = (REAL / name).read_bytes()
    before = process_submission(data, name)
    out = own_config / "forms" / "DRAFTED.yaml"
    run = CliRunner().invoke(app, ["forms", "draft", str(REAL / name), "--table", "1", "--out", str(out)])
    assert run.exit_code == 0, run.output
    entry = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert out.read_text(encoding="utf-8").startswith("# Drafted by `baocao forms draft`")
    assert entry["layout"]["columns"] and entry["rows"]

    monkeypatch.setenv("BAOCAO_CONFIG", str(own_config))
    load_forms.cache_clear()
    after = process_submission(data, name)

    assert [(s, v) for s, v, _, _ in _facts(after)] == [(s, v) for s, v, _, _ in _facts(before)]
    assert {f for _, _, f, _ in _facts(after)} == {entry["code"]}
    assert all(indicator for _, _, _, indicator in _facts(after))  # every number under a catalogued indicator
    assert "uncatalogued_table" in {f.rule for f in before.findings}
    assert "uncatalogued_table" not in {f.rule for f in after.findings}
    structural = lambda r: sorted((f.rule, f.line, f.actual) for f in r.findings if f.rule in STRUCTURE_RULES)
    assert structural(after) == structural(before)  # the checks still come from the table's own structure


def test_draft_names_groups_totals_units_and_repeated_keys(own_config):
    """01: groups I and II of 11 districts each and a total (I+II); 02: units per row; 03: 2015 twice, two codes."""
    run = CliRunner().invoke(app, ["forms", "draft", str(REAL / "01_binh_dinh_ra_soat_2022_pipe.txt")])
    entry = yaml.safe_load(run.output)
    assert [(g["code"], len(g["items"])) for g in entry["rows"]] == [("I", 11), ("II", 11)]
    assert entry["totals"][0]["sum_of"] == ["I", "II"]
    assert [c["role"] for c in entry["layout"]["columns"]] == ["rate", "number"] * 3
    entry = yaml.safe_load(CliRunner().invoke(
        app, ["forms", "draft", str(REAL / "02_bac_giang_giam_ngheo_dot_decimals.txt")]).output)
    items = entry["rows"][0]["items"]
    assert ("Tổng số hộ", "hộ") in [(i["label"], i["unit"]) for i in items] and entry["layout"]["decimal"] == "dot"
    entry = yaml.safe_load(CliRunner().invoke(
        app, ["forms", "draft", str(REAL / "03_quang_ngai_nien_giam_2016_ty_le_ho_ngheo.txt")]).output)
    codes_2015 = [i["code"] for i in entry["rows"][0]["items"] if i["label"] == "2015"]
    assert len(codes_2015) == 2 and len(set(codes_2015)) == 2


def test_draft_refuses_a_table_the_report_does_not_have():
    run = CliRunner().invoke(app, ["forms", "draft", str(REAL / "01_binh_dinh_ra_soat_2022_pipe.txt"),
                                   "--table", "5"])
    assert run.exit_code == 2 and "1 table(s)" in run.output


def test_a_draft_places_no_other_table(own_config, monkeypatch):
    """A draft of 01 (key TABLE_1) does not claim another untitled table: its rows are not the draft's rows."""
    out = own_config / "forms" / "DRAFTED.yaml"
    CliRunner().invoke(app, ["forms", "draft", str(REAL / "01_binh_dinh_ra_soat_2022_pipe.txt"), "--out", str(out)])
    monkeypatch.setenv("BAOCAO_CONFIG", str(own_config))
    load_forms.cache_clear()
    name = "03_quang_ngai_nien_giam_2016_ty_le_ho_ngheo.txt"
    result = process_submission((REAL / name).read_bytes(), name)
    assert "uncatalogued_table" in {f.rule for f in result.findings}
    assert not result.facts["indicator"].notna().any()


def test_a_draft_never_takes_a_catalogued_code(tmp_path):
    """Made-up example (not a real report): a 'Biểu số 01' of another program must not replace the catalog's BIEU_01."""
    made_up = ("Made-up example (not a real report).\nBiểu số 01: Kết quả rà soát hộ nghèo\n"
               "STT\tĐơn vị\tHộ nghèo\tHộ cận nghèo\n1\tXã A\t10\t5\n2\tXã B\t20\t15\n3\tXã C\t7\t3\n")
    path = tmp_path / "made_up.txt"
    path.write_text(made_up, encoding="utf-8")
    entry = yaml.safe_load(CliRunner().invoke(app, ["forms", "draft", str(path)]).output)
    assert entry["code"] != "BIEU_01" and entry["code"].startswith("BIEU_01")
