"""Old binary Word and Excel files (.doc, .xls) and OpenDocument: converted by LibreOffice headless, then read as .docx/.xlsx."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from config.messages import unreadable

CONVERT_TIMEOUT_S = 180


def soffice() -> str | None:
    """The LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(data: bytes, suffix: str, target: str) -> bytes:
    """Bytes of a .doc/.xls/.odt/.ods converted to `target` ("docx" | "xlsx") in a throwaway folder."""
    binary = soffice()
    if binary is None:
        raise unreadable("no_libreoffice", suffix=suffix, target=target)
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
            raise unreadable("conversion_timeout", seconds=CONVERT_TIMEOUT_S, suffix=suffix, target=target) from None
        result = out / f"submission.{target}"
        if not result.is_file():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[:300]
            raise unreadable("conversion_failed", suffix=suffix, target=target, detail=detail or "no output")
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
