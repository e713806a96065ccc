"""Vietnamese text normalised once, at the reader: NFC, one kind of space, and a folded key for matching."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u202f]+")


def nfc(text: str) -> str:
    """NFC with non-breaking spaces made plain."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


def fold(text: str) -> str:
    """A matching key: lower case, no diacritics (đ -> d), punctuation dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    bare = re.sub(r"[^\w%]+", " ", bare)
    return _SPACES.sub(" ", bare).strip()


def squash(text: str) -> str:
    """Collapse runs of spaces and strip; keeps diacritics and case."""
    return _SPACES.sub(" ", text).strip()
