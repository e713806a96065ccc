"""How Vietnamese is written: text normalised once (NFC, one kind of space, a folded key for matching) and
numbers read and written the Vietnamese way ("1.886" is 1886, "25,64%" is 25.64, blank is not zero, "-" is a dash)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SPACES = re.compile(r"[ \t\u00a0\u202f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_mark(m: re.Match) -> str:
    return "" if unicodedata.category(m[0]) == "Mn" else m[0]


def nfc(text: str) -> str:
    """NFC with non-breaking spaces made plain."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


def _fold_table() -> dict[int, str | None]:
    """What folding does to each character below U+3000, as one str.translate table: combining marks dropped,
    đ -> d, every character that is not a word character (nor %) a space."""
    word = re.compile(r"[\w%]")
    table: dict[int, str | None] = {}
    for cp in range(0x3000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Mn":
            table[cp] = None
        elif not word.match(ch):
            table[cp] = " "
    table[ord("đ")] = "d"
    return table


_FOLD = _fold_table()
_NOT_WORD = re.compile(r"[^\w%]+")


@lru_cache(maxsize=2048)  # labels, headers and a report's narrative are folded again and again
def fold(text: str) -> str:
    """A matching key: lower case, no diacritics (đ -> d), punctuation dropped, spaces collapsed."""
    # Word by word: nothing folding does crosses a space, and a report's few thousand words recur in every
    # phrase, sentence and narrative folded, where a translate costs 80 ns a character.
    return " ".join(filter(None, map(_fold_word, text.split())))


@lru_cache(maxsize=16384)  # a few thousand syllables and the numbers of a batch
def _fold_word(word: str) -> str:
    """fold() of a text without spaces."""
    # one translate of the decomposed text does marks and punctuation (regex substitutions with a match every
    # few characters were most of a report's read time); characters past the table (rare) take the long way
    bare = unicodedata.normalize("NFD", word.lower()).translate(_FOLD)
    if not bare.isascii():
        bare = _NOT_WORD.sub(" ", _NON_ASCII.sub(_drop_mark, bare))
    return " ".join(bare.split())


def squash(text: str) -> str:
    """Collapse runs of spaces and strip; keeps diacritics and case."""
    # most cells and lines have nothing to collapse, and a substitution scans a Vietnamese text slowly (2 us a line)
    if "  " in text or "\t" in text or "\u00a0" in text or "\u202f" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()

# 1.886 | 12.345.678 | 1.886,5 | 25,64 | 30 | -5 ; the dot groups thousands, the comma is decimal
_VN_NUMBER = re.compile(r"^(?P<sign>[-+−]?)(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?$")
# 1.5 | 0.25 : a dot that cannot be a thousands separator, typed on a machine set to English
_DOT_DECIMAL = re.compile(r"^(?P<sign>[-+−]?)(?P<int>\d+)\.(?P<frac>\d{1,2}|\d{4,})$")
_DASHES = {"-", "–", "—", "−"}
_NOISE = str.maketrans({"\u00a0": "", "\u202f": "", " ": "", "*": ""})


@dataclass(frozen=True)
class Number:
    """A cell or phrase read as a number: its value and what kind of text it was."""

    raw: str
    value: float | None
    kind: str  # "number" | "blank" | "dash" | "malformed" | "dot_decimal"
    percent: bool = False

    @property
    def is_value(self) -> bool:
        return self.value is not None


@lru_cache(maxsize=4096)  # a report's cells repeat their numbers ("", "1", "5", "170"): read once, shared (frozen)
def parse_number(text: str | None) -> Number:
    """Read one number as a Vietnamese writer means it; never raises."""
    raw = "" if text is None else str(text)
    s = raw.strip().translate(_NOISE)
    if not s:
        return Number(raw, None, "blank")
    if s in _DASHES:
        return Number(raw, None, "dash")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    m = _VN_NUMBER.match(s)
    if m:
        whole = m["int"].replace(".", "")
        value = float(f"{whole}.{m['frac']}" if m["frac"] else whole)
        if value == float("inf"):  # hundreds of digits: no one reports that
            return Number(raw, None, "malformed", percent)
        if m["sign"] in ("-", "−"):
            value = -value
        return Number(raw, value, "number", percent)
    m = _DOT_DECIMAL.match(s)
    if m:
        value = float(f"{m['int']}.{m['frac']}")
        if m["sign"] in ("-", "−"):
            value = -value
        return Number(raw, value, "dot_decimal", percent)
    return Number(raw, None, "malformed", percent)


def format_number(value: float | None, decimals: int | None = 2, keep_zeros: bool = False) -> str:
    """Write a number the Vietnamese way: 1886 -> "1.886", 25.64 -> "25,64", -0.5 -> "-0,5".

    `decimals`: rounded to that many places (None: every digit the float holds, as a spreadsheet stored it);
    `keep_zeros`: "25,60" rather than "25,6" (a rate written with two places)."""
    if value is None or value != value or value in (float("inf"), float("-inf")):  # None, NaN, infinite
        return ""
    value = float(value)
    if decimals is None:
        whole, _, frac = repr(abs(value)).partition(".")
        if "e" in whole or "e" in frac:
            return format_number(value, 2)
        frac = "" if frac == "0" else frac
    else:
        rounded = round(abs(value), decimals)
        whole, _, frac = f"{rounded:.{decimals}f}".partition(".")
        frac = frac if keep_zeros else frac.rstrip("0")
        value = value if rounded else 0.0
    sign = "-" if value < 0 else ""
    return sign + f"{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")


def read_stored(stored: float, text: str, counts_whole_things: bool) -> Number:
    """A number a spreadsheet stored, read knowing whether its unit counts whole things.

    A count of 1.568 is "1.568" typed where the dot is the decimal separator: exactly three decimals
    make it a thousands group, read as 1568 ("repaired"). Any other fraction of a count (1.56, 1.5,
    0.568) cannot be told apart and is "ambiguous": not a value.
    """
    if float(stored).is_integer() or not counts_whole_things:
        return Number(text, float(stored), "number")
    whole, _, frac = repr(abs(float(stored))).partition(".")
    if stored > 0 and len(frac) == 3 and whole.isdigit() and 1 <= int(whole) <= 999:
        return Number(text, float(int(whole) * 1000 + int(frac)), "repaired")
    return Number(text, None, "ambiguous")
