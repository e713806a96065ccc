"""What one file may cost: size and zip-bomb checks before any reader, and a time- and memory-bounded worker."""
from __future__ import annotations

import io
import multiprocessing
import resource
import traceback
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from tasks.read.submission import Unreadable

LIMITS_FILE = Path(__file__).resolve().parents[2] / "config" / "limits.yaml"
SEND_AGAIN_EN = "Send the report again as .docx, .xlsx or .txt."
SEND_AGAIN_VI = "Gửi lại báo cáo dạng .docx, .xlsx hoặc .txt."


@dataclass(frozen=True)
class Limits:
    """The bounds of config/limits.yaml."""

    max_file_bytes: int
    max_part_bytes: int
    max_total_bytes: int
    max_members: int
    max_ratio: float
    ratio_floor_bytes: int
    seconds_per_file: float
    worker_memory_bytes: int


@lru_cache(maxsize=4)
def load_limits(path: Path = LIMITS_FILE) -> Limits:
    """Read the limits a steward may tune; every key is required."""
    return Limits(**yaml.safe_load(Path(path).read_text(encoding="utf-8")))


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


def oversized_result(sha256: str, head: bytes, source: str, size: int, limits: Limits | None = None):
    """The quarantine of a file too large to read, built from its hash and first bytes only."""
    from tasks.process import quarantined

    result = quarantined(head, source, too_large(size, limits or load_limits()))
    result.sha256 = sha256
    return result


# -- one file in its own process -------------------------------------------------------------

@lru_cache(maxsize=1)
def _context():
    """A forkserver: each file gets a fresh process forked from a clean, preloaded parent (no threads, no state)."""
    ctx = multiprocessing.get_context("forkserver")
    # what a worker and a re-imported __main__ need; tasks.read.warm also fills the catalog's caches once, so
    # each worker does not parse the forms, rules and admin units again
    ctx.set_forkserver_preload(["tasks.process", "tasks.load", "tasks.read.warm"])
    return ctx


def stop_readers() -> None:
    """Stop the forkserver the reading workers start from (about 90 MiB kept resident with pandas and the
    readers preloaded): a run calls this once its files are read, before the review step, which reads none.
    The next read starts a new one."""
    if _context.cache_info().currsize == 0:
        return
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # the standard library's own shutdown (its tests use it); no public API
    _context.cache_clear()


def _read_in_worker(conn, reader, data: bytes, source: str, memory_bytes: int) -> None:
    """Runs in the worker: bound the address space, then read; the result goes back by pipe."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from tasks.process import for_loading, quarantined

        try:
            result = reader(data, source)
        except MemoryError:
            raise
        except Exception as exc:  # a reader's bug on one file: quarantined, traceback kept
            result = quarantined(data, source, exc)
        conn.send(("result", for_loading(result)))
    except BaseException as exc:  # MemoryError, or a result that cannot be sent back
        conn.send(("failed", "".join(traceback.format_exception(exc))))
    finally:
        conn.close()


def _await_worker(worker, receive, send, seconds: float) -> tuple[str, object]:
    """Start a worker and wait for its one answer: ("result" | "failed", payload), ("timeout", None) after
    `seconds`, or ("died", None); a worker that has not answered is killed, and none is left running."""
    worker.start()
    send.close()
    kind, payload = "died", None
    try:
        if receive.poll(seconds):
            kind, payload = receive.recv()
        else:
            kind = "timeout"
    except (EOFError, OSError):
        pass
    finally:
        receive.close()
        if kind not in ("result", "failed"):
            worker.kill()
        worker.join(5)
        if worker.is_alive():
            worker.kill()
            worker.join()
    return kind, payload


def process_isolated(data: bytes, source: str, *, limits: Limits | None = None, traces_dir: Path | None = None,
                     reader=None):
    """process_submission (or `reader`) in a fresh worker with a time and memory limit; never raises.

    A hang, a crash or a reader's exception quarantines the file; the traceback goes to
    traces_dir/<sha256>.txt (default var/traces) for developers.
    """
    from tasks.process import process_submission, quarantined

    limits = limits or load_limits()
    try:
        check_bytes(data, limits)
    except Unreadable as exc:
        return quarantined(data, source, exc)
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_read_in_worker, daemon=True,
                         args=(send, reader or process_submission, data, source, limits.worker_memory_bytes))
    kind, payload = _await_worker(worker, receive, send, limits.seconds_per_file)
    if kind == "result":
        result = payload
    elif kind == "timeout":
        result = quarantined(data, source, Unreadable(
            f"reading took longer than {limits.seconds_per_file:g} s and was stopped",
            f"việc đọc tệp quá {limits.seconds_per_file:g} giây nên đã bị dừng",
            "The file is kept; developers are told. Saving it again from Word or Excel often helps.",
            "Tệp được giữ nguyên; đội phát triển đã được báo. Lưu lại tệp bằng Word hoặc Excel thường khắc phục được."))
        result.trace = f"timeout after {limits.seconds_per_file:g} s"
    else:
        what = "ran out of memory" if payload and "MemoryError" in payload else "crashed"
        result = quarantined(data, source, Unreadable(
            f"the reader {what} (exit code {worker.exitcode})",
            "bộ đọc gặp sự cố khi đọc tệp này" if what == "crashed" else "bộ đọc dùng quá nhiều bộ nhớ với tệp này",
            "The file is kept; developers have the details.",
            "Tệp được giữ nguyên; đội phát triển đã có thông tin lỗi."))
        result.trace = payload or f"worker exited with code {worker.exitcode} before answering"
    keep_trace(result, traces_dir)
    return result


BATCH_SECONDS_PER_FILE = 0.5  # a sound file takes 5-50 ms; a batch slower than this has a bad file in it
BATCH_FILE_BYTES = 1 << 20  # files above 1 MiB are read alone
BATCH_BYTES = 8 << 20  # a worker reads at most 8 MiB of files at once: its memory stays near one file's


def _batch_in_worker(conn, items: list[tuple[bytes, str]], memory_bytes: int) -> None:
    """Runs in the worker: process_batch over the whole batch, under the same address-space bound."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from tasks.process import for_loading, process_batch

        conn.send(("result", [for_loading(r) for r in process_batch(items, workers=1)]))
    except BaseException as exc:  # a crash, MemoryError, or a result that cannot be sent back
        try:
            conn.send(("failed", "".join(traceback.format_exception(exc))))
        except BaseException:
            pass
    finally:
        conn.close()


def process_many_isolated(items: list[tuple[bytes, str]], *, limits: Limits | None = None,
                          traces_dir: Path | None = None) -> list:
    """process_batch over many files in ONE bounded worker (a batch's pandas work is paid once, not per file);
    if that worker hangs, crashes or runs out of memory, every file is redone alone in its own bounded worker,
    so one bad file costs its batch time, never its neighbours' results. Results in input order; never raises."""
    limits = limits or load_limits()
    results: list = [None] * len(items)
    chunk: list[int] = []
    size = 0
    for i, (data, _) in enumerate(items):
        if len(data) > BATCH_FILE_BYTES:  # a big file alone, so one worker never holds several of them
            results[i] = process_isolated(data, items[i][1], limits=limits, traces_dir=traces_dir)
            continue
        if chunk and size + len(data) > BATCH_BYTES:
            _fill(results, chunk, items, limits, traces_dir)
            chunk, size = [], 0
        chunk.append(i)
        size += len(data)
    if chunk:
        _fill(results, chunk, items, limits, traces_dir)
    return results


def _fill(results: list, chunk: list[int], items: list[tuple[bytes, str]], limits: Limits, traces_dir) -> None:
    for i, result in zip(chunk, _many_in_one_worker([items[i] for i in chunk], limits, traces_dir)):
        results[i] = result


def _many_in_one_worker(items: list[tuple[bytes, str]], limits: Limits, traces_dir) -> list:
    """One bounded worker for the whole chunk; on any failure, one bounded worker per file."""
    if len(items) <= 1:
        return [process_isolated(data, source, limits=limits, traces_dir=traces_dir) for data, source in items]
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_batch_in_worker, daemon=True, args=(send, items, limits.worker_memory_bytes))
    kind, payload = _await_worker(worker, receive, send, limits.seconds_per_file + BATCH_SECONDS_PER_FILE * len(items))
    if kind == "result":
        for result in payload:
            keep_trace(result, traces_dir)
        return payload
    return [process_isolated(data, source, limits=limits, traces_dir=traces_dir) for data, source in items]


def keep_trace(result, traces_dir: Path | None = None) -> Path | None:
    """Write a quarantined file's traceback to traces_dir/<sha256>.txt (once; same bytes, same trace)."""
    if not getattr(result, "trace", None):
        return None
    if traces_dir is None:
        from config.settings import load_settings

        traces_dir = load_settings().var_dir / "traces"
    target = Path(traces_dir) / f"{result.sha256}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"source: {result.source}\nreason: {result.reason}\n\n{result.trace}", encoding="utf-8")
    return target
