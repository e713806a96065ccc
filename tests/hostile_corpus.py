"""A generated corpus of broken and hostile submissions (built in a temporary folder, never committed)."""
from __future__ import annotations

import io
import os
import random
import re
import zipfile
from pathlib import Path

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "inbox"
PASSWD = Path("/etc/passwd")

XXE_DOCTYPE = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS_DOCTYPE = (
    '<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def renumbered(seed: bytes, number: int) -> bytes:
    """The seed as another report of the same district (its own report number), so it supersedes nothing."""
    return seed.replace("2049/BC-UBND".encode(), f"{number}/BC-UBND".encode())


def seed_table_line(seed: bytes, startswith: str) -> bytes:
    for line in seed.split(b"\n"):
        if line.decode("utf-8").startswith(startswith):
            return line
    raise AssertionError(startswith)


def docx_bytes(paragraph: str = "Báo cáo số 12/BC-UBND") -> bytes:
    """A real .docx made by python-docx: a paragraph and a small Biểu table."""
    import docx

    document = docx.Document()
    document.add_paragraph(paragraph)
    document.add_paragraph("Biểu số 01")
    table = document.add_table(rows=3, cols=4)
    for r, row in enumerate([["STT", "Nội dung", "Đơn vị tính", "Tổng số"], ["1", "Số lớp", "Lớp", "30"],
                             ["2", "Số người", "Người", "1.568"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    """A real .xlsx made by openpyxl with a small Biểu."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["Biểu số 01"], ["STT", "Nội dung", "Đơn vị tính", "Tổng số"], [1, "Số lớp", "Lớp", 30]]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(zip_data: bytes, part: str, transform) -> bytes:
    """The same zip with one member's XML rewritten."""
    src = zipfile.ZipFile(io.BytesIO(zip_data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, transform(body.decode("utf-8")).encode("utf-8") if info.filename == part else body)
    return out.getvalue()


def hostile_docx(doctype: str, entity: str) -> bytes:
    """A real .docx whose document.xml declares a DTD and uses its entity inside a run of text."""
    def inject(xml: str) -> str:
        xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
        xml = xml.replace("Báo cáo số 12/BC-UBND", f"Báo cáo {entity}", 1)
        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + doctype + xml
    return with_part(docx_bytes(), "word/document.xml", inject)


def hostile_xlsx(doctype: str, entity: str) -> bytes:
    """A real .xlsx whose first sheet declares a DTD and uses its entity in an inline string cell."""
    def inject(xml: str) -> str:
        xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
        xml = xml.replace("<sheetData>", f'<sheetData><row r="9"><c r="A9" t="inlineStr"><is><t>{entity}</t></is></c></row>', 1)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype.replace("w:document", "worksheet") + xml
    return with_part(xlsx_bytes(), "xl/worksheets/sheet1.xml", inject)


def write_bomb_xlsx(path: Path, inflated: int = 1 << 30) -> None:
    """An .xlsx whose sheet inflates to `inflated` bytes, streamed so the 1 GiB never sits in memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b'<c r="A1"><v>0</v></c>' * (1 << 16)
            written = 0
            while written < inflated:
                member.write(block)
                written += len(block)


def build_corpus(inbox: Path, seed: bytes, bomb: Path | None = None) -> dict[str, tuple[set[str], str]]:
    """Write every hostile file into `inbox` (plus the seed, twice); returns name -> (outcome, reason or rule)."""
    inbox.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20201014)
    text = seed.decode("utf-8")
    files: dict[str, bytes] = {}
    # name -> (the outcomes it may end as, what its reason or one of its findings' rules contains).
    # Two outcomes where the docx/xlsx/html readers change the answer but not the bar.
    expected: dict[str, tuple[set[str], str]] = {}

    def expect(name: str, outcome: str | set[str], why: str) -> None:
        expected[name] = ({outcome} if isinstance(outcome, str) else outcome, why)

    def add(name: str, data: bytes, outcome: str | set[str], why: str) -> None:
        files[name] = data
        expect(name, outcome, why)

    add("000_seed.txt", seed, "flagged", "annex_parent")
    add("000_seed_copy.txt", seed, "skipped", "already loaded")
    add("empty.txt", b"", "quarantined", "empty")
    add("random.bin", rng.randbytes(65536), "quarantined", "NUL")
    add("truncated.docx", docx_bytes()[:3000], "quarantined", "damaged")
    add("truncated.xlsx", xlsx_bytes()[:2500], "quarantined", "damaged")
    add("page.xlsx", "<html><head><title>Biểu số 01</title></head><body><table><tr><td>Số lớp</td><td>30</td>"
        "</tr></table></body></html>".encode(), {"flagged", "quarantined"}, "")
    add("report_as_text.docx", (EXAMPLES / "tam_duong_2020.txt").read_bytes(), "flagged", "")
    xml_attack = {"quarantined", "flagged"}  # refused, or read with the entity left unexpanded
    add("xxe.docx", hostile_docx(XXE_DOCTYPE, "&xxe;"), xml_attack, "")
    add("laughs.docx", hostile_docx(LAUGHS_DOCTYPE, "&lol9;"), xml_attack, "")
    add("xxe.xlsx", hostile_xlsx(XXE_DOCTYPE, "&xxe;"), xml_attack, "")
    add("laughs.xlsx", hostile_xlsx(LAUGHS_DOCTYPE, "&lol9;"), xml_attack, "")
    add("nul.txt", b"\x00\x00" + renumbered(seed, 3001), "quarantined", "NUL")
    add("mojibake.txt", renumbered(seed, 3002).decode("utf-8").encode("utf-8").decode("latin-1").encode("utf-8"),
        "flagged", "")
    line = seed_table_line(seed, "-\tSố lớp\tLớp\t30")
    add("letters.txt", renumbered(seed, 3003).replace(line, line.replace(b"\t30\t30\t", b"\t3O\t30\t", 1)),
        "flagged", "malformed_number")
    line = seed_table_line(seed, "-\tSố lượng\tNgười\t1.568")
    absurd = line.replace(b"\t1.568\t1.568\t", b"\t-1.568\t999.999.999.999.999.999\t", 1)
    add("absurd.txt", renumbered(seed, 3004).replace(line, absurd), "flagged", "contract")
    add("ragged.txt", renumbered(seed, 3005).replace(line, line.split(b"\t304")[0]), "flagged", "")
    start = text.index("Biểu số 01")
    end = text.index("\n\n\n", start)
    add("duplicated.txt", renumbered((text[:end] + text[start:end] + text[end:]).encode(), 3006),
        "flagged", "")
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    # 60 MB of text, streamed to disk
    with open(inbox / "huge.txt", "wb") as fh:
        for _ in range(60_000_000 // len(seed) + 1):
            fh.write(seed)
    expect("huge.txt", "quarantined", "over the limit")
    if bomb is not None:
        os.link(bomb, inbox / "bomb.xlsx") if bomb.stat().st_dev == inbox.stat().st_dev else (inbox / "bomb.xlsx").write_bytes(bomb.read_bytes())
        expect("bomb.xlsx", "quarantined", "MB")
    os.symlink(PASSWD, inbox / "passwd_link.txt")
    expect("passwd_link.txt", "quarantined", "symbolic link out of the inbox")
    os.mkfifo(inbox / "pipe.txt")
    expect("pipe.txt", "quarantined", "FIFO")
    return expected
