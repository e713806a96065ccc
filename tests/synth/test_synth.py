"""The synthetic national corpus: every planted error is found, nothing else is an error, same seed same bytes."""
from __future__ import annotations

import json

import pytest

from tasks.check.submission import process_submission
from tasks.synth.corpus import KINDS, synth_corpus


def _key(d: dict) -> tuple:
    return (d["rule"], d["form"], d["label"], d["year"], d["measure"])


def _found(path) -> list[tuple[str, dict, object]]:
    result = process_submission(path.read_bytes(), path.name)
    assert result.status != "quarantined", result.reason
    return [(path.name, f.to_dict(), result) for f in result.findings]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth-faulty")
    manifest = synth_corpus(60, out, seed=8, error_rate=0.35)
    return out, manifest


@pytest.mark.slow
def test_every_planted_error_is_found_and_nothing_else_is_an_error(faulty):
    out, manifest = faulty
    assert {e["kind"] for e in manifest["errors"]} == set(KINDS)
    expected: dict[str, set] = {}
    for error in manifest["errors"]:
        for e in error["expected"]:
            expected.setdefault(error["file"], set()).add((e["severity"],) + _key(e))
    missed, extra = [], []
    for entry in manifest["files"]:
        path = out / "inbox" / entry["file"]
        found = {(f["severity"],) + _key(f) for _, f, _ in _found(path)}
        want = expected.get(entry["file"], set())
        missed += [(entry["file"], w) for w in want - found]
        extra += [(entry["file"], f) for f in found - want if f[0] in ("error", "warning")]
    assert not missed, f"recall below 100 %: {missed[:5]}"
    assert not extra, f"precision below 100 %: {extra[:5]}"


@pytest.mark.slow
def test_a_clean_corpus_has_no_error_finding(tmp_path):
    manifest = synth_corpus(30, tmp_path, seed=3, error_rate=0.0)
    assert manifest["errors"] == []
    for entry in manifest["files"]:
        result = process_submission((tmp_path / "inbox" / entry["file"]).read_bytes(), entry["file"])
        assert result.document.meta.unit_code == entry["unit_code"]
        bad = [(f.rule, f.message_en) for f in result.findings if f.severity in ("error", "warning")]
        assert not bad, (entry["file"], bad)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    a = synth_corpus(12, tmp_path / "a", seed=5, error_rate=0.5)
    b = synth_corpus(12, tmp_path / "b", seed=5, error_rate=0.5)
    c = synth_corpus(12, tmp_path / "c", seed=6, error_rate=0.5)
    names = sorted(p.name for p in (tmp_path / "a" / "inbox").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b" / "inbox").iterdir())
    for name in names:
        assert (tmp_path / "a" / "inbox" / name).read_bytes() == (tmp_path / "b" / "inbox" / name).read_bytes()
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert json.dumps(a) == json.dumps(b) and json.dumps(a) != json.dumps(c)


def test_the_synth_command_writes_the_inbox_and_the_manifest(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["synth", "--submissions", "4", "--out", str(tmp_path), "--error-rate", "1"])
    assert done.exit_code == 0, done.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(list((tmp_path / "inbox").iterdir())) == 4 and all(f["errors"] for f in manifest["files"])
    refused = runner.invoke(app, ["synth", "--submissions", "4", "--out", str(tmp_path), "--formats", "pdf"])
    assert refused.exit_code == 2 and "no writer for pdf" in refused.output
