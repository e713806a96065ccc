"""`baocao synth --layouts mixed`: reports whose tables come in every layout, errors planted, all found, nothing else.

The corpus is synthetic (each report says so in its first line); the real texts are tests/fixtures/real."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.check.submission import process_batch
from tasks.synth.layouts import LAYOUTS, score


def _checked(out, n: int, seed: int = 3):
    run = CliRunner().invoke(app, ["synth", "-n", str(n), "--out", str(out), "--seed", str(seed), "--layouts",
                                   "mixed", "--error-rate", "0.5"])
    assert run.exit_code == 0, run.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = sorted((out / "inbox").iterdir())
    return manifest, process_batch([(f.read_bytes(), f.name) for f in files], workers=1)


def _assert_recall(manifest, results):
    result = score(manifest, results)
    assert result["recall"] >= 0.99, result["missed"]
    assert result["stray"] == []  # no warning or error on a row nothing was planted in
    return result


def test_mixed_corpus_plants_every_kind_in_every_layout_and_each_is_found(tmp_path):
    manifest, results = _checked(tmp_path, 42)
    assert Counter(f["layout"] for f in manifest["files"]) == {layout: 7 for layout in LAYOUTS}
    assert {f["levels"] for f in manifest["files"]} == {1, 2, 3}
    kinds = {e["kind"] for e in manifest["errors"]}
    assert kinds >= {"leaf_off", "parent_off", "total_off", "coded_off", "rate_off", "ragged", "fraction",
                     "count_off", "narrative_sum"}
    assert {r.format for r in results} == {"text", "docx", "xlsx"}
    assert all(r.document.tables and r.document.tables[0].layout != "form" for r in results)
    assert not [f for r in results for f in r.findings if f.rule in ("no_tables", "metadata_missing")]
    _assert_recall(manifest, results)


def test_a_clean_mixed_corpus_raises_nothing(tmp_path):
    run = CliRunner().invoke(app, ["synth", "-n", "12", "--out", str(tmp_path), "--layouts", "mixed"])
    assert run.exit_code == 0
    files = sorted((tmp_path / "inbox").iterdir())
    results = process_batch([(f.read_bytes(), f.name) for f in files], workers=1)
    assert [(r.source, f.rule) for r in results for f in r.findings if f.severity in ("warning", "error")] == []


@pytest.mark.slow
def test_mixed_corpus_of_300_reports(tmp_path):
    """The figures in README.md ("Tables of any layout")."""
    manifest, results = _checked(tmp_path, 300, seed=0)
    result = _assert_recall(manifest, results)
    assert result["planted"] >= 150
