"""Every format and encoding a district sends reads to the seed's 70 facts and findings; only sources differ.

Fixtures in tests/fixtures/formats/ are made from the seed by tests/fixtures/make_format_fixtures.py.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from tasks.check.submission import process_submission
from tasks.read import encodings
from contracts.cells import csv_text as write_csv_cell
from tasks.read.csv import read_csv
from contracts.vietnamese import read_stored
from tasks.read.submission import detect_format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def fact_keys(result) -> list[tuple]:
    """(form, indicator, year, measure, value) of every fact: what must not depend on the format."""
    rows = result.facts.astype(object).where(result.facts.notna(), None).to_dict("records")
    return sorted(((r["form"], r["indicator"], None if r["year"] is None else int(r["year"]), r["measure"], r["value"])
                   for r in rows), key=repr)


def finding_keys(result, drop: tuple[str, ...] = ()) -> list[tuple]:
    return sorted(((f.rule, f.severity, f.form, f.label, f.year, f.measure) for f in result.findings
                   if f.rule not in drop), key=repr)


@lru_cache(maxsize=None)
def processed(name: str):
    path = FIXTURES / name
    return process_submission(path.read_bytes(), path.name)


@pytest.fixture(scope="module")
def seed_result(seed_bytes):
    return process_submission(seed_bytes, "000_7690d259663c1765.txt")


def needs_soffice() -> None:
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide LibreOffice (soffice): see .ci/run")
        pytest.skip("LibreOffice (soffice) is not installed")


# ---- the same report in every format -----------------------------------------------------------------

SAME_REPORT = [
    ("seed.docx", "docx", r"^T[12]:R\d+:C\d+$"),  # python-docx, merged two-level headers
    ("seed_libreoffice.docx", "docx", r"^T[12]:R\d+:C\d+$"),  # saved by LibreOffice
    ("seed.xlsx", "xlsx", r"^'Biểu 0[12]'![A-N]\d+$"),  # openpyxl, one form per sheet, merged headers
    ("seed_stacked.xlsx", "xlsx", r"^'Báo cáo'![A-N]\d+$"),  # both forms stacked on the narrative's sheet
    ("seed_libreoffice.xlsx", "xlsx", r"^'Biểu 0[12]'![A-N]\d+$"),  # saved by LibreOffice, merges kept
]


@pytest.mark.parametrize("name,fmt,source", SAME_REPORT)
def test_format_reads_to_the_seeds_facts_and_findings(name, fmt, source, seed_result):
    result = processed(name)
    assert result.format == fmt
    assert len(result.facts) == 70
    assert fact_keys(result) == fact_keys(seed_result)
    assert finding_keys(result) == finding_keys(seed_result)
    assert all(re.match(source, s) for s in result.facts["source"]), result.facts["source"].tolist()[:5]
    meta, seed_meta = result.document.meta, seed_result.document.meta
    assert (meta.number, meta.date, meta.unit_code, meta.period, meta.program) == (
        seed_meta.number, seed_meta.date, seed_meta.unit_code, seed_meta.period, seed_meta.program)
    assert [ref[0] for ref in meta.annex_refs] == ["01", "02", "03"]


@pytest.mark.slow
@pytest.mark.parametrize("name,fmt", [("seed.doc", "doc"), ("seed.xls", "xls")])
def test_legacy_office_file_is_converted_by_libreoffice(name, fmt, seed_result):
    needs_soffice()
    result = processed(name)
    assert (result.format, result.status) == (fmt, "flagged"), result.reason
    assert "LibreOffice" in result.encoding
    assert fact_keys(result) == fact_keys(seed_result)
    assert finding_keys(result) == finding_keys(seed_result)


def test_xlsx_sources_point_at_the_cells_that_hold_the_numbers():
    from openpyxl import load_workbook

    book = load_workbook(FIXTURES / "seed.xlsx", read_only=True, data_only=True)
    facts = processed("seed.xlsx").facts
    for source, value in zip(facts["source"], facts["value"]):
        sheet, cell = source.rsplit("!", 1)
        stored = book[sheet.strip("'")][cell].value
        assert stored is not None
        written = stored if isinstance(stored, (int, float)) else float(stored.replace(".", ""))
        assert written == value, source
    book.close()


def test_docx_sources_point_at_table_row_and_grid_column():
    import docx

    tables = docx.Document(str(FIXTURES / "seed.docx")).tables
    facts = processed("seed.docx").facts
    total = facts[(facts["indicator"] == "TONG_SO_NGUOI") & facts["year"].isna() & (facts["measure"] == "plan")]
    t, r, c = map(int, re.match(r"T(\d+):R(\d+):C(\d+)", total["source"].iloc[0]).groups())
    assert tables[t - 1].rows[r - 1].cells[c - 1].text == "1.886"


def test_docx_header_merges_are_rebuilt_from_repeated_cells():
    doc = processed("seed.docx").document
    b01 = doc.tables[0]
    assert [(c.year, c.measure) for c in b01.columns][:4] == [(None, "plan"), (None, "actual"), (2017, "plan"), (2017, "actual")]
    assert len(b01.columns) == 10
    assert b01.header_rows[0][4].text == ""  # the repeat of the merged "Tổng số" is blanked


# ---- the same text in every encoding ------------------------------------------------------------------

ENCODED = [
    ("seed_nfd.txt", "utf-8 (nfd)"),
    ("seed_cp1258.txt", "windows-1258"),
    ("seed_utf16.txt", "utf-16"),
    ("seed_tcvn3.txt", "tcvn3"),
    ("seed_vni.txt", "vni"),
    ("seed_mojibake.txt", "utf-8 (mojibake: once decoded as latin-1)"),
]


@pytest.mark.parametrize("name,encoding", ENCODED)
def test_encoded_seed_reads_to_the_same_facts(name, encoding, seed_result):
    result = processed(name)
    assert (result.format, result.encoding) == ("text", encoding)
    assert fact_keys(result) == fact_keys(seed_result)
    assert finding_keys(result) == finding_keys(seed_result)
    assert result.facts["source"].tolist() == seed_result.facts["source"].tolist()


@pytest.mark.parametrize("encode,decode", [
    (encodings.encode_tcvn3, encodings.decode_tcvn3),
    (encodings.encode_vni, encodings.decode_vni),
    (encodings.encode_cp1258, lambda b: unicodedata.normalize("NFC", b.decode("cp1258"))),
])
def test_legacy_encodings_round_trip_the_seed_exactly(encode, decode, seed_bytes):
    text = seed_bytes.decode("utf-8")
    data = encode(text)
    assert max(data) > 0x7F and not data.isascii()
    assert decode(data) == text


def test_tcvn3_table_agrees_with_glibc():
    """Every TCVN3 byte that glibc's TCVN5712-1 (VN1, a superset) maps to a lower-case or Ă Â Ê Ô Ơ Ư Đ letter."""
    if shutil.which("iconv") is None:
        pytest.skip("iconv not installed")
    high = bytes(range(0xA1, 0x100))
    glibc = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=high, capture_output=True, check=True)
    theirs = glibc.stdout.decode("utf-8")
    checked = 0
    for byte, ch in zip(high, theirs):
        if ch.islower() or ch in "ĂÂÊÔƠƯĐ":
            assert encodings._TCVN3_DECODE[byte] == ch, hex(byte)
            checked += 1
    assert checked == 60 + 7 + 7  # 12 vowels × 5 tones, ă â ê ô ơ ư đ, and Ă Â Ê Ô Ơ Ư Đ


def test_all_134_vietnamese_letters_round_trip_through_vni():
    letters = "".join(unicodedata.normalize("NFC", b + t) for b in "aâăeêioôơuưy" for t in ("", *encodings._TONES)) + "đ"
    both = letters + letters.upper()
    assert encodings.decode_vni(encodings.encode_vni(both)) == both
    assert encodings.decode_tcvn3(encodings.encode_tcvn3(letters)) == letters


def test_capitals_hidden_by_an_abc_font_are_restored():
    assert encodings.decode_tcvn3(encodings.encode_tcvn3("BÁO CÁO KẾT QUẢ\nỦy ban Nhân dân")) == "BÁO CÁO KẾT QUẢ\nỦy ban Nhân dân"


def test_undecidable_text_is_quarantined_with_the_reason():
    noise = bytes((i * 37 + 11) % 128 + 128 for i in range(3000))
    result = process_submission(noise, "report.txt")
    assert result.status == "quarantined"
    assert "encoding" in result.reason
    assert [f.rule for f in result.findings] == ["unreadable"]


def test_font_encoded_text_inside_a_docx_is_converted(tmp_path):
    import docx

    word = docx.Document()
    for line in ("Số: 2049/BC-UBND", "Phong Thổ, ngày 14 tháng 10 năm 2020", "UBND huyện Phong Thổ báo cáo kết quả thực hiện"):
        word.add_paragraph(encodings.encode_tcvn3(line).decode("cp1252"))  # typed in .VnTime: Word keeps the bytes
    buffer = io.BytesIO()
    word.save(buffer)
    result = process_submission(buffer.getvalue(), "abc.docx")
    assert result.encoding == "utf-8 (tcvn3 font)"
    assert result.document.meta.date.isoformat() == "2020-10-14"
    assert result.document.meta.unit_name == "Phong Thổ"


# ---- locale-mangled numbers ---------------------------------------------------------------------------

def test_counts_stored_as_decimals_are_repaired_with_a_warning_on_each_cell():
    """The seed opened in LibreOffice Calc with an English locale: 1.568 and 1.886 became decimals."""
    from openpyxl import load_workbook

    book = load_workbook(FIXTURES / "seed_en_locale.xlsx", read_only=True)
    stored = sorted({v for row in book.active.iter_rows(values_only=True) for v in row
                     if isinstance(v, float) and not v.is_integer()})
    book.close()
    assert stored == [1.568, 1.886]
    result = processed("seed_en_locale.xlsx")
    repaired = result.facts[result.facts["kind"] == "repaired"]
    assert sorted(repaired["value"]) == [1568, 1568, 1886, 1886]
    assert not ((result.facts["value"] > 0) & (result.facts["value"] < 2) & (result.facts["unit"] == "Người")).any()
    warnings = [f for f in result.findings if f.rule == "locale_number_repaired"]
    assert sorted(f.source for f in warnings) == sorted(repaired["source"])
    assert all(f.severity == "warning" for f in warnings)
    for f in warnings:
        assert f"Read as {int(f.expected)}, not {f.actual}" in f.message_en
        assert "1,568" in f.message_vi or "1,886" in f.message_vi
    assert sorted(f.rule for f in result.findings if f.severity == "error") == [
        "annex_missing", "annex_parent", "narrative_figure"]


@pytest.mark.parametrize("stored,counts,kind,value", [
    (1.568, True, "repaired", 1568),
    (12.5, True, "ambiguous", None),
    (1.56, True, "ambiguous", None),
    (0.568, True, "ambiguous", None),
    (1.5684, True, "ambiguous", None),
    (1568.0, True, "number", 1568),
    (25.64, False, "number", 25.64),
])
def test_read_stored(stored, counts, kind, value):
    number = read_stored(stored, "", counts)
    assert (number.kind, number.value) == (kind, value)


def test_an_ambiguous_count_is_an_error_and_not_a_fact(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(FIXTURES / "seed.xlsx")
    sheet = book["Biểu 01"]
    target = next(c for row in sheet.iter_rows() for c in row if c.value == 1568)
    target.value = 1.56
    path = tmp_path / "ambiguous.xlsx"
    book.save(path)
    result = process_submission(path.read_bytes(), path.name)
    errors = [f for f in result.findings if f.rule == "locale_number_ambiguous"]
    assert len(errors) == 1 and errors[0].severity == "error"
    assert errors[0].source == f"'Biểu 01'!{target.coordinate}"
    assert "1560 or 1.56" in errors[0].message_en
    assert errors[0].source not in set(result.facts["source"])


# ---- CSV: the canonical long layout -------------------------------------------------------------------

def test_canonical_csv_reads_to_the_seeds_facts(seed_result):
    result = processed("seed.csv")
    assert (result.format, result.encoding) == ("csv", "utf-8")
    assert fact_keys(result) == fact_keys(seed_result)
    # a CSV carries no narrative and no "Kèm theo" line: the annex and narrative cross-checks have nothing to check
    narrative = tuple({f.rule for f in seed_result.findings if f.rule.startswith("narrative_")})
    assert finding_keys(result) == finding_keys(seed_result, drop=("annex_parent", "annex_missing", *narrative))
    meta = result.document.meta
    assert (meta.number, meta.date.isoformat(), meta.unit_code, meta.period) == ("2049/BC-UBND", "2020-10-14", "109", "2016-2020")
    assert all(re.match(r"^R\d+:C14$", s) for s in result.facts["source"])


def test_csv_cells_that_look_like_formulas_are_text():
    header = "report_number,report_date,reporting_unit,period,form,group,label,year,measure,value\n"
    rows = ('2049/BC-UBND,2020-10-14,Phong Thổ,2016-2020,BIEU_01,1,"=HYPERLINK(""http://x"",""Số lớp"")",2018,plan,=1+2\n'
            "2049/BC-UBND,2020-10-14,Phong Thổ,2016-2020,BIEU_01,1,Số lớp,2019,plan,@SUM(A1)\n"
            "2049/BC-UBND,2020-10-14,Phong Thổ,2016-2020,BIEU_01,1,Số lớp,2020,plan,'+8\n")
    data = (header + rows).encode("utf-8")
    assert detect_format(data) == "csv"
    result = process_submission(data, "export.csv")
    labels = {r.cells[1].text for t in result.document.tables for r in t.rows}
    assert '=HYPERLINK("http://x","Số lớp")' in labels
    malformed = sorted(f.actual for f in result.findings if f.rule == "malformed_number")
    assert malformed == ["=1+2", "@SUM(A1)"]
    assert result.facts["value"].tolist() == [8]  # '+8 is the text "+8", read as a signed number, never evaluated


@pytest.mark.parametrize("text,written,read", [
    ("=1+2", "'=1+2", "=1+2"), ("@SUM(A1)", "'@SUM(A1)", "@SUM(A1)"), ("+84 912", "'+84 912", "+84 912"),
    ("-", "-", "-"), ("-5", "-5", "-5"), ("1568", "1568", "1.568"), ("1.568", "1.568", "1,568"), ("Số lớp", "Số lớp", "Số lớp"),
])
def test_write_csv_cell_quotes_formula_starts(text, written, read):
    """Written: a leading quote on formula starts; read: the quote dropped, machine numbers shown the Vietnamese way."""
    assert write_csv_cell(text) == written
    header = "form,label,measure,value\n"
    doc = read_csv(header + f"BIEU_01,x,plan,{written}\n", source="x.csv", sha256="0" * 64, encoding="utf-8")
    table = doc.tables[0]
    assert table.rows[-1].cells[table.columns[0].index].text == read


# ---- what cannot be read ends as one submission with a status and a reason ------------------------------

@pytest.mark.parametrize("name,fmt,words", [
    ("report.pdf", "pdf", "PDF"),
    ("export_web.xlsx", "html", "web page"),
    ("bomb.xlsx", "xlsx", "zip bomb"),
])
def test_unreadable_files_are_quarantined_with_a_reason(name, fmt, words):
    result = processed(name)
    assert (result.status, result.format) == ("quarantined", fmt)
    assert words in result.reason
    assert result.trace is None
    assert [f.rule for f in result.findings] == ["unreadable"]
    assert result.findings[0].message_vi and result.findings[0].message_en


def test_a_text_file_named_docx_is_read_as_text_and_says_so(seed_result):
    result = processed("seed_text.docx")
    assert (result.format, result.status) == ("text", "flagged")
    assert ".docx" in result.reason
    assert fact_keys(result) == fact_keys(seed_result)
    assert [f.severity for f in result.findings if f.rule == "format_mismatch"] == ["info"]


def test_legacy_file_without_libreoffice_is_quarantined_with_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine where soffice is not installed
    result = process_submission((FIXTURES / "seed.xls").read_bytes(), "seed.xls")
    assert (result.status, result.format) == ("quarantined", "xls")
    assert "soffice is not installed" in result.reason
    assert "LibreOffice" in result.findings[0].message_en and ".xlsx" in result.findings[0].message_en


@pytest.mark.parametrize("name,fmt", [("seed.docx", "docx"), ("seed.xlsx", "xlsx"), ("seed.doc", "doc"),
                                      ("seed.xls", "xls"), ("seed.csv", "csv"), ("seed_vni.txt", "text"),
                                      ("report.pdf", "pdf"), ("export_web.xlsx", "html"), ("seed_text.docx", "text")])
def test_format_is_detected_from_the_bytes(name, fmt):
    assert detect_format((FIXTURES / name).read_bytes()) == fmt


def test_check_json_shows_each_submissions_format_and_encoding():
    from typer.testing import CliRunner

    from flows.cli import app

    names = ["seed.docx", "seed_tcvn3.txt", "report.pdf"]
    out = CliRunner().invoke(app, ["check", *[str(FIXTURES / n) for n in names], "--format", "json"])
    assert out.exit_code == 1
    subs = json.loads(out.stdout)["submissions"]
    assert [(s["source"], s["format"], s["encoding"], s["status"]) for s in subs] == [
        ("seed.docx", "docx", "utf-8", "flagged"),
        ("seed_tcvn3.txt", "text", "tcvn3", "flagged"),
        ("report.pdf", "pdf", None, "quarantined"),
    ]
    assert subs[2]["reason"]


def test_xml_entities_in_a_docx_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    buffer = io.BytesIO()
    with zipfile.ZipFile(FIXTURES / "seed.docx") as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                head, _, body = data.decode("utf-8").partition("?>")
                doctype = f'<!DOCTYPE w:document [<!ENTITY leak SYSTEM "file://{secret}">]>'
                body = body.replace("Phong Thổ, ngày", "&leak; Phong Thổ, ngày", 1)
                data = (head + "?>" + doctype + body).encode("utf-8")
            dst.writestr(item, data)
    result = process_submission(buffer.getvalue(), "xxe.docx")
    assert result.status in ("flagged", "quarantined")
    assert "TOP-SECRET-VALUE" not in json.dumps([b.text for b in result.document.blocks] if result.document else [])


def _small_docx(form_line_first: bool, title_in_table: bool) -> bytes:
    """Biểu 02 of the seed, with 'Biểu số 02' above its title or inside the table's first (merged) row."""
    import docx

    word = docx.Document()
    for line in ("Số: 2049/BC-UBND", "Phong Thổ, ngày 14 tháng 10 năm 2020", "BÁO CÁO",
                 "Kết quả thực hiện giai đoạn 2016-2020", "Ủy ban Nhân dân huyện Phong Thổ báo cáo:",
                 "(Có biểu 02 chi tiết kèm theo)", ""):
        word.add_paragraph(line)
    above = ["Biểu số 02", "HOẠT ĐỘNG TUYÊN TRUYỀN VÀ GIẢM NGHÈO", "(Kèm theo Báo cáo số: 2049/BC-UBND ngày 14 tháng 10 năm 2020)"]
    if not form_line_first:
        above = above[1:] + above[:1]
    if title_in_table:
        above, inside = [], above
    else:
        inside = []
    for line in above:
        word.add_paragraph(line)
    rows = [["STT", "Nội dung", "Đơn vị tính", "Tổng số", "", "Năm 2018", "", "Năm 2019", ""],
            ["", "", "", "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện"],
            ["1", "Tổ chức buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo", "", "", "", "", "", "", ""],
            ["-", "Số buổi", "Buổi", "9", "9", "5", "5", "4", "4"]]
    table = word.add_table(rows=len(inside) + len(rows), cols=9)
    for r, line in enumerate(inside):
        table.cell(r, 0).merge(table.cell(r, 8)).text = line
    top = len(inside)
    for r, row in enumerate(rows):
        for k, text in enumerate(row):
            if text:
                table.cell(top + r, k).text = text
    for k in (3, 5, 7):
        table.cell(top, k).merge(table.cell(top, k + 1)).text = rows[0][k]
    for k in (0, 1, 2):
        table.cell(top, k).merge(table.cell(top + 1, k)).text = rows[0][k]
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("form_line_first,title_in_table", [(True, False), (False, True), (True, True)])
def test_docx_annex_title_above_or_inside_the_table(form_line_first, title_in_table):
    result = process_submission(_small_docx(form_line_first, title_in_table), "b02.docx")
    table = result.document.tables[0]
    assert (table.form_no, table.attached_number, table.ref) == ("02", "2049/BC-UBND", "T1")
    assert sorted(result.facts["value"]) == [4, 4, 5, 5, 9, 9]
    top = 3 + (3 if title_in_table else 0)
    assert set(result.facts["source"]) == {f"T1:R{top + 1}:C{c}" for c in range(4, 10)}
    assert not [f for f in result.findings if f.rule in ("annex_parent", "annex_missing", "unknown_form")]


def test_xlsx_form_number_in_the_top_corner_above_the_title(tmp_path):
    """A common layout: 'Biểu số 02' in the sheet's top-right cell, then the title, then the 'Kèm theo' line."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "B02"
    ws["I1"] = "Biểu số 02"
    ws["A2"] = "HOẠT ĐỘNG TUYÊN TRUYỀN VÀ GIẢM NGHÈO"
    ws["A3"] = "(Kèm theo Báo cáo số: 2043/BC-UBND ngày 18 tháng 10 năm 2020)"
    ws.append(["STT", "Nội dung", "Đơn vị tính", "Tổng số", None, "Năm 2018", None, "Năm 2019", None])
    ws.append([None, None, None, "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện"])
    ws.append([1, "Tổ chức buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo"])
    ws.append(["-", "Số buổi", "Buổi", 9, None, 5, 5, 4, 4])
    for cols in ("D4:E4", "F4:G4", "H4:I4", "A4:A5", "B4:B5", "C4:C5"):
        ws.merge_cells(cols)
    path = tmp_path / "b02.xlsx"
    book.save(path)
    result = process_submission(path.read_bytes(), path.name)
    table = result.document.tables[0]
    assert (table.form_no, table.attached_number, table.ref) == ("02", "2043/BC-UBND", "B02!I1")
    assert dict(zip(result.facts["source"], result.facts["value"])) == {
        "B02!D7": 9, "B02!F7": 5, "B02!G7": 5, "B02!H7": 4, "B02!I7": 4}
    assert [(f.rule, f.source) for f in result.findings if f.rule == "total_blank"] == [("total_blank", "B02!E7")]


def test_xlsx_percentages_read_as_written(tmp_path):
    from openpyxl import Workbook, load_workbook

    from tasks.read.xlsx import _as_written

    book = Workbook()
    book.active["A1"], book.active["A2"] = 0.2564, 0.2564
    book.active["A1"].number_format = "0.00%"
    book.save(tmp_path / "p.xlsx")
    cells = [row[0] for row in load_workbook(tmp_path / "p.xlsx", read_only=True).active.iter_rows()]
    assert [_as_written(c) for c in cells] == ["25,64%", 0.2564]


def test_counts_typed_with_an_english_thousands_comma_are_repaired_in_text_too(seed_bytes, seed_result):
    text = seed_bytes.decode("utf-8").replace("\t1.568\t1.568\t", "\t1,568\t1,568\t")
    result = process_submission(text.encode("utf-8"), "comma.txt")
    assert fact_keys(result) == fact_keys(seed_result)
    warnings = [f for f in result.findings if f.rule == "locale_number_repaired"]
    assert [(f.source, f.expected) for f in warnings] == [("L174:C4", 1568), ("L174:C5", 1568)]
    assert "'1,568'" in warnings[0].message_en
