"""The Vietnamese number parser: dots group thousands, the comma is decimal, blank is not zero."""
import pytest

from contracts.vietnamese import format_number, parse_number


@pytest.mark.parametrize(
    "text, value, kind",
    [
        ("1.886", 1886, "number"),
        ("1.568", 1568, "number"),
        ("12.345.678", 12345678, "number"),
        ("30", 30, "number"),
        ("0", 0, "number"),
        ("25,64", 25.64, "number"),
        ("1.886,5", 1886.5, "number"),
        (" 840 ", 840, "number"),
        ("**2049**", 2049, "number"),
        ("-5", -5, "number"),
        ("", None, "blank"),
        ("   ", None, "blank"),
        (None, None, "blank"),
        ("-", None, "dash"),
        ("–", None, "dash"),
        ("102,924,5", None, "malformed"),
        ("1.88", 1.88, "dot_decimal"),
        ("12a", None, "malformed"),
        ("1.8860", 1.886, "dot_decimal"),
        ("1..886", None, "malformed"),
    ],
)
def test_parse_number(text, value, kind):
    n = parse_number(text)
    assert n.kind == kind
    if value is None:
        assert n.value is None
    else:
        assert n.value == pytest.approx(value)


def test_percent_is_marked_and_read_as_its_number():
    n = parse_number("25,64%")
    assert (n.value, n.percent, n.kind) == (25.64, True, "number")


def test_blank_is_not_zero():
    assert parse_number("").value is None
    assert parse_number("0").value == 0


@pytest.mark.parametrize("value, text", [(1886, "1.886"), (25.64, "25,64"), (30, "30"), (1234567, "1.234.567"), (None, "")])
def test_format_number_round_trips(value, text):
    assert format_number(value) == text
    if value is not None:
        assert parse_number(text).value == pytest.approx(value)
