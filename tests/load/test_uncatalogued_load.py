"""Facts of tables no catalog form describes: loaded with their cells, shown in the steward's report, and left out
of the expectations that hold only for catalogued counts (real growth rates are negative)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from tasks.batch import ingest_files
from tasks.intake.discover import discover_inbox
from tasks.review.expectations import asset_queries, catalogued_forms
from tasks.review.report import write_report
from warehouse.db import engine_for, upgrade
from warehouse.queries import forms_present

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
# 01: the Bình Định pipe table; 13: Bắc Giang's indicators with dot decimals and negative growth (-1.3)
TEXTS = ["01_binh_dinh_ra_soat_2022_pipe.txt", "13_bac_giang_chi_tieu_kinh_te_dot_decimals.txt"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def warehouse_url(request) -> str:
    """The same test on the embedded SQLite and on a real PostgreSQL database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def _rows(url: str, sql: str) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_uncatalogued_facts_load_with_their_cells_and_skip_catalogue_only_expectations(warehouse_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in TEXTS:
        shutil.copy(REAL / name, inbox / name)
    upgrade(warehouse_url)
    files, refused = discover_inbox(inbox)
    outcomes = ingest_files(files, engine_for(warehouse_url), tmp_path / "archive", run_id=None)
    assert not refused and {o.outcome for o in outcomes} <= {"loaded", "flagged"}  # read and loaded, never quarantined

    an_lao = _rows(warehouse_url, "SELECT f.form, f.value, f.source, f.column_header FROM facts f JOIN submissions s "
                   "ON s.id = f.submission_id WHERE s.source LIKE '01_%' AND f.label = 'Huyện An Lão' "
                   "AND f.column_header = 'Hộ nghèo' ORDER BY f.source")
    assert an_lao == [("TABLE_1", 477.0, "L15:C6", "Hộ nghèo"), ("TABLE_1", 2836.0, "L27:C6", "Hộ nghèo")]
    negative = _rows(warehouse_url, "SELECT COUNT(*) FROM facts WHERE value < 0")[0][0]
    assert negative > 0  # 13's growth rates, kept as written

    queries = asset_queries()
    present = [f for f, in _rows(warehouse_url, "SELECT DISTINCT form FROM facts")]
    uncatalogued = set(present) - set(catalogued_forms())
    assert uncatalogued == {"TABLE_1", "CHI_TIEU_TOAN_TI"}
    with engine_for(warehouse_url).connect() as conn:  # the report's loose index scan finds what DISTINCT does
        assert sorted(forms_present(conn)) == sorted(present)
    assert _rows(warehouse_url, f"SELECT COUNT(*) FROM ({queries['catalogued_facts']}) q")[0][0] == 0
    # one row per current submission, none of them with an unpaired cell: uncatalogued tables are not looked at
    assert _rows(warehouse_url, f"SELECT COUNT(*), COUNT(unpaired) FROM ({queries['plan_actual_pairs']}) q")[0] == (
        len(TEXTS), 0)

    page = write_report(engine_for(warehouse_url), tmp_path / "report").read_text(encoding="utf-8")
    assert 'id="uncatalogued"' in page and "<code>TABLE_1</code>" in page and "<code>CHI_TIEU_TOAN_TI</code>" in page
