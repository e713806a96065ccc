"""What one file may cost before any reader opens it: empty, oversized, zip bombs and damaged zips are refused."""
from __future__ import annotations

import io
import zipfile

from config.limits import Limits, load_limits
from contracts.errors import Unreadable

SEND_AGAIN_EN = "Send the report again as .docx, .xlsx or .txt."
SEND_AGAIN_VI = "Gửi lại báo cáo dạng .docx, .xlsx hoặc .txt."


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def too_large(size: int, limits: Limits) -> Unreadable:
    """The reason a file over the size limit is not read."""
    return Unreadable(
        f"the file is {megabytes(size)}, over the limit of {megabytes(limits.max_file_bytes)}",
        f"tệp có dung lượng {megabytes(size)}, vượt giới hạn {megabytes(limits.max_file_bytes)}",
        "Remove pictures and scanned pages, or split the report, and send it again.",
        "Bỏ hình ảnh, trang scan hoặc tách báo cáo rồi gửi lại.",
    )


def check_bytes(data: bytes, limits: Limits | None = None) -> None:
    """Refuse empty and oversized files and unsafe zips before any reader opens them; raises Unreadable."""
    limits = limits or load_limits()
    if not data:
        raise Unreadable("the file is empty (0 bytes)", "tệp rỗng (0 byte)", SEND_AGAIN_EN, SEND_AGAIN_VI)
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
        raise Unreadable(
            f"the file is a damaged or truncated zip (.docx/.xlsx): {type(exc).__name__}",
            "tệp .docx/.xlsx bị hỏng hoặc không đầy đủ (có thể do gửi bị cắt ngang)",
            "Open it in Word or Excel, save it again and resend it.",
            "Mở tệp bằng Word hoặc Excel, lưu lại rồi gửi lại.",
        ) from None
    if len(members) > limits.max_members:
        raise _bomb(f"it holds {len(members)} parts (limit {limits.max_members})",
                    f"tệp chứa {len(members)} thành phần (giới hạn {limits.max_members})")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise Unreadable("the file is password-protected", "tệp được đặt mật khẩu",
                             "Remove the password and send it again.", "Gỡ mật khẩu rồi gửi lại.")
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
    return Unreadable(f"the file would inflate beyond what a report needs (a zip bomb or a damaged file): {why_en}",
                      f"tệp giải nén ra quá lớn so với một báo cáo (tệp nén độc hại hoặc bị hỏng): {why_vi}",
                      "Save the report again from Word or Excel and resend it.",
                      "Lưu lại báo cáo bằng Word hoặc Excel rồi gửi lại.")
