"""A report's district is the longest district name it spells out, in the province or centrally-run city it names."""
from __future__ import annotations

import random

import pytest

from config.units import _provinces_named, legacy_districts, resolve_unit
from tasks.read.normalize import fold
from tasks.read.submission import resolve_meta
from tasks.read.text import read_text
from tasks.synth import PERIODS, build_report, reporting_units, write_text


def _header(kind: str, name: str, where: str) -> str:
    """The top of a report as districts write it: issuer in capitals, place and date, then the body."""
    body = (f"Thực hiện Kế hoạch của UBND {where}, Ủy ban nhân dân {kind.lower()} {name} báo cáo kết quả thực hiện "
            f"năm 2023 trên địa bàn {kind.lower()} {name}, {where} như sau:")
    return "\n".join([f"UBND {kind.upper()} {name.upper()}", "Số: 512/BC-UBND",
                      f"{name}, ngày 15 tháng 12 năm 2023", "BÁO CÁO", body])


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
    assert not wrong, wrong
