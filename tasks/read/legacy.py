"""Old binary Word and Excel files (.doc, .xls) and OpenDocument: converted by LibreOffice headless, then read as .docx/.xlsx."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERT_TIMEOUT_S = 180


class ConversionFailed(Exception):
    """LibreOffice is missing or could not convert the file; carries the reason in both languages."""

    def __init__(self, reason_en: str, reason_vi: str, fix_en: str, fix_vi: str):
        super().__init__(reason_en)
        self.reason_en, self.reason_vi, self.fix_en, self.fix_vi = reason_en, reason_vi, fix_en, fix_vi


def soffice() -> str | None:
    """The LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(data: bytes, suffix: str, target: str) -> bytes:
    """Bytes of a .doc/.xls/.odt/.ods converted to `target` ("docx" | "xlsx") in a throwaway folder."""
    binary = soffice()
    if binary is None:
        raise ConversionFailed(
            f"a .{suffix} file needs LibreOffice to be read, and soffice is not installed on this machine",
            f"tệp .{suffix} cần LibreOffice để đọc, nhưng máy này chưa cài soffice",
            f"Install LibreOffice (apt-get install libreoffice-writer libreoffice-calc) or send the report as .{target}.",
            f"Cài LibreOffice hoặc gửi lại báo cáo dạng .{target} (Lưu thành .{target} trong Word/Excel).",
        )
    with tempfile.TemporaryDirectory(prefix="baocao-convert-") as tmp:
        folder = Path(tmp)
        src = folder / f"submission.{suffix}"
        src.write_bytes(data)
        out = folder / "out"
        # A profile of its own: two conversions at once must not share (and lock) one user profile.
        cmd = [binary, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(out), str(src)]
        env = {**os.environ, "HOME": str(folder)}
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=CONVERT_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise ConversionFailed(
                f"LibreOffice took more than {CONVERT_TIMEOUT_S} s to convert the .{suffix} file",
                f"LibreOffice chuyển đổi tệp .{suffix} quá {CONVERT_TIMEOUT_S} giây",
                f"Open it in Word/Excel and save it as .{target}.", f"Mở tệp và lưu lại dạng .{target}.",
            ) from None
        result = out / f"submission.{target}"
        if not result.is_file():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[:300]
            raise ConversionFailed(
                f"LibreOffice could not convert the .{suffix} file ({detail or 'no output'})",
                f"LibreOffice không chuyển đổi được tệp .{suffix}",
                f"Open it in Word/Excel and save it as .{target}.", f"Mở tệp và lưu lại dạng .{target}.",
            )
        return result.read_bytes()


def ole2_kind(data: bytes) -> str:
    """Which Office program wrote an OLE2 compound file: "doc", "xls", "encrypted" or "ole2" (unknown)."""
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return "encrypted"
    if has("WordDocument"):
        return "doc"
    if has("Workbook") or has("Book"):
        return "xls"
    return "ole2"
