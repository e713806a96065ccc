"""Make a synthetic national corpus: district reports laid out as the seed is, with planted errors.

A report is built once as a format-free model (Report: header, narrative paragraphs, annex tables of
strings), errors are planted in the model, and a writer renders it. Only the text writer exists; a
docx, xlsx or csv writer takes the same Report (see WRITERS). Deterministic: the same arguments give
the same bytes, because every draw comes from a Random seeded by (seed, submission index).
"""
from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from contracts.vietnamese import format_number
from config.units import CENTRAL_CITIES, Unit, _dataset, legacy_districts

PERIODS = ("2016-2020", "2021", "2022", "2023", "2024", "2025")
KINDS = ("total_off", "year_off", "annex_parent", "annex_missing", "blank_total")
PROGRAM = "Chương trình MTQG giảm nghèo bền vững"
CITY_PROVINCES = CENTRAL_CITIES  # province-level cities: "thành phố", not "tỉnh"


@dataclass
class Row:
    """One body row of an annex: STT, label, unit, then a (plan, actual) pair per column; None is blank."""

    stt: str
    label: str
    unit: str
    values: list[list[int | None]] = field(default_factory=list)  # [column][0 plan | 1 actual]
    code: str | None = None  # catalog indicator, None for a group heading

    @property
    def is_heading(self) -> bool:
        return self.code is None


@dataclass
class Annex:
    """One annex table: its form, title, the report it says it is attached to, its columns and rows."""

    form: str  # "BIEU_01"
    number: str  # "01"
    title: str
    attached_number: str
    attached_date: date
    years: list[int]  # the columns after "Tổng số"
    rows: list[Row]
    ragged_last: bool = False  # the second header row says nothing under the last year (as the seed's Biểu 02)


@dataclass
class Report:
    """A district report before it is written in any format."""

    unit: Unit
    number: str  # "2049/BC-UBND"
    date: date
    period: str  # "2016-2020" or "2023"
    phase: str  # "2016-2020" or "2021-2025"
    issuer: str  # "UBND huyện Phong Thổ"
    place: str
    title: str
    paragraphs: list[str]
    annexes: list[Annex]
    signer: str


# ---- numbers -------------------------------------------------------------------------------------

def vn(n: int | None) -> str:
    """1886 -> '1.886', the Vietnamese way; None is a blank cell."""
    return format_number(n)


def vn_rate(x: float) -> str:
    """A rate with its two places, as reports write it: 25.6 -> '25,60'."""
    return format_number(x, keep_zeros=True)


def _pair(rng: random.Random, plan: int, keep: float = 0.85) -> list[int]:
    actual = plan if rng.random() < 0.6 else max(0, round(plan * rng.uniform(keep, 1.0)))
    return [plan, actual]


def _sum_years(row: Row) -> None:
    """Column 0 (Tổng số) = sum of the years, plan and actual apart; blank years are skipped."""
    for m in (0, 1):
        present = [v[m] for v in row.values[1:] if v[m] is not None]
        row.values[0][m] = sum(present) if present else None


def _total_row(label: str, parts: list[Row], code: str) -> Row:
    width = len(parts[0].values)
    values = [[sum(p.values[c][m] for p in parts) for m in (0, 1)] for c in range(width)]
    return Row(stt="", label=label, unit="", values=values, code=code)


def _draws(stream, *key) -> random.Random:
    """The numbers of one unit's cell-year: every report of that unit that covers the year repeats them, as real
    districts do (a 2022 report restates 2021 only where a planted error changes it)."""
    return random.Random(":".join(str(k) for k in (*stream, *key)))


def biểu_01(rng: random.Random, years: list[int], stream: tuple = ()) -> list[Row]:
    """Capacity building: two groups (community, officials) of classes and people, and the (1+2) totals.

    A unit has its own scale, and its years move within ±25 % of it (no year-over-year outliers by accident)."""
    rows: list[Row] = []
    items: dict[str, Row] = {}
    for g, label, classes, size in (
        ("1", "Nâng cao năng lực cho cộng đồng", (3, 12), (25, 65)),
        ("2", "Nâng cao năng lực cho cán bộ cơ sở", (1, 3), (20, 110)),
    ):
        scale = _draws(stream, "BIEU_01", g) if stream else rng
        base_classes, base_size = scale.randint(*classes), scale.randint(*size)
        rows.append(Row(stt=g, label=label, unit=""))
        lop = Row("-", "Số lớp", "Lớp", [[0, 0]], code=f"G{g}.SO_LOP")
        nguoi = Row("-", "Số lượng", "Người", [[0, 0]], code=f"G{g}.SO_NGUOI")
        for year in years:
            r = _draws(stream, "BIEU_01", g, year) if stream else rng
            plan = max(1, round(base_classes * r.uniform(0.8, 1.25)))
            pair = _pair(r, plan, keep=0.7)
            lop.values.append(pair)
            people = [plan * max(1, round(base_size * r.uniform(0.9, 1.1))), 0]
            people[1] = people[0] if pair[1] == plan and r.random() < 0.7 else round(
                people[0] * pair[1] / plan * r.uniform(0.9, 1.0))
            nguoi.values.append(people)
        _sum_years(lop)
        _sum_years(nguoi)
        rows += [lop, nguoi]
        items[f"G{g}.SO_LOP"], items[f"G{g}.SO_NGUOI"] = lop, nguoi
    rows.append(_total_row("Tổng cộng số lớp = (1+2)", [items["G1.SO_LOP"], items["G2.SO_LOP"]], "TONG_SO_LOP"))
    rows.append(_total_row("Tổng cộng số người = (1+2)", [items["G1.SO_NGUOI"], items["G2.SO_NGUOI"]],
                           "TONG_SO_NGUOI"))
    return rows


def biểu_02(rng: random.Random, years: list[int], stream: tuple = ()) -> list[Row]:
    """Poverty-reduction communication: sessions and participants; some years had none (blank pairs)."""
    heading = Row("1", "Tổ chức buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo", "")
    buoi = Row("-", "Số buổi", "Buổi", [[0, 0]], code="G1.SO_BUOI")
    nguoi = Row("-", "Số người tham gia", "Người", [[0, 0]], code="G1.SO_NGUOI")
    scale = _draws(stream, "BIEU_02") if stream else rng
    base_sessions, base_per = scale.randint(2, 8), scale.randint(35, 110)
    draws = {y: _draws(stream, "BIEU_02", y) if stream else rng for y in years}
    rolls = {y: draws[y].random() for y in years}  # drawn for every year, so later draws do not shift
    idle = {y for y in years if len(years) > 1 and rolls[y] < 0.15}
    if len(idle) == len(years):
        idle.pop()
    for y in years:
        if y in idle:
            buoi.values.append([None, None])
            nguoi.values.append([None, None])
            continue
        r = draws[y]
        plan = max(1, round(base_sessions * r.uniform(0.8, 1.25)))
        pair = _pair(r, plan, keep=0.75)
        buoi.values.append(pair)
        per = max(1, round(base_per * r.uniform(0.9, 1.1)))
        nguoi.values.append([plan * per, pair[1] * per - (r.randint(0, 15) if pair[1] else 0)])
    _sum_years(buoi)
    _sum_years(nguoi)
    return [heading, buoi, nguoi]


# ---- units and places ----------------------------------------------------------------------------

_KIND_LOWER = {"Huyện": "huyện", "Thị xã": "thị xã", "Thành phố": "thành phố", "Quận": "quận"}


def province_words(unit: Unit) -> str:
    return f"thành phố {unit.province}" if unit.province_code in CITY_PROVINCES else f"tỉnh {unit.province}"


@lru_cache(maxsize=1)
def _communes() -> dict[str, tuple[str, ...]]:
    """Commune (ward) names by legacy district code, for the narrative's lists of communes."""
    with sqlite3.connect(f"file:{_dataset()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT districtCode, wardShort FROM admin_units_legacy ORDER BY districtCode, wardCode")
        out: dict[str, list[str]] = {}
        for code, ward in rows:
            out.setdefault(code, []).append(ward)
    return {k: tuple(v) for k, v in out.items()}


def reporting_units() -> tuple[Unit, ...]:
    """Every legacy district: resolve_unit gives each one back from a report synth writes for it (tests/test_units.py
    checks that for all of them; Điện Biên Đông, Gò Công Tây/Đông, Tân Phú, Vĩnh Thạnh, Phong Điền used to be
    left out here because they did not)."""
    return legacy_districts()


# ---- one report ----------------------------------------------------------------------------------

SIGNERS = ("Trần Bảo Trung", "Nguyễn Văn Hùng", "Lò Văn Thắng", "Hoàng Thị Mai", "Lê Minh Tuấn", "Vàng A Sử",
           "Phạm Thị Hạnh", "Đỗ Quang Vinh", "Giàng Seo Phử", "Bùi Thanh Sơn")


def build_report(rng: random.Random, unit: Unit, period: str, seed: int | None = None) -> Report:
    """A clean report: every total holds, every annex is attached and names its report. With `seed`, a unit's
    yearly numbers are the same in each of its reports (see _draws)."""
    kind = _KIND_LOWER.get(unit.kind, "huyện")
    if "-" in period:
        phase, start = period, int(period[:4])
        years = list(range(start + (1 if rng.random() < 0.3 else 0), start + 5))
        day = date(start + 4, rng.randint(9, 12), rng.randint(1, 28))
    else:
        phase, year = "2021-2025", int(period)
        years = list(range(2021, year + 1))
        day = date(year, 12, rng.randint(1, 28)) if rng.random() < 0.7 else date(year, 11, rng.randint(1, 30))
    number = f"{rng.randint(100, 2999)}/BC-UBND"
    issuer = f"UBND {unit.called}"  # "UBND thị xã Kỳ Anh", "UBND quận 1": not "Kỳ Anh (Thị xã)", "quận Quận 1"
    place = unit.plain
    stream = () if seed is None else (seed, unit.code)
    b01, b02 = biểu_01(rng, years, stream), biểu_02(rng, years, stream)
    annexes = [
        Annex("BIEU_01", "01", "NÂNG CAO NĂNG LỰC CHO CỘNG ĐỒNG VÀ CÁN BỘ CƠ SỞ", number, day, years, b01),
        Annex("BIEU_02", "02", "HOẠT ĐỘNG TRUYỀN THÔNG VÀ GIẢM NGHÈO", number, day, years, b02,
              ragged_last=rng.random() < 0.1),
    ]
    when = f"giai đoạn {phase}" if "-" in period else f"năm {period}"
    title = (f"Kết quả thực hiện {when} nâng cao năng lực cộng đồng và cán bộ cơ sở các xã ĐBKK, thôn, bản ĐBKK; "
             f"công tác truyền thông và giảm nghèo về thông tin thuộc {PROGRAM} giai đoạn {phase}")
    return Report(unit=unit, number=number, date=day, period=period, phase=phase, issuer=issuer, place=place,
                  title=title, paragraphs=narrative(rng, unit, kind, phase, years, b01, b02), annexes=annexes,
                  signer=rng.choice(SIGNERS))


def narrative(rng: random.Random, unit: Unit, kind: str, phase: str, years: list[int],
              b01: list[Row], b02: list[Row]) -> list[str]:
    """Sections I-IV; every figure agrees with section I's own arithmetic and with the annexes."""
    province = province_words(unit)
    communes = _communes().get(unit.code, ()) or ("Trung Tâm",)
    n_communes = len(communes)
    region3 = rng.randint(0, n_communes)
    households = rng.randint(8_000, 60_000)
    people = households * rng.randint(38, 52) // 10
    poor = rng.randint(households // 50, households // 3)
    near_poor = rng.randint(households // 40, households // 4)
    minority = rng.randint(people // 20, people - 1)
    area = rng.randint(2_000, 250_000) + rng.randint(0, 9) / 10
    people_trained = b01[-1].values[0][1]
    sessions, participants = b02[1].values[0][1], b02[2].values[0][1]
    radios_to = sorted(rng.sample(range(n_communes), min(n_communes, rng.randint(2, 6))))
    radio_names = [communes[i] for i in radios_to]
    radios = len(radio_names) * rng.randint(5, 15)
    first, last = years[0], years[-1]
    return [
        f"Thực hiện Công văn số {rng.randint(100, 999)}/UBND-VX ngày {rng.randint(1, 28)}/{rng.randint(1, 9)}/{last} "
        f"của UBND {province} về việc báo cáo kết quả thực hiện {PROGRAM} giai đoạn {phase} trên địa bàn {kind}.",
        f"Ủy ban Nhân dân {unit.called} báo cáo kết quả thực hiện như sau:",
        "I. ĐẶC ĐIỂM CHUNG",
        f"{unit.plain} là {kind} thuộc {province}, có diện tích tự nhiên {vn(int(area))},{int(area * 10) % 10} ha. "
        f"Toàn {kind} có {n_communes} xã, phường, thị trấn với {vn(households)} hộ, {vn(people)} nhân khẩu. "
        f"Đồng bào dân tộc thiểu số có {vn(minority)} người chiếm {vn_rate(100 * minority / people)}%. "
        f"Số hộ nghèo tính đến thời điểm 31/12/{first - 1} là: {vn(poor)} hộ chiếm tỷ lệ "
        f"{vn_rate(100 * poor / households)}%; hộ cận nghèo là: {vn(near_poor)} hộ chiếm tỷ lệ "
        f"{vn_rate(100 * near_poor / households)}%.",
        f"Tính đến thời điểm báo cáo {kind} có {region3:02d} xã khu vực III và {n_communes - region3:02d} xã, "
        f"thị trấn khu vực I, II, tổng cộng {n_communes} xã, phường, thị trấn.",
        "II. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO",
        f"UBND {kind} đã giao phòng Dân tộc chủ trì, phối hợp với phòng Lao động - TB&XH, phòng Văn hóa - Thông "
        "tin và UBND các xã rà soát nhu cầu, đăng ký nội dung tập huấn và lựa chọn đối tượng tham gia; kết quả "
        "thực hiện được tổng hợp, báo cáo định kỳ hằng năm.",
        "III. TÌNH HÌNH THỰC HIỆN VÀ KẾT QUẢ ĐẠT ĐƯỢC",
        "1. Nâng cao năng lực cho cộng đồng và cán bộ cơ sở các xã đặc biệt khó khăn, thôn, bản đặc biệt khó khăn",
        f"Từ năm {first} đến năm {last} UBND {unit.called} đã phối hợp với Ban Dân tộc cử {vn(people_trained)} "
        "lượt người tham gia các lớp tập huấn cán bộ xã và tập huấn nâng cao năng lực cho cộng đồng cấp thôn, bản.",
        "(Có biểu 01 chi tiết kèm theo)",
        "2. Truyền thông về giảm nghèo",
        f"Phối hợp Sở Lao động - Thương binh và Xã hội thực hiện truyền thông về giảm nghèo: Tổ chức "
        f"{vn(sessions)} buổi nói chuyện chuyên đề, đối thoại chính sách giảm nghèo với {vn(participants)} "
        "người tham gia.",
        "(Có biểu 02 chi tiết kèm theo)",
        "3. Giảm nghèo về thông tin",
        f"Phối hợp với Sở Thông tin và Truyền thông hỗ trợ radio cho các hộ nghèo: năm {last} hỗ trợ {radios} "
        f"chiếc cho {len(radio_names):02d} xã: {', '.join(radio_names[:-1])}{' và ' if len(radio_names) > 1 else ''}"
        f"{radio_names[-1]}.",
        "IV. ĐÁNH GIÁ CHUNG VÀ KIẾN NGHỊ",
        "1. Những kết quả đạt được",
        "Công tác chỉ đạo, phối hợp giữa các cấp được thực hiện chặt chẽ; năng lực quản lý của cán bộ cơ sở "
        "được nâng lên; người dân được tiếp cận chính sách giảm nghèo.",
        "2. Kiến nghị",
        "Đề nghị cấp trên tiếp tục bố trí kinh phí để tập huấn nâng cao năng lực cho cán bộ xã và cộng đồng.",
        f"Trên đây là báo cáo kết quả thực hiện của UBND {unit.called}.",
    ]


# ---- planted errors ------------------------------------------------------------------------------

def _expect(rule: str, form: str | None, label: str | None = None, year: int | None = None,
            measure: str | None = None, severity: str = "error") -> dict:
    return {"rule": rule, "severity": severity, "form": form, "label": label, "year": year, "measure": measure}


def _items(annex: Annex) -> list[Row]:
    return [r for r in annex.rows if r.code and not r.code.startswith("TONG")]


def _total_of(annex: Annex, item: Row) -> Row | None:
    """The '(1+2)' row an item adds into (Biểu 01 only)."""
    suffix = item.code.split(".", 1)[1]
    want = {"SO_LOP": "TONG_SO_LOP", "SO_NGUOI": "TONG_SO_NGUOI"}.get(suffix)
    return next((r for r in annex.rows if want and r.code == want), None)


def _off(rng: random.Random, correct: int) -> int:
    delta = rng.choice([-3, -2, -1, 1, 2, 3, 5, 10]) if correct > 3 else rng.choice([1, 2, 3])
    return correct + delta


def plant(rng: random.Random, report: Report, kind: str, annex: Annex | None) -> dict:
    """Plant one error in the model; returns its manifest entry with the findings it must cause."""
    entry = {"kind": kind, "form": annex.form if annex else None, "row": None, "column": None,
             "written": None, "correct": None}
    if kind == "annex_parent":
        n = int(annex.attached_number.split("/")[0])
        wrong = f"{n + rng.choice([-6, -1, 1, 2, 9])}/BC-UBND"
        entry.update(written=wrong, correct=annex.attached_number)
        annex.attached_number = wrong
        entry["expected"] = [_expect("annex_parent", annex.form)]
        return entry
    if kind == "annex_missing":
        at = report.paragraphs.index("3. Giảm nghèo về thông tin") + 2
        report.paragraphs.insert(at, "(Có biểu 03 chi tiết kèm theo)")
        entry.update(form="BIEU_03", written="(Có biểu 03 chi tiết kèm theo)", correct=None)
        entry["expected"] = [_expect("annex_missing", "BIEU_03")]
        return entry
    items = _items(annex)
    if kind == "blank_total":
        item = rng.choice(items)
        entry.update(row=item.label, column={"year": None, "measure": "actual"},
                     written=None, correct=item.values[0][1])
        item.values[0][1] = None
        entry["expected"] = [_expect("total_blank", annex.form, item.label, None, "actual", "warning")]
        entry["group"] = item.code.split(".")[0][1:]
        return entry
    if kind == "total_off":
        # Biểu 02's actual totals are what the narrative quotes: a changed one would be two errors in one.
        measures = [0, 1] if annex.form == "BIEU_01" else [0]
        item, m = rng.choice(items), rng.choice(measures)
        col, year = 0, None
    else:  # year_off
        item = rng.choice(items)
        cells = [(c, m) for c in range(1, len(item.values)) for m in (0, 1) if item.values[c][m] is not None]
        col, m = rng.choice(cells)
        year = annex.years[col - 1]
    measure = ("plan", "actual")[m]
    correct = item.values[col][m]
    written = _off(rng, correct)
    item.values[col][m] = written
    entry.update(row=item.label, group=item.code.split(".")[0][1:], column={"year": year, "measure": measure},
                 written=written, correct=correct)
    expected = [_expect("total_equals_sum_of_years", annex.form, item.label, None, measure)]
    total = _total_of(annex, item)
    if total is not None:
        expected.append(_expect("group_total", annex.form, total.label, year, measure))
    entry["expected"] = expected
    return entry


def choose_errors(rng: random.Random, k: int) -> list[tuple[str, str | None]]:
    """One or two errors for the k-th faulty report, at most one numeric error per annex (so the
    findings of one cannot hide another's); the first kind cycles, so every kind is planted."""
    first = KINDS[k % len(KINDS)]
    kinds = [first]
    if rng.random() < 0.3:
        kinds.append(rng.choice([c for c in KINDS if c != first]))
    numeric = [c for c in kinds if c in ("total_off", "year_off", "blank_total")]
    free = ["BIEU_01", "BIEU_02"]
    out: list[tuple[str, str | None]] = []
    for c in sorted(numeric, key=lambda c: c != "blank_total"):  # blank totals only in Biểu 01
        form = "BIEU_01" if c == "blank_total" else rng.choice(free)
        if form not in free:
            continue
        free.remove(form)
        out.append((c, form))
    for c in kinds:
        if c == "annex_parent":
            out.append((c, rng.choice(["BIEU_01", "BIEU_02"])))
        elif c == "annex_missing":
            out.append((c, None))
    return out


# ---- writers -------------------------------------------------------------------------------------

def write_text(report: Report) -> bytes:
    """The seed's layout: header lines, narrative paragraphs, then each annex as tab-separated lines."""
    d = report.date
    lines = ["", f"UBND {report.issuer[5:].upper()}", "", f"Số: {report.number}", "",
             f"{report.place}, ngày {d.day} tháng {d.month} năm {d.year}", "", "BÁO CÁO", "", report.title, ""]
    for p in report.paragraphs:
        lines += [p, ""]
    lines += ["Nơi nhận:", "", "- UBND " + province_words(report.unit) + ";", "- Lưu: VT.", "",
              "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "", "", report.signer, ""]
    for annex in report.annexes:
        lines += _annex_text(report, annex)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _annex_text(report: Report, annex: Annex) -> list[str]:
    a = annex.attached_date
    width = 3 + 2 * (1 + len(annex.years)) + 1
    head1 = ["STT", "Nội dung", "Đơn vị tính", "Tổng số", ""]
    head2 = ["", "", "", "Kế hoạch", "Thực hiện"]
    for i, y in enumerate(annex.years):
        head1 += [f"Năm {y}", ""]
        last = i == len(annex.years) - 1
        head2 += ["", ""] if (last and annex.ragged_last) else ["Kế hoạch", "Thực hiện"]
    head1.append("Ghi chú")
    head2.append("")
    out = [annex.title, "",
           f"(Kèm theo Báo cáo số: **{annex.attached_number}** ngày **{a.day:02d}** tháng **{a.month:02d}** "
           f"năm **{a.year}** của {report.issuer})", "", f"Biểu số {annex.number}", "",
           "\t".join(head1), "\t".join(head2)]
    for row in annex.rows:
        if row.is_heading:
            cells = [row.stt, row.label] + [""] * (width - 2)
        else:
            cells = [row.stt, row.label, row.unit] + [vn(v) for pair in row.values for v in pair] + [""]
        out.append("\t".join(cells))
    return out + ["", "", ""]


WRITERS = {"text": (".txt", write_text)}  # docx/xlsx/csv: add (suffix, writer(Report) -> bytes) here


# ---- the corpus ----------------------------------------------------------------------------------

def synth_corpus(n: int, out: Path, *, seed: int = 0, formats: tuple[str, ...] = ("text",),
                 error_rate: float = 0.0) -> dict:
    """Write n reports into out/inbox/ and manifest.json into out (not in the inbox, so a run never
    mistakes it for a report); returns the manifest."""
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise ValueError(f"no writer for {', '.join(unknown)}; known: {', '.join(WRITERS)}")
    out = Path(out)
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    units = list(reporting_units())
    random.Random(f"{seed}:units").shuffle(units)
    files, errors, faulty = [], [], 0
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        unit = units[i % len(units)]
        period = PERIODS[(i // len(units)) % len(PERIODS)]
        report = build_report(rng, unit, period, seed=seed)
        planted = []
        if rng.random() < error_rate:
            for kind, form in choose_errors(rng, faulty):
                annex = next((a for a in report.annexes if a.form == form), None)
                planted.append(plant(rng, report, kind, annex))
            faulty += 1
        fmt = formats[i % len(formats)]
        suffix, writer = WRITERS[fmt]
        name = f"{i:05d}_{unit.code}_{period}{suffix}"
        (inbox / name).write_bytes(writer(report))
        files.append({"file": name, "format": fmt, "unit_code": unit.code, "unit": unit.name,
                      "period": report.period, "number": report.number, "errors": len(planted)})
        errors += [{"file": name, **e} for e in planted]
    manifest = {"seed": seed, "submissions": n, "error_rate": error_rate, "formats": list(formats),
                "files": files, "errors": errors}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                       encoding="utf-8")
    return manifest
