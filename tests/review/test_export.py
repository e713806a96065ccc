"""`baocao export`: the province's Biểu tổng hợp, recalculated by LibreOffice, equals `province_totals`."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from flows.cli import app
from tasks.intake.discover import discover_inbox
from tasks.review.export import export_consolidation, put_text
from tasks.batch import ingest_files
from warehouse.db import engine_for, upgrade

INBOX = Path(__file__).resolve().parents[2] / "examples" / "inbox"
LABEL = "= (1+2) Tổng cộng số lớp"  # a label that must stay text


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("CI must provide LibreOffice (.ci/run installs libreoffice-calc)")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def recalculated(soffice: str, workbook: Path, tmp_path: Path) -> Path:
    """Open the workbook in LibreOffice headless and save it again: every formula is computed."""
    out = tmp_path / "recalculated"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless", "--calc",
         "--convert-to", "xlsx", "--outdir", str(out), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )
    return out / workbook.name


def loaded(url: str, tmp_path: Path) -> None:
    upgrade(url)
    files, _ = discover_inbox(INBOX)
    ingest_files(files, engine_for(url), tmp_path / "archive", run_id=None)


def test_the_recalculated_workbook_shows_the_province_totals(warehouse_url, soffice, tmp_path):
    loaded(warehouse_url, tmp_path)
    engine = engine_for(warehouse_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE indicators SET label = :l WHERE form = 'BIEU_01' AND code = 'TONG_SO_LOP'"),
                     {"l": LABEL})
        stored = {
            (r.form, r.indicator, r.year, r.measure): float(r.value)
            for r in conn.execute(text("SELECT form, indicator, year, measure, value FROM province_totals "
                                       "WHERE province_code = '12' AND period = '2016-2020' AND value IS NOT NULL"))
        }
    result = export_consolidation(engine, "2016-2020", tmp_path / "tong_hop.xlsx", "12")
    assert result.districts == ["Tam Đường", "Sìn Hồ", "Phong Thổ"]
    assert set(result.missing) == {"Lai Châu", "Mường Tè", "Than Uyên", "Tân Uyên", "Nậm Nhùn"}

    written = load_workbook(tmp_path / "tong_hop.xlsx")
    assert written.sheetnames == ["Biểu 01", "Biểu 02"]
    # (form, indicator, year, measure) -> the cell of the province block
    cells = {key: coord for by_key in result.total_cells.values() for key, coord in by_key.items()}
    assert set(cells) == set(stored)  # every stored total has its cell, and no other total
    sheet_of = {"BIEU_01": "Biểu 01", "BIEU_02": "Biểu 02"}
    for key, coord in cells.items():
        assert written[sheet_of[key[0]]][coord].data_type == "f"

    computed = load_workbook(recalculated(soffice, tmp_path / "tong_hop.xlsx", tmp_path), data_only=True)
    for key, coord in cells.items():
        assert computed[sheet_of[key[0]]][coord].value == pytest.approx(stored[key]), (key, coord)
    # the "(1+2)" rows are laid out as on the district forms; the odd label came back as text, not a formula
    labels = [c.value for c in computed["Biểu 01"]["B"]]
    assert "Tổng cộng số người = (1+2)" in labels
    assert f"{LABEL} = (1+2)" in labels
    assert computed["Biểu 01"]["D5"].value == "Tổng số" and computed["Biểu 01"]["E6"].value == "Thực hiện"


def test_text_starting_with_equals_stays_text(tmp_path):
    book = Workbook()
    put_text(book.active["A1"], "=1+2")
    book.active["A2"] = "=1+2"
    book.save(tmp_path / "t.xlsx")
    again = load_workbook(tmp_path / "t.xlsx")
    assert (again.active["A1"].value, again.active["A1"].data_type) == ("=1+2", "s")
    assert again.active["A2"].data_type == "f"  # what put_text prevents


def test_baocao_export_command(sqlite_url, tmp_path, monkeypatch):
    loaded(sqlite_url, tmp_path)
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("BAOCAO_PROVINCE_CODE", "12")
    out = tmp_path / "out" / "tong_hop.xlsx"
    result = CliRunner().invoke(app, ["export", "--period", "2016-2020", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 forms, 3 districts reporting" in result.output
    assert load_workbook(out).sheetnames == ["Biểu 01", "Biểu 02"]
