"""A report's district is the longest district name it spells out, in the province or centrally-run city it names,
of the kind its kind word says (huyện / thị xã Kỳ Anh), and synth writes names as reports do."""
from __future__ import annotations

import random
import re

import pytest

from config.units import _provinces_named, legacy_districts, resolve_unit
from contracts.vietnamese import fold
from tasks.read.submission import resolve_meta
from tasks.read.text import read_text
from tasks.synth.corpus import PERIODS, build_report, reporting_units, write_text


def _header(kind: str, name: str, where: str, place: str | None = None) -> str:
    """The top of a report as districts write it: issuer in capitals, place and date, then the body."""
    body = (f"Thực hiện Kế hoạch của UBND {where}, Ủy ban nhân dân {kind.lower()} {name} báo cáo kết quả thực hiện "
            f"năm 2023 trên địa bàn {kind.lower()} {name}, {where} như sau:")
    return "\n".join([f"UBND {kind.upper()} {name.upper()}", "Số: 512/BC-UBND",
                      f"{place or name}, ngày 15 tháng 12 năm 2023", "BÁO CÁO", body])


def _code(text: str) -> str | None:
    unit = resolve_unit(text)
    return None if unit is None else unit.code


@pytest.mark.parametrize(
    "kind, name, where, code",
    [
        ("Huyện", "Điện Biên Đông", "tỉnh Điện Biên", "101"),  # not also huyện Điện Biên
        ("Huyện", "Gò Công Tây", "tỉnh Tiền Giang", "823"),  # not also (thị xã, now thành phố) Gò Công
        ("Huyện", "Gò Công Đông", "tỉnh Tiền Giang", "824"),
        ("Quận", "Tân Phú", "Thành phố Hồ Chí Minh", "767"),  # not huyện Tân Phú of Đồng Nai
        ("Huyện", "Vĩnh Thạnh", "thành phố Cần Thơ", "924"),  # neither Vĩnh Thạnh of Bình Định nor thành phố Vinh
        ("Huyện", "Phong Điền", "thành phố Cần Thơ", "926"),  # not thị xã Phong Điền of Huế
    ],
)
def test_a_district_whose_name_holds_another_or_recurs_elsewhere_resolves(kind, name, where, code):
    unit = resolve_unit(_header(kind, name, where))
    assert unit is not None and (unit.code, unit.name) == (code, name)


@pytest.mark.parametrize(
    "kind, name, where, code",
    [
        ("Huyện", "Điện Biên", "tỉnh Điện Biên", "100"),  # the shorter name still resolves to itself
        ("Thị xã", "Gò Công", "tỉnh Tiền Giang", "816"),
        ("Thành phố", "Gò Công", "tỉnh Tiền Giang", "816"),
        ("Thành phố", "Điện Biên Phủ", "tỉnh Điện Biên", "094"),
        ("Huyện", "Châu Thành", "tỉnh Hậu Giang", "933"),  # beside Châu Thành A
        ("Huyện", "Châu Thành A", "tỉnh Hậu Giang", "932"),
        ("Huyện", "Tân Phú", "tỉnh Đồng Nai", "734"),  # the other half of each shared name
        ("Huyện", "Vĩnh Thạnh", "tỉnh Bình Định", "546"),
        ("Thành phố", "Vinh", "tỉnh Nghệ An", "412"),
        ("Thành phố", "Lai Châu", "tỉnh Lai Châu", "105"),  # a provincial city is a district, not a province
    ],
)
def test_the_shorter_or_other_namesake_is_not_displaced(kind, name, where, code):
    unit = resolve_unit(_header(kind, name, where))
    assert unit is not None and (unit.code, unit.name) == (code, name)


def test_only_the_five_centrally_run_cities_name_a_province_as_thanh_pho():
    assert _provinces_named(fold("thành phố Cần Thơ; Thành phố Hồ Chí Minh")) == {"92", "79"}
    assert _provinces_named(fold("thành phố Hà Nội, thành phố Hải Phòng, thành phố Đà Nẵng")) == {"01", "31", "48"}
    assert _provinces_named(fold("UBND tỉnh Tiền Giang")) == {"82"}
    assert _provinces_named(fold("thành phố Lai Châu, thành phố Điện Biên Phủ")) == set()  # district-level cities
    assert _provinces_named(fold("tình hình thực hiện, tính đến nay")) == set()


def test_no_district_named_is_no_unit():
    assert resolve_unit("Báo cáo kết quả thực hiện Chương trình năm 2023 của tỉnh Điện Biên") is None
    assert resolve_unit("") is None


@pytest.mark.slow
def test_every_district_synth_writes_round_trips():
    """A report synth writes for any legacy district resolves back to it, as the reader sees it (the narrative
    blocks before the annexes, through resolve_meta): synth leaves no district out any more."""
    units = reporting_units()
    assert len(units) == len(legacy_districts())
    wrong = []
    for i, unit in enumerate(units):
        report = build_report(random.Random(f"units:{unit.code}"), unit, PERIODS[i % len(PERIODS)])
        doc = resolve_meta(read_text(write_text(report).decode("utf-8"), source=f"{unit.code}.txt", sha256="0",
                                     encoding="utf-8"))
        if doc.meta.unit_code != unit.code:
            wrong.append((unit.code, unit.full_name, unit.province, doc.meta.unit_code))
        text = write_text(report).decode("utf-8")
        if _DATASET_SPELLING.search(text) or "quận quận" in text.lower():
            wrong.append((unit.code, unit.full_name, "writes the dataset's spelling, not the report's"))
        if f"\nUBND {unit.called.upper()}\n" not in text or doc.meta.issuer != f"UBND {unit.called}":
            wrong.append((unit.code, unit.full_name, "issuer", doc.meta.issuer))
    assert not wrong, wrong


_DATASET_SPELLING = re.compile(r"\((?:huyện|thị xã|thành phố|quận)\)", re.IGNORECASE)  # "Kỳ Anh (Thị xã)"


# ---- gap 1: the dataset's "Kỳ Anh (Huyện)" / "Kỳ Anh (Thị xã)": the name without the bracket, the kind word decides

@pytest.mark.parametrize(
    "kind, name, where, code",
    [
        ("Huyện", "Kỳ Anh", "tỉnh Hà Tĩnh", "447"),
        ("Thị xã", "Kỳ Anh", "tỉnh Hà Tĩnh", "449"),
        ("Thị xã", "Cai Lậy", "tỉnh Tiền Giang", "817"),
        ("Huyện", "Cai Lậy", "tỉnh Tiền Giang", "820"),
        ("Huyện", "Duyên Hải", "tỉnh Trà Vinh", "850"),
        ("Thị xã", "Duyên Hải", "tỉnh Trà Vinh", "851"),
        ("Thành phố", "Cao Lãnh", "tỉnh Đồng Tháp", "866"),
        ("Huyện", "Cao Lãnh", "tỉnh Đồng Tháp", "873"),
        ("Thành phố", "Hồng Ngự", "tỉnh Đồng Tháp", "868"),
        ("Huyện", "Hồng Ngự", "tỉnh Đồng Tháp", "870"),
        ("Huyện", "Long Mỹ", "tỉnh Hậu Giang", "936"),
        ("Thị xã", "Long Mỹ", "tỉnh Hậu Giang", "937"),
        ("TP.", "Cao Lãnh", "tỉnh Đồng Tháp", "866"),  # headers abbreviate: "UBND TP. CAO LÃNH"
        ("TX.", "Long Mỹ", "tỉnh Hậu Giang", "937"),
    ],
)
def test_a_name_the_dataset_brackets_resolves_by_the_kind_word_before_it(kind, name, where, code):
    assert _code(_header(kind, name, where)) == code


def test_huyen_and_thi_xa_of_one_name_each_go_to_their_own_unit():
    assert _code("UBND HUYỆN KỲ ANH\nKỳ Anh, ngày 15 tháng 12 năm 2023") == "447"
    assert _code("UBND THỊ XÃ KỲ ANH\nKỳ Anh, ngày 15 tháng 12 năm 2023") == "449"  # no province: the kind decides
    # a thị xã report that names its neighbour once is still the thị xã's (the dataset's "Kỳ Anh (Huyện)" is not
    # a key, so "thị xã Kỳ Anh, huyện ..." does not read as the huyện either)
    assert _code(_header("Thị xã", "Kỳ Anh", "tỉnh Hà Tĩnh") + "\nPhối hợp với thị xã Kỳ Anh, huyện Kỳ Anh.") == "449"
    assert _code(_header("Huyện", "Kỳ Anh", "tỉnh Hà Tĩnh") + "\nGiáp thị xã Kỳ Anh.") == "447"


def test_a_kind_word_that_decides_nothing_keeps_the_tie_rule():
    # thị xã Hồng Ngự became thành phố Hồng Ngự in 2020: a 2016-2020 report still says thị xã. Neither unit is a
    # thị xã, so both count and the first in the reference list (the thành phố, 868) wins, as before.
    assert _code(_header("Thị xã", "Hồng Ngự", "tỉnh Đồng Tháp")) == "868"
    # huyện Phong Điền of Thừa Thiên Huế became thị xã Phong Điền in 2025: "huyện" must not move it to Cần Thơ
    assert _code(_header("Huyện", "Phong Điền", "tỉnh Thừa Thiên Huế")) == "476"
    assert _code(_header("Huyện", "Phong Điền", "Thừa Thiên - Huế")) == "476"


def test_the_old_synth_spelling_still_resolves():
    """Corpora written before this change say "UBND thị xã Kỳ Anh (Thị xã)" and "UBND quận Quận 1"."""
    assert _code("UBND THỊ XÃ KỲ ANH (THỊ XÃ)\nKỳ Anh (Thị xã) là thị xã thuộc tỉnh Hà Tĩnh") == "449"
    assert _code("UBND HUYỆN KỲ ANH (HUYỆN)\nKỳ Anh (Huyện) là huyện thuộc tỉnh Hà Tĩnh") == "447"
    assert _code("UBND QUẬN QUẬN 10\nQuận 10 là quận thuộc thành phố Hồ Chí Minh") == "771"


# ---- gap 2: the numbered districts of Hồ Chí Minh ("Quận 1" in the dataset, "UBND QUẬN 1" in a report)

NUMBERED = {"1": "760", "3": "770", "4": "773", "5": "774", "6": "775", "7": "778", "8": "776",
            "10": "771", "11": "772", "12": "761"}


def test_the_numbered_districts_are_the_dataset_s():
    numbered = {u.name: u.code for u in legacy_districts() if u.name.startswith("Quận ") and u.name[5:].isdigit()}
    assert numbered == {f"Quận {n}": code for n, code in NUMBERED.items()}  # no Quận 2, 9: Thủ Đức since 2021


@pytest.mark.parametrize("number, code", sorted(NUMBERED.items()))
def test_a_numbered_district_resolves_from_its_header(number, code):
    assert _code(_header("Quận", number, "Thành phố Hồ Chí Minh", place=f"Quận {number}")) == code
    assert _code(f"ỦY BAN NHÂN DÂN QUẬN {number}\nSố: 88/BC-UBND\nQuận {number}, ngày 20 tháng 12 năm 2023\n"
                 f"Trên địa bàn quận {number}, TP.HCM") == code


def test_quan_1_is_not_quan_10_or_12_and_a_bare_number_needs_quan():
    assert _code("UBND QUẬN 1\nquận 1, Thành phố Hồ Chí Minh") == "760"
    assert _code("UBND QUẬN 10\nquận 10, Thành phố Hồ Chí Minh") == "771"
    assert _code("UBND QUẬN 12\nquận 12, Thành phố Hồ Chí Minh") == "761"
    assert _code("UBND QUẬN 1\nQuận 1 giáp quận 3, quận 4, quận 10 và quận 1; Thành phố Hồ Chí Minh") == "760"
    # numbers after another kind word, or districts that no longer exist, name no numbered district
    assert _code("Toàn huyện 1.886 người tham gia; thành phố 12 tháng") is None
    assert _code("UBND QUẬN 2\nquận 2, Thành phố Hồ Chí Minh") is None
    assert _code(_header("Huyện", "Phong Thổ", "tỉnh Lai Châu") + "\nToàn huyện 1.886 người.") == "109"


# ---- gap 3: TP. Hồ Chí Minh / TP.HCM and the other four cities; Thừa Thiên Huế for the dataset's "Huế"

def test_tp_and_hcm_and_thua_thien_hue_name_their_province():
    hcm = ["TP. Hồ Chí Minh", "TP Hồ Chí Minh", "Tp. HCM", "TP.HCM", "TPHCM", "Thành phố HCM", "tp.Hồ Chí Minh"]
    for words in hcm:
        assert _provinces_named(fold(f"Quận 1, {words}")) == {"79"}, words
    assert _provinces_named(fold("TP. Hà Nội; TP Hải Phòng; Tp. Đà Nẵng; TP.Cần Thơ")) == {"01", "31", "48", "92"}
    assert [u.province for u in legacy_districts() if u.province_code == "46"][0] == "Huế"
    for words in ("tỉnh Thừa Thiên Huế", "TỈNH THỪA THIÊN HUẾ", "Thừa Thiên - Huế", "tỉnh Thừa Thiên-Huế",
                  "thành phố Huế", "TP. Huế", "tỉnh Huế"):
        assert _provinces_named(fold(f"UBND {words}")) == {"46"}, words
    # a district-level city is no province, abbreviated or not
    assert _provinces_named(fold("TP. Lai Châu, TP Điện Biên Phủ, TP. Cao Lãnh")) == set()


@pytest.mark.parametrize(
    "kind, name, where, code",
    [
        ("Huyện", "Vĩnh Thạnh", "TP. Cần Thơ", "924"),  # not huyện Vĩnh Thạnh of Bình Định (546), first in the list
        ("Huyện", "Phong Điền", "TP. Cần Thơ", "926"),
        ("Quận", "Bình Tân", "TP.HCM", "777"),
        ("Huyện", "Củ Chi", "Tp. HCM", "783"),
        ("Quận", "Hoàng Mai", "TP. Hà Nội", "008"),  # not thị xã Hoàng Mai of Nghệ An
        ("Thị xã", "Hương Thủy", "tỉnh Thừa Thiên Huế", "479"),
        ("Huyện", "A Lưới", "Thừa Thiên - Huế", "481"),
    ],
)
def test_a_district_resolves_with_its_province_written_the_short_way(kind, name, where, code):
    assert _code(_header(kind, name, where)) == code


def test_the_seed_still_resolves_to_phong_tho(seed_bytes):
    unit = resolve_unit(seed_bytes.decode("utf-8"))
    assert unit is not None and (unit.code, unit.name, unit.province) == ("109", "Phong Thổ", "Lai Châu")


# ---- gap 4: synth writes the names a report writes

@pytest.mark.parametrize(
    "code, issuer, place",
    [("449", "UBND THỊ XÃ KỲ ANH", "Kỳ Anh"), ("447", "UBND HUYỆN KỲ ANH", "Kỳ Anh"),
     ("866", "UBND THÀNH PHỐ CAO LÃNH", "Cao Lãnh"), ("760", "UBND QUẬN 1", "Quận 1"),
     ("771", "UBND QUẬN 10", "Quận 10"), ("109", "UBND HUYỆN PHONG THỔ", "Phong Thổ")],
)
def test_synth_writes_the_name_as_a_report_does(code, issuer, place):
    unit = next(u for u in legacy_districts() if u.code == code)
    report = build_report(random.Random(code), unit, "2023")
    lines = write_text(report).decode("utf-8").split("\n")
    assert lines[1] == issuer
    assert lines[5].startswith(f"{place}, ngày ")
    assert resolve_unit("\n".join(lines)).code == code


@pytest.mark.parametrize("kind, name, shown", [
    ("Thị xã", "Kỳ Anh (Thị xã)", "Thị xã Kỳ Anh"),
    ("Quận", "Quận 1", "Quận 1"),
    ("Huyện", "Phong Thổ", "Huyện Phong Thổ"),
    (None, "Phong Thổ", "Huyện Phong Thổ"),
])
def test_headings_name_a_unit_as_reports_do(kind, name, shown):
    from config.units import display_name

    assert display_name(kind, name) == shown


@pytest.mark.parametrize("written, code", [
    ("Thị xã Kỳ Anh", "449"), ("Huyện Kỳ Anh", "447"), ("Kỳ Anh (Thị xã)", "449"), ("Quận 1", "760"),
    ("Phong Thổ", "109"), ("Huyện Phong Thổ", "109"),
])
def test_a_csv_names_its_unit_as_reports_do(written, code):
    from tasks.read.csv import _meta

    assert _meta([(2, {"reporting_unit": written})]).unit_code == code
