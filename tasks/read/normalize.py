"""Vietnamese text normalised once, at the reader: NFC, one kind of space, and a folded key for matching."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[ \t\u00a0\u202f]+")
_VIETNAMESE_MARKS = re.compile("[\u0300-\u036f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_mark(m: re.Match) -> str:
    return "" if unicodedata.category(m[0]) == "Mn" else m[0]


def nfc(text: str) -> str:
    """NFC with non-breaking spaces made plain."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


@lru_cache(maxsize=2048)  # labels, headers and a report's narrative are folded again and again
def fold(text: str) -> str:
    """A matching key: lower case, no diacritics (đ -> d), punctuation dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    # Vietnamese marks are all in U+0300-U+036F: drop them by regex, then ask unicodedata only about
    # the few other non-ASCII characters left (a per-character loop is most of a report's read time).
    bare = _NON_ASCII.sub(_drop_mark, _VIETNAMESE_MARKS.sub("", decomposed))
    bare = re.sub(r"[^\w%]+", " ", bare)
    return _SPACES.sub(" ", bare).strip()


def squash(text: str) -> str:
    """Collapse runs of spaces and strip; keeps diacritics and case."""
    return _SPACES.sub(" ", text).strip()
