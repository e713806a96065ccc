"""Read one submitted file into a Document: detect the format, decode, hand to the format's reader."""
from __future__ import annotations

import hashlib
import re

from config.catalog import program_for
from config.units import resolve_unit
from contracts.document import Document
from tasks.read.text import read_text


class Unreadable(Exception):
    """A file no reader can take; carries the reason in both languages and the way out."""

    def __init__(self, reason_en: str, reason_vi: str, fix_en: str = "", fix_vi: str = ""):
        super().__init__(reason_en)
        self.reason_en, self.reason_vi, self.fix_en, self.fix_vi = reason_en, reason_vi, fix_en, fix_vi


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_format(data: bytes) -> str:
    """The format from the bytes, never from the file name."""
    if data[:4] == b"PK\x03\x04":
        if b"word/" in data[:4096] or b"word/document.xml" in data:
            return "docx"
        if b"xl/" in data[:4096] or b"xl/workbook.xml" in data:
            return "xlsx"
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole2"
    if data[:5] == b"%PDF-":
        return "pdf"
    return "text"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes; returns (text, encoding). UTF-8 (with or without BOM) and UTF-16 with BOM."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1258", errors="replace"), "cp1258"


def read_document(data: bytes, source: str) -> Document:
    """Any supported file to a Document with its metadata resolved; raises Unreadable with the reason."""
    from tasks.read.guard import check_bytes  # here, not at the top: guard imports Unreadable from this module

    check_bytes(data)  # empty, oversized, zip bombs and damaged zips: refused before any reader
    sha = sha256_of(data)
    fmt = detect_format(data)
    if fmt == "text":
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise Unreadable("binary content (NUL bytes) in what should be text",
                             "tệp chứa dữ liệu nhị phân (byte NUL), không phải văn bản",
                             "Send the report as .txt, .docx or .xlsx.",
                             "Gửi lại báo cáo dạng .txt, .docx hoặc .xlsx.")
        text, encoding = decode_text(data)
        doc = read_text(text, source=source, sha256=sha, encoding=encoding)
    else:
        raise Unreadable(f"format {fmt} has no reader yet", f"chưa có bộ đọc cho định dạng {fmt}",
                         "Send the report as tab-separated text (.txt).",
                         "Gửi lại báo cáo dạng văn bản (.txt).")
    return resolve_meta(doc)


def resolve_meta(doc: Document) -> Document:
    """Name the unit, province and program from the reference list and the catalog."""
    narrative = "\n".join(b.text for b in doc.blocks)
    unit = resolve_unit(narrative)
    if unit is not None:
        doc.meta.unit_name, doc.meta.unit_code = unit.name, unit.code
        doc.meta.province, doc.meta.province_code = unit.province, unit.province_code
        kind = {"Huyện": "huyện", "Thị xã": "thị xã", "Thành phố": "thành phố", "Quận": "quận"}.get(unit.kind, "huyện")
        doc.meta.issuer = f"UBND {kind} {unit.name}"
    doc.meta.program = program_for(" ".join(filter(None, [doc.meta.title, narrative[:5000]])))
    return doc


_SAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str) -> str:
    """A file name fit to show and store, never a path."""
    return _SAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1])[:200] or "unnamed"
