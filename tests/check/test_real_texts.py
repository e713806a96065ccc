"""The 17 real texts of tests/fixtures/real/: every inconsistency found by hand (expected.yaml) is a warning or an
error, and nothing else is one; none is a district submission, so none gets a metadata error."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.check.submission import process_submission

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
EXPECTED = yaml.safe_load((REAL / "expected.yaml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in REAL.glob("*.txt"))

# Which hand-found kinds (expected.yaml `kind`) each rule reports. The narrative's rules are this branch's; the
# tables' rules join this map (and their files TABLE_FILES' scope) when the table checks are merged, and then
# the same two tests below assert everything.
KINDS_OF_RULE = {
    "narrative_list_total": {"sum", "total"},
    "narrative_sum": {"sum", "total"},
    "narrative_rate_sum": {"sum"},
    "narrative_shares_over": {"sum"},
    "narrative_combined": {"combined"},
    "narrative_rate": {"rate"},
    "narrative_base": {"rate"},
    "narrative_order": {"ordering"},
    "narrative_conflict": {"other"},
    "narrative_list_count": {"other"},
    "narrative_malformed_number": {"other"},
    "narrative_figure": {"other"},
}
# files whose hand-found inconsistencies are in their tables (the table checks' to find)
TABLE_FILES = {"01", "02", "03", "07", "08", "13"}


def _entry(name: str) -> dict:
    files = EXPECTED.get("files", EXPECTED)
    return files[name]


def _checked(name: str) -> list[dict]:
    """The inconsistencies of a file that the rules in KINDS_OF_RULE are meant to find."""
    if name[:2] in TABLE_FILES:
        return []
    return list(_entry(name).get("inconsistencies") or [])


def _borderline_lines(name: str) -> set[int]:
    return {line for item in _entry(name).get("borderline") or () for line in item.get("lines", ())}


def _matches(finding, item: dict) -> bool:
    return item["kind"] in KINDS_OF_RULE.get(finding.rule, set()) and finding.line in item["lines"]


@pytest.fixture(scope="module")
def results():
    return {name: process_submission((REAL / name).read_bytes(), name) for name in FILES}


def test_the_fixtures_are_all_there():
    assert len(FILES) == 17
    assert all((REAL / n).with_suffix(".source").is_file() for n in FILES)


@pytest.mark.parametrize("name", FILES)
def test_no_metadata_error_on_a_document_that_is_no_district_submission(results, name):
    result = results[name]
    assert result.document.meta.kind != "district_submission"
    assert not [f for f in result.findings if f.rule in ("metadata_missing", "no_tables")]
    assert len([f for f in result.findings if f.rule == "metadata_not_required"]) <= 1
    assert result.status != "quarantined"


@pytest.mark.parametrize("name", FILES)
def test_every_inconsistency_found_by_hand_is_a_warning_or_error(results, name):
    raised = [f for f in results[name].findings if f.severity in ("warning", "error")]
    missed = [item for item in _checked(name) if not any(_matches(f, item) for f in raised)]
    assert not missed, [f"{m['kind']} lines {m['lines']}: {m.get('description')}" for m in missed]


@pytest.mark.parametrize("name", FILES)
def test_nothing_else_is_a_warning_or_error(results, name):
    """A narrative rule's warning stands for an inconsistency found by hand (or a borderline case), never for
    something that holds."""
    checked = _checked(name)
    borderline = _borderline_lines(name)
    false = [f for f in results[name].findings
             if f.rule in KINDS_OF_RULE and f.severity in ("warning", "error")
             and not any(_matches(f, item) for item in checked) and f.line not in borderline]
    assert not false, [f.message_en for f in false]
