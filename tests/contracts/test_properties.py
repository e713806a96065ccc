"""Property tests (hypothesis): the number parser and the text reader never raise, and read back what was written."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from contracts.vietnamese import format_number, parse_number
from tasks.read.text import read_text
from contracts.cells import PLAIN_NUMBER, safe_cell

HEADER1 = ["STT", "Nội dung", "Đơn vị tính", "Tổng số", "", "Năm 2019", "", "Năm 2020", ""]
HEADER2 = ["", "", "", "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện", "Kế hoạch", "Thực hiện"]
WORD = st.text(alphabet="abcdeghiklmnopqrstuvxyđăâêôơưáàảãạấầẩẫậắằếềểễệíìóòốồổỗộớờúùứừýỳĐÂ", min_size=1, max_size=8)
LABEL = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
CENTS = st.integers(min_value=-10**14, max_value=10**14)


@given(st.text())
def test_parse_number_never_raises(raw):
    number = parse_number(raw)
    assert number.kind in {"number", "blank", "dash", "malformed", "dot_decimal"}
    assert number.value is None or number.value == number.value  # never NaN


@given(st.one_of(st.integers(min_value=-10**15, max_value=10**15), CENTS.map(lambda c: c / 100)))
def test_format_then_parse_gives_the_number_back(value):
    written = format_number(value)
    assert "." not in written.split(",")[0] or all(len(g) == 3 for g in written.lstrip("-").split(",")[0].split(".")[1:])
    parsed = parse_number(written)
    assert parsed.kind == "number" and parsed.value == float(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_format_number_never_raises(value):
    written = format_number(value)
    assert parse_number(written).kind in {"number", "blank"}


@given(st.text(max_size=3000))
@settings(max_examples=150, deadline=None)
def test_read_text_never_raises_on_arbitrary_text(raw):
    doc = read_text(raw, source="x.txt", sha256="0" * 64, encoding="utf-8")
    assert doc.format == "text"


@st.composite
def grids(draw):
    """A consistent annex grid: STT, label, unit, then plan/actual for the total and two years."""
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=12))):
        numbers = draw(st.lists(st.one_of(CENTS.map(lambda c: c / 100), st.integers(0, 10**9), st.none()),
                                min_size=6, max_size=6))
        rows.append([str(i + 1), draw(LABEL), draw(st.sampled_from(["Lớp", "Người", "Buổi", "Chiếc"]))]
                    + [format_number(n) if n is not None else "" for n in numbers])
    return rows


@given(grids(), st.lists(LABEL, max_size=4))
@settings(max_examples=80, deadline=None)
def test_tables_from_generated_grids_read_back_exactly(grid, narrative):
    lines = ["Số: 12/BC-UBND", *narrative, "", "Biểu số 01", "", "\t".join(HEADER1), "\t".join(HEADER2)]
    lines += ["\t".join(row) for row in grid]
    doc = read_text("\n".join(lines) + "\n", source="g.txt", sha256="0" * 64, encoding="utf-8")
    [table] = doc.tables
    assert [[c.text for c in row.cells] for row in table.rows] == grid
    assert [(c.year, c.measure) for c in table.columns] == [
        (None, "plan"), (None, "actual"), (2019, "plan"), (2019, "actual"), (2020, "plan"), (2020, "actual")]
    for row, written in zip(table.rows, grid):
        for column in table.columns:
            assert parse_number(row.cells[column.index].text).value == parse_number(written[column.index]).value


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none()))
def test_safe_cell_never_leaves_a_formula(value):
    cell = safe_cell(value)
    if isinstance(cell, str) and not PLAIN_NUMBER.fullmatch(cell):
        assert not cell.lstrip(" \u00a0").startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell == str(value) or cell == "'" + str(value)
    else:
        assert cell == value


def test_safe_cell_examples():
    assert safe_cell("=HYPERLINK(\"http://x\",\"y\")") == "'=HYPERLINK(\"http://x\",\"y\")"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell(" -2+3") == "' -2+3"
    assert safe_cell("Số lớp") == "Số lớp"
    assert safe_cell(-5) == -5 and safe_cell(None) is None
