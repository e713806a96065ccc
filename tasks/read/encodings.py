"""Text bytes to NFC Unicode: UTF-8 (± BOM), UTF-16, Windows-1258, the legacy font encodings TCVN3 (ABC)
and VNI, and UTF-8 once decoded as Latin-1 (mojibake). The winner is the decoding whose words are
Vietnamese syllables; a file no decoding makes Vietnamese is undecidable.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The 67 lower-case letters that carry a Vietnamese diacritic, in the order a (5 tones), â, â+5 tones, ...
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_BASES = "aâăeêioôơuưy"


def _toned(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


# TCVN 5712:1993 VN3 ("ABC", the .VnTime fonts): lower-case toned vowels only, the capitals Ă Â Ê Ô Ơ Ư Đ;
# a capital toned vowel is the lower-case code shown in an upper-case font (.VnTimeH). Checked byte for byte
# against glibc's TCVN5712-1 (its superset VN1) in tests/test_formats.py.
_TCVN3_LOWER = {
    "a": (0xB5, 0xB8, 0xB6, 0xB7, 0xB9), "ă": (0xBB, 0xBE, 0xBC, 0xBD, 0xC6), "â": (0xC7, 0xCA, 0xC8, 0xC9, 0xCB),
    "e": (0xCC, 0xD0, 0xCE, 0xCF, 0xD1), "ê": (0xD2, 0xD5, 0xD3, 0xD4, 0xD6), "i": (0xD7, 0xDD, 0xD8, 0xDC, 0xDE),
    "o": (0xDF, 0xE3, 0xE1, 0xE2, 0xE4), "ô": (0xE5, 0xE8, 0xE6, 0xE7, 0xE9), "ơ": (0xEA, 0xED, 0xEB, 0xEC, 0xEE),
    "u": (0xEF, 0xF3, 0xF1, 0xF2, 0xF4), "ư": (0xF5, 0xF8, 0xF6, 0xF7, 0xF9), "y": (0xFA, 0xFD, 0xFB, 0xFC, 0xFE),
}
_TCVN3_PLAIN = {"ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
                "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}

# VNI-Windows: a base letter followed by a mark byte; ơ ư đ and the toned i, ỵ are single bytes.
_VNI_TONE = {"": "", "\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_HAT = {"": "â", "\u0300": "à", "\u0301": "á", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}  # â ê ô
_VNI_BREVE = {"": "ê", "\u0300": "è", "\u0301": "é", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}  # ă
_VNI_I = {"\u0300": "ì", "\u0301": "í", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "Ơ": "Ô", "Ư": "Ö", "Đ": "Ñ"}

# Windows-1252 with the five undefined bytes passed through, as the font-encoded files were typed on it.
_CP1252 = []
for _b in range(256):
    try:
        _CP1252.append(bytes([_b]).decode("cp1252"))
    except UnicodeDecodeError:
        _CP1252.append(chr(_b))
_CP1252_BYTE = {ch: b for b, ch in enumerate(_CP1252)}


def _tcvn3_tables() -> tuple[dict[int, str], dict[str, bytes]]:
    decode = {b: _CP1252[b] for b in range(256)}
    encode: dict[str, bytes] = {}
    for base, codes in _TCVN3_LOWER.items():
        for tone, code in zip(_TONES, codes):
            ch = _toned(base, tone)
            decode[code] = ch
            encode[ch] = encode[ch.upper()] = bytes([code])
    for ch, code in _TCVN3_PLAIN.items():
        decode[code] = ch
        encode[ch] = bytes([code])
    return decode, encode


def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(VNI sequence as cp1252 text -> letter, letter -> VNI sequence) for every Vietnamese letter, both cases."""
    encode: dict[str, str] = {}
    for base in _BASES:
        for tone in ("", *_TONES):
            ch = _toned(base, tone)
            if base in "âêô":
                seq = {"â": "a", "ê": "e", "ô": "o"}[base] + _VNI_HAT[tone]
            elif base == "ă":
                seq = "a" + _VNI_BREVE[tone]
            elif base in "ơư":
                seq = _VNI_SINGLE[base] + _VNI_TONE[tone]
            elif base == "i" and tone:
                seq = _VNI_I[tone]
            elif base == "y" and tone == "\u0323":
                seq = "î"
            else:
                seq = base + _VNI_TONE[tone]
            if seq == ch:
                continue
            encode[ch] = seq
            encode[ch.upper()] = seq.upper()
    encode.update({"đ": "ñ", "Đ": "Ñ"})
    decode = {seq: ch for ch, seq in encode.items()}
    return decode, encode


_TCVN3_DECODE, _TCVN3_ENCODE = _tcvn3_tables()
_VNI_DECODE, _VNI_ENCODE = _vni_tables()
_VNI_PATTERN = re.compile("|".join(re.escape(s) for s in sorted(_VNI_DECODE, key=len, reverse=True)))


def decode_tcvn3(data: bytes) -> str:
    """TCVN3 (ABC) bytes to text; capitals lost to the upper-case font are restored where the word shows them."""
    return restore_case("".join(_TCVN3_DECODE[b] for b in data))


def encode_tcvn3(text: str) -> bytes:
    """Text to TCVN3 bytes as an ABC-font document stores them (capital toned vowels as lower-case codes)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_ENCODE:
            out += _TCVN3_ENCODE[ch]
        else:
            out += ch.encode("cp1252")
    return bytes(out)


def decode_vni(data: bytes) -> str:
    """VNI-Windows bytes to text."""
    text = "".join(_CP1252[b] for b in data)
    return _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m[0]], text)


def encode_vni(text: str) -> bytes:
    """Text to VNI-Windows bytes."""
    seq = "".join(_VNI_ENCODE.get(ch, ch) for ch in unicodedata.normalize("NFC", text))
    return bytes(_CP1252_BYTE[ch] if ch in _CP1252_BYTE else ord("?") for ch in seq)


def encode_cp1258(text: str) -> bytes:
    """Text to Windows-1258 as Vietnamese Windows writes it: tone marks as combining characters."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)


_CAPITALS = re.compile(r"[^\W\d_]+")


def restore_case(text: str) -> str:
    """Upper-case the toned vowels an ABC upper-case font hid: 'BáO CáO' -> 'BÁO CÁO'.

    A word with a capital after its first letter is a capitals word; a line whose other letters are all
    capitals and that holds such a word is a capitals line ('Sở' in 'CáN Bộ CƠ Sở' too); a toned vowel
    that opens a line opens a sentence. 'Bá' alone stays as it is (it may be a capitalised word).
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        restored = _CAPITALS.sub(_restore_word, line)
        fixed_letters = [c for c in line if c.isalpha() and c not in _LOWER_ONLY]
        if restored != line and all(c.isupper() for c in fixed_letters):
            restored = line.upper()
        stripped = restored.lstrip()
        if stripped and stripped[0] in _LOWER_ONLY:
            at = len(restored) - len(stripped)
            restored = restored[:at] + stripped[0].upper() + stripped[1:]
        lines[i] = restored
    return "\n".join(lines)


_LOWER_ONLY = frozenset(_toned(b, t) for b in _BASES for t in _TONES)


def _restore_word(m: re.Match) -> str:
    word = m[0]
    if not any(c in _LOWER_ONLY for c in word):
        return word
    rest = [c for c in word[1:] if c not in _LOWER_ONLY]
    if (word[0].isupper() or word[0] in _LOWER_ONLY) and rest and all(c.isupper() for c in rest):
        return word.upper()
    return word


# ---- telling the decodings apart -------------------------------------------------------------------
_ONSET = r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvx])?"
_OPEN = ("a e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu oa oe oi ôi ơi ua uê ui uơ ưa ưi ưu uy iêu yêu "
         "oai oay oao oeo uôi ươi ươu uya uyu uây")
_CLOSED = "a ă â e ê i o ô ơ u ư y iê yê uô ươ oa oă oe uâ uê uy uyê oo"
_SYLLABLE = re.compile(
    rf"{_ONSET}(?:(?:{'|'.join(sorted(_OPEN.split(), key=len, reverse=True))})"
    rf"|(?:{'|'.join(sorted(_CLOSED.split(), key=len, reverse=True))})(?:ch|ng|nh|[cmnpt]))"
)
_WORD = re.compile(r"[^\W\d_]+")


def is_syllable(word: str) -> bool:
    """A Vietnamese syllable: an onset, a rhyme the language has, at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(1 for c in decomposed if c in _TONES) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return _SYLLABLE.fullmatch(bare) is not None


def vietnamese_score(text: str) -> tuple[float, int]:
    """(share of words with a non-ASCII letter that are Vietnamese syllables, how many such words)."""
    words = [w for w in _WORD.findall(unicodedata.normalize("NFC", text)) if not w.isascii()]
    if not words:
        return 1.0, 0
    odd = sum(1 for c in text if not c.isascii() and unicodedata.category(c)[0] in "SC")
    good = sum(1 for w in words if is_syllable(w))
    return max(0.0, (good - odd) / len(words)), len(words)


@dataclass(frozen=True)
class Decoded:
    """Text as read, the encoding found, and how sure the choice was."""

    text: str
    encoding: str
    score: float


class UndecidableEncoding(ValueError):
    """No decoding makes the bytes read as Vietnamese."""

    def __init__(self, tried: dict[str, float]):
        self.tried = tried
        best = ", ".join(f"{k} {v:.0%}" for k, v in sorted(tried.items(), key=lambda kv: -kv[1]))
        super().__init__(f"no text encoding makes this Vietnamese (share of Vietnamese words: {best})")


_MIN_SCORE = 0.8
_MOJIBAKE = re.compile("[ÃÂÄÆáº»Å][\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def _unmojibake(text: str) -> str | None:
    """UTF-8 bytes once decoded as Latin-1/Windows-1252, undone; None when the text is not that."""
    try:
        raw = bytes(_CP1252_BYTE[c] if c in _CP1252_BYTE else ord(c) for c in text)
    except ValueError:  # a character above U+00FF that Windows-1252 has no byte for: not mojibake
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_text(data: bytes) -> Decoded:
    """Decode a text file to NFC; raises UndecidableEncoding when no candidate reads as Vietnamese."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _nfc(data[3:].decode("utf-8", errors="replace"), "utf-8-sig", 1.0)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _nfc(data.decode("utf-16", errors="replace"), "utf-16", 1.0)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _nfc(data.decode(utf16, errors="replace"), utf16, 1.0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        decomposed = text != unicodedata.normalize("NFC", text)
        if _MOJIBAKE.search(text):
            fixed = _unmojibake(text)
            if fixed is not None and vietnamese_score(fixed)[0] > vietnamese_score(text)[0]:
                return _nfc(fixed, "utf-8 (mojibake: once decoded as latin-1)", vietnamese_score(fixed)[0])
        return _nfc(text, "utf-8 (nfd)" if decomposed else "utf-8", 1.0)
    candidates = {
        "windows-1258": unicodedata.normalize("NFC", data.decode("cp1258", errors="replace")),
        "tcvn3": decode_tcvn3(data),
        "vni": unicodedata.normalize("NFC", decode_vni(data)),
    }
    scores = {name: vietnamese_score(text)[0] for name, text in candidates.items()}
    best = max(scores, key=scores.get)
    if scores[best] < _MIN_SCORE:
        raise UndecidableEncoding(scores)
    return _nfc(candidates[best], best, scores[best])


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: text where every other byte is NUL."""
    sample = data[:4000]
    if len(sample) < 8:
        return None
    even_nul = sample[0::2].count(0) / len(sample[0::2])
    odd_nul = sample[1::2].count(0) / len(sample[1::2])
    guess = None
    if odd_nul > 0.3 and even_nul < 0.05:
        guess = "utf-16-le"
    elif even_nul > 0.3 and odd_nul < 0.05:
        guess = "utf-16-be"
    if guess is None:
        return None
    # binary junk can fall into the NUL pattern by chance: real text has almost no control characters
    decoded = sample[: len(sample) // 2 * 2].decode(guess, errors="replace")
    controls = sum(1 for ch in decoded if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\t\r\n")
    return guess if controls <= 0.02 * max(len(decoded), 1) else None


def _nfc(text: str, encoding: str, score: float) -> Decoded:
    return Decoded(unicodedata.normalize("NFC", text), encoding, score)


def repair_font_text(text: str) -> tuple[str, str | None]:
    """Text typed in a TCVN3 or VNI font inside a .docx/.xlsx ('B¸o c¸o') back to Unicode.

    Returns (text, "tcvn3 font" | "vni font" | None). Only switches when the result is clearly more Vietnamese.
    """
    current, n = vietnamese_score(text)
    if n == 0 or current >= _MIN_SCORE:
        return text, None
    if any(c not in _CP1252_BYTE for c in text):
        return text, None
    raw = bytes(_CP1252_BYTE[c] for c in text)
    options = {"tcvn3 font": decode_tcvn3(raw), "vni font": unicodedata.normalize("NFC", decode_vni(raw))}
    scores = {k: vietnamese_score(v)[0] for k, v in options.items()}
    best = max(scores, key=scores.get)
    if scores[best] >= _MIN_SCORE and scores[best] > current + 0.2:
        return options[best], best
    return text, None
