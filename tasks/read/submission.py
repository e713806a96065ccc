"""Read one submitted file into a Document: detect the format, decode, hand to the format's reader."""
from __future__ import annotations

import io
import zipfile

from config.catalog import program_for
from config.limits import Limits
from config.messages import finding, unreadable
from config.units import province_listed, province_named, resolve_unit
from contracts.document import Document, sha256_of
from tasks.read.csv import looks_like_fact_csv, read_csv
from tasks.read.docx import read_docx
from tasks.read.limits import check_bytes, check_zip
from tasks.read.encodings import UndecidableEncoding, _bomless_utf16
from tasks.read.encodings import decode_text as detect_and_decode
from tasks.read.kind import DISTRICT, document_kind
from tasks.read.legacy import convert_with_libreoffice, ole2_kind
from tasks.read.text import read_text
from tasks.read.xlsx import read_xlsx


_EXTENSIONS = {
    "text": {"txt", "text", ""}, "csv": {"csv", "txt"}, "docx": {"docx", "docm"}, "xlsx": {"xlsx", "xlsm"},
    "doc": {"doc"}, "xls": {"xls"}, "odt": {"odt"}, "ods": {"ods"}, "rtf": {"rtf", "doc"},
}


def detect_format(data: bytes) -> str:
    """The format from the bytes, never from the file name.

    docx | xlsx | odt | ods | zip (a zip that is none of these) | doc | xls | encrypted | ole2 | pdf | rtf |
    html | xml | binary | csv | text.
    """
    if data[:4] == b"PK\x03\x04":
        return _zip_kind(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return ole2_kind(data)
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:5] == b"{\\rtf":
        return "rtf"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta")):
        return "html"
    if head.startswith(b"<?xml"):
        return "html" if b"<html" in head else "xml"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and _bomless_utf16(data) is None:
        return "binary"
    return "csv" if looks_like_fact_csv(data) else "text"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return "zip"
    if "word/document.xml" in names or (any(n.startswith("word/") for n in names) and "[Content_Types].xml" in names):
        return "docx"
    if "xl/workbook.xml" in names or (any(n.startswith("xl/") for n in names) and "[Content_Types].xml" in names):
        return "xlsx"
    if mimetype == b"application/vnd.oasis.opendocument.text":
        return "odt"
    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
        return "ods"
    return "zip"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes to NFC; returns (text, encoding). Raises Unreadable when the encoding is undecidable."""
    try:
        decoded = detect_and_decode(data)
    except UndecidableEncoding as exc:
        raise unreadable("encoding", error=exc) from None
    return decoded.text, decoded.encoding


def read_document(data: bytes, source: str, limits: Limits | None = None) -> Document:
    """Any supported file to a Document with its metadata resolved; raises Unreadable with the reason. `limits`:
    config/limits.yaml as loaded, for a caller reading many files (a stat and a parse check each otherwise)."""
    check_bytes(data, limits)  # empty, oversized, zip bombs and damaged zips: refused before any reader
    sha = sha256_of(data)
    fmt = detect_format(data)
    if fmt == "text":
        text, encoding = decode_text(data)
        doc = read_text(text, source=source, sha256=sha, encoding=encoding)
    elif fmt == "csv":
        text, encoding = decode_text(data)
        doc = read_csv(text, source=source, sha256=sha, encoding=encoding)
    elif fmt == "docx":
        doc = read_docx(data, source=source, sha256=sha)
    elif fmt == "xlsx":
        doc = read_xlsx(data, source=source, sha256=sha)
    elif fmt in ("doc", "xls", "odt", "ods", "rtf"):
        doc = _read_converted(data, fmt, source, sha)
    else:
        raise unreadable(fmt if fmt in REFUSED else "binary")
    doc.findings.extend(format_mismatch(fmt, source))
    return resolve_meta(doc)


REFUSED = ("pdf", "html", "xml", "zip", "encrypted", "ole2", "binary")  # formats no reader takes: the reason ids


def _read_converted(data: bytes, fmt: str, source: str, sha: str) -> Document:
    """.doc/.xls/.odt/.ods/.rtf through LibreOffice; the Document keeps the sender's hash and format."""
    target = "xlsx" if fmt in ("xls", "ods") else "docx"
    converted = convert_with_libreoffice(data, fmt, target)
    check_zip(converted)
    reader = read_xlsx if target == "xlsx" else read_docx
    doc = reader(converted, source=source, sha256=sha)
    doc.format = fmt
    doc.encoding = f"{doc.encoding} (via LibreOffice)"
    return doc


def format_mismatch(fmt: str, source: str) -> list:
    """An info finding when the file's name says one format and its bytes another."""
    ext = source.rsplit(".", 1)[-1].lower() if "." in source else ""
    expected = _EXTENSIONS.get(fmt, set())
    if not ext or ext in expected or (fmt == "text" and ext not in {e for v in _EXTENSIONS.values() for e in v}):
        return []
    return [finding("format_mismatch", source=None, source_name=source, extension=ext, detected=fmt)]


def resolve_meta(doc: Document) -> Document:
    """Name the unit, province and program from the reference list and the catalog."""
    narrative = "\n".join(b.text for b in doc.blocks)
    doc.meta.kind = document_kind(doc)
    if doc.meta.kind != DISTRICT:
        return _resolve_other(doc, narrative)
    unit = resolve_unit(narrative) if doc.meta.unit_code is None else None
    if unit is not None:
        doc.meta.unit_name, doc.meta.unit_code = unit.name, unit.code
        doc.meta.province, doc.meta.province_code = unit.province, unit.province_code
        doc.meta.issuer = f"UBND {unit.called}"  # "UBND thị xã Kỳ Anh", "UBND quận 1", as the report writes it
    doc.meta.program = doc.meta.program or program_for(narrative, doc.meta.title)
    return doc


def _resolve_other(doc: Document, narrative: str) -> Document:
    """A province's, a newspaper's or a statistics office's document: the province its district list or its
    words name; a unit only when its headline names one (a city's own summary), never its first listed district."""
    labels = " ".join(c.text for t in doc.tables for r in t.rows for c in r.cells[:3])
    text = f"{narrative}\n{labels}"
    head = "\n".join(b.text for b in doc.blocks[:3])
    listed = province_listed(text)
    unit = resolve_unit(head) if doc.meta.unit_code is None and listed is None else None
    if unit is not None:
        doc.meta.unit_name, doc.meta.unit_code = unit.name, unit.code
        doc.meta.province, doc.meta.province_code = unit.province, unit.province_code
        doc.meta.issuer = f"UBND {unit.called}"
    elif doc.meta.province is None:
        province = listed or province_named(text)
        if province is not None:
            doc.meta.province_code, doc.meta.province = province
    doc.meta.program = doc.meta.program or program_for(narrative, doc.meta.title)
    return doc
