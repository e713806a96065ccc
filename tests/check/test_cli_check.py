"""`baocao check`: exit codes, the JSON contract, and no Prefect or great-expectations on its path."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def baocao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_check_seed_json(seed_path):
    proc = baocao("check", str(seed_path), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    (sub,) = doc["submissions"]
    assert set(sub) >= {"source", "sha256", "format", "status", "report", "facts", "findings"}
    assert sub["status"] == "flagged" and sub["format"] == "text" and len(sub["sha256"]) == 64
    assert sub["report"] == {"number": "2049/BC-UBND", "date": "2020-10-14", "unit": "Phong Thổ",
                             "unit_code": "109", "province": "Lai Châu", "period": "2016-2020"}
    assert len(sub["facts"]) == 70
    fact = sub["facts"][0]
    assert set(fact) == {"form", "group", "label", "indicator", "unit", "year", "measure", "value", "source"}
    assert (fact["form"], fact["label"], fact["year"], fact["measure"], fact["value"]) == ("BIEU_01", "Số lớp", None, "plan", 30)
    by_severity = {}
    for f in sub["findings"]:
        assert set(f) >= {"rule", "severity", "form", "label", "year", "measure", "expected", "actual",
                          "message_vi", "message_en"}
        by_severity.setdefault(f["severity"], []).append(f["rule"])
    assert sorted(by_severity["error"]) == ["annex_missing", "annex_parent", "narrative_figure"]
    assert sorted(by_severity["warning"]) == ["narrative_malformed_number"] + ["narrative_rate"] * 3 + ["total_blank"] * 2
    assert sorted(by_severity["info"]) == ["narrative_shares_rest", "period_coverage"]


def test_check_exit_zero_without_errors(tmp_path):
    from tests.check.test_reconcile import GOOD, report

    good = tmp_path / "good.txt"
    good.write_bytes(report(GOOD))
    proc = baocao("check", str(good))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok]" in proc.stdout


def test_check_unreadable_file_exits_one(tmp_path):
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"\x00\x01garbage")
    proc = baocao("check", str(junk), "--format", "json")
    assert proc.returncode == 1
    (sub,) = json.loads(proc.stdout)["submissions"]
    assert sub["status"] == "quarantined" and sub["reason"]


def test_check_bad_usage_exits_two(tmp_path):
    assert baocao("check", str(tmp_path / "missing.txt")).returncode == 2
    assert baocao("check", "--format", "yaml", str(tmp_path)).returncode == 2


def test_check_imports_neither_prefect_nor_great_expectations(seed_path):
    code = (
        "import sys\n"
        f"sys.argv = ['baocao', 'check', {str(seed_path)!r}]\n"
        "from flows.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules if m.startswith(('prefect', 'great_expectations'))})\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in proc.stdout, proc.stdout[-500:] + proc.stderr[-2000:]


def test_check_ends_without_teardown_and_loses_no_output(seed_path):
    """`check` ends its process once its output is written (os._exit: no interpreter teardown, 0.15-0.25 s of a
    cold check); its piped output is all there and its exit code kept. Other commands end as usual."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('TEARDOWN', file=sys.stderr))\n"
            "from flows.cli import main\n"
            "sys.argv = ['baocao', *sys.argv[1:]]\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(seed_path), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert len(json.loads(proc.stdout)["submissions"][0]["facts"]) == 70  # block-buffered into a pipe, flushed
    assert "TEARDOWN" not in proc.stderr
    usual = subprocess.run([sys.executable, "-c", code, "--version"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert usual.returncode == 0 and usual.stdout.startswith("baocao ") and "TEARDOWN" in usual.stderr
