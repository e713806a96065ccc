"""Labels match the catalog tolerantly, with a score; unknown labels stay unknown."""
import pytest

from config.catalog import MATCH_THRESHOLD, best_match, form_for, label_score, load_forms


@pytest.mark.parametrize(
    "written, known, at_least",
    [
        ("Số lớp", "Số lớp", 1.0),
        ("số  lớp", "Số lớp", 0.97),
        ("SỐ LỚP", "Số lớp", 0.97),
        ("Nâng cao năng lực cho công đồng", "Nâng cao năng lực cho cộng đồng", 0.97),
        ("So lop", "Số lớp", 0.97),
        ("Nâng cao năng lực cho cán bộ cơ sỏ", "Nâng cao năng lực cho cán bộ cơ sở", 0.97),
        ("Số ngườii tham gia", "Số người tham gia", MATCH_THRESHOLD),
    ],
)
def test_tolerant_matches_score_high(written, known, at_least):
    assert label_score(written, known) >= at_least


@pytest.mark.parametrize("written", ["Số xe máy", "Kinh phí", "Tổng số hộ nghèo"])
def test_unrelated_labels_do_not_match(written):
    form = load_forms()["BIEU_01"]
    candidates = [(i, (i.label, *i.variants)) for i in form.groups[0].items]
    match = best_match(written, candidates)
    assert match.target is None
    assert match.score < MATCH_THRESHOLD


def test_exact_match_records_score_one():
    form = load_forms()["BIEU_01"]
    match = best_match("Số lớp", [(i, (i.label, *i.variants)) for i in form.groups[0].items])
    assert match.target.code == "G1.SO_LOP" and match.score == 1.0


def test_catalog_forms_and_formulas():
    forms = load_forms()
    assert {"BIEU_01", "BIEU_02", "BIEU_03"} <= set(forms)
    people = forms["BIEU_01"].indicator("TONG_SO_NGUOI")
    assert people.sum_of == ("G1.SO_NGUOI", "G2.SO_NGUOI") and people.unit == "Người"


def test_form_found_by_number_or_title():
    forms = load_forms()
    assert form_for("02", "HOẠT ĐỘNG TUYỂN TRUYỀN VÀ GIẢM NGHÈO", forms).target.code == "BIEU_02"
    assert form_for(None, "Nâng cao năng lực cho cộng đồng và cán bộ cơ sở", forms).target.code == "BIEU_01"
    assert form_for("09", "Bảng lương cán bộ", forms).target is None
