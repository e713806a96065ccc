"""What one file may cost before any reader opens it: empty, oversized, zip bombs and damaged zips are refused."""
from __future__ import annotations

import io
import zipfile

from config.limits import Limits, load_limits
from config.messages import unreadable
from contracts.errors import Unreadable

def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def too_large(size: int, limits: Limits) -> Unreadable:
    """The reason a file over the size limit is not read."""
    return unreadable("too_large", size=megabytes(size), limit=megabytes(limits.max_file_bytes))


def check_bytes(data: bytes, limits: Limits | None = None) -> None:
    """Refuse empty and oversized files and unsafe zips before any reader opens them; raises Unreadable."""
    limits = limits or load_limits()
    if not data:
        raise unreadable("empty")
    if len(data) > limits.max_file_bytes:
        raise too_large(len(data), limits)
    if data[:4] == b"PK\x03\x04":
        check_zip(data, limits)


def check_zip(data: bytes, limits: Limits | None = None) -> None:
    """Inspect a zip's central directory without inflating anything; raises Unreadable for bombs and damage.

    zipfile (which python-docx and openpyxl read through) never inflates a member past the size its
    directory declares, so bounding the declared sizes bounds what any reader can inflate.
    """
    limits = limits or load_limits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise unreadable("damaged_zip", error=type(exc).__name__) from None
    if len(members) > limits.max_members:
        raise _bomb(f"it holds {len(members)} parts (limit {limits.max_members})",
                    f"tệp chứa {len(members)} thành phần (giới hạn {limits.max_members})")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise unreadable("password")
        if info.file_size > limits.max_part_bytes:
            raise _bomb(f"one part inflates to {megabytes(info.file_size)} (limit {megabytes(limits.max_part_bytes)})",
                        f"một thành phần giải nén ra {megabytes(info.file_size)} "
                        f"(giới hạn {megabytes(limits.max_part_bytes)})")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _bomb(f"one part inflates {info.file_size // max(info.compress_size, 1)} times (limit {limits.max_ratio:g})",
                        f"một thành phần giải nén ra gấp {info.file_size // max(info.compress_size, 1)} lần "
                        f"(giới hạn {limits.max_ratio:g})")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise _bomb(f"its parts inflate to {megabytes(total)} in all (limit {megabytes(limits.max_total_bytes)})",
                    f"các thành phần giải nén ra tổng cộng {megabytes(total)} "
                    f"(giới hạn {megabytes(limits.max_total_bytes)})")


def _bomb(why_en: str, why_vi: str) -> Unreadable:
    return unreadable("zip_bomb", why_en=why_en, why_vi=why_vi)
