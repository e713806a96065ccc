"""Bounded worker processes: each batch of files is read and checked in a forked worker with a memory and time limit,
and a worker that fails has its files redone one by one, so one bad file never costs its neighbours. What comes back
is checked (tasks.check.submission.read_checked): the process that loads the warehouse only loads."""
from __future__ import annotations

import gc
import multiprocessing
import resource
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path


from config.limits import Limits, load_limits
from config.messages import unreadable
from contracts.errors import Unreadable
from tasks.read.limits import check_bytes, too_large



def oversized_result(sha256: str, head: bytes, source: str, size: int, limits: Limits | None = None):
    """The quarantine of a file too large to read, built from its hash and first bytes only."""
    from tasks.check.result import quarantined

    result = quarantined(head, source, too_large(size, limits or load_limits()), frame=False)
    result.sha256 = sha256
    return result


def read_one(data: bytes, source: str):
    """The default reader of a worker: one file read, tabulated and checked, as a batch's worker does it."""
    from tasks.check.submission import read_checked

    return read_checked([(data, source)])[0]


# -- one file in its own process -------------------------------------------------------------

@lru_cache(maxsize=1)
def _context():
    """A forkserver: each file gets a fresh process forked from a clean, preloaded parent (no threads, no state)."""
    ctx = multiprocessing.get_context("forkserver")
    # what a worker and a re-imported __main__ need; tasks.check.warm also fills the catalog's caches once, so
    # each worker does not parse the forms, rules and admin units again
    ctx.set_forkserver_preload(["tasks.check.submission", "tasks.load.submissions", "tasks.check.warm"])
    return ctx


def start_readers() -> None:
    """Start the readers' forkserver now, without waiting for it: its preload (pandas, pandera, the catalog; ~1 s)
    runs on the other core while the run migrates, lists the inbox and archives the first batch, instead of
    delaying the first read."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def stop_readers() -> None:
    """Stop the forkserver the reading workers start from (about 90 MiB kept resident with pandas and the
    readers preloaded): a run calls this once its files are read, before the review step, which reads none.
    The next read starts a new one."""
    if _context.cache_info().currsize == 0:
        return
    import threading
    from multiprocessing import forkserver

    # the standard library's own shutdown (its tests use it; no public API): it closes the server's pipe, which ends
    # it, then waits for it to exit, ~0.2 s of a process tearing pandas down. That wait is done beside the review,
    # not before it; a read started meanwhile waits for the lock, then starts a new server.
    threading.Thread(target=forkserver._forkserver._stop, name="stop-readers", daemon=True).start()
    _context.cache_clear()


def _read_in_worker(conn, reader, data: bytes, source: str, memory_bytes: int) -> None:
    """Runs in the worker: bound the address space, then read; the result goes back by pipe."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from tasks.check.submission import for_loading, quarantined

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
    """Read one file (or run `reader` on it) in a fresh worker with a time and memory limit; never raises.

    A hang, a crash or a reader's exception quarantines the file; the traceback goes to
    traces_dir/<sha256>.txt (default var/traces) for developers.
    """
    from tasks.check.result import quarantined

    limits = limits or load_limits()
    try:
        check_bytes(data, limits)
    except Unreadable as exc:
        return quarantined(data, source, exc, frame=False)
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_read_in_worker, daemon=True,
                         args=(send, reader or read_one, data, source, limits.worker_memory_bytes))
    kind, payload = _await_worker(worker, receive, send, limits.seconds_per_file)
    if kind == "result":
        result = payload
    elif kind == "timeout":
        result = quarantined(data, source, unreadable("reader_timeout", seconds=f"{limits.seconds_per_file:g}"),
                             frame=False)
        result.trace = f"timeout after {limits.seconds_per_file:g} s"
    else:
        reason = "reader_out_of_memory" if payload and "MemoryError" in payload else "reader_crashed"
        result = quarantined(data, source, unreadable(reason, code=worker.exitcode), frame=False)
        result.trace = payload or f"worker exited with code {worker.exitcode} before answering"
    keep_trace(result, traces_dir)
    return result


BATCH_SECONDS_PER_FILE = 0.5  # a sound file takes 5-50 ms; a batch slower than this has a bad file in it
BATCH_FILE_BYTES = 1 << 20  # files above 1 MiB are read alone
BATCH_BYTES = 8 << 20  # a worker reads at most 8 MiB of files at once: its memory stays near one file's


def _batch_in_worker(conn, items: list[tuple[bytes, str]], memory_bytes: int) -> None:
    """Runs in the worker: read the whole batch, under the same address-space bound."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from tasks.check.submission import all_text, read_checked

        if all_text(items):
            # paused for the whole batch anyway (_gc_paused_for_text), and this process ends once the batch is sent:
            # left paused, the collector does not first scan everything the batch made when the pause ends, which
            # was 0.4 ms a file (7 % of reading 1 000 files)
            gc.disable()
        conn.send(("result", read_checked(items)))
    except BaseException as exc:  # a crash, MemoryError, or a result that cannot be sent back
        try:
            conn.send(("failed", "".join(traceback.format_exception(exc))))
        except BaseException:
            pass
    finally:
        conn.close()


def process_many_isolated(items: list[tuple[bytes, str]], *, limits: Limits | None = None,
                          traces_dir: Path | None = None) -> list:
    """Read many files in ONE bounded worker (what a batch costs once is paid once, not per file);
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


def read_ahead(chunks: Iterable, read, depth: int = 1) -> Iterator[tuple[object, object]]:
    """(chunk, read(chunk)) for each chunk in order, the next `depth` chunks read while the caller works on this one.

    `read` runs on threads beside the caller; it should spend its time in reading workers (processes), waiting
    on their pipes without the GIL, so the caller's checking and loading use the other core meanwhile (depth 2:
    two workers read side by side, for a caller that loads faster than one worker reads). `chunks` is drawn `depth` ahead,
    in the caller's thread, so it may be a generator that takes each batch in when asked. An exception in `read`
    comes out of this generator when its chunk's turn comes."""
    chunks = iter(chunks)
    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="read-ahead") as pool:
        reading: deque = deque()

        def draw() -> None:
            chunk = next(chunks, _END)
            if chunk is not _END:
                reading.append((chunk, pool.submit(read, chunk)))

        for _ in range(depth):
            draw()
        while reading:
            chunk, done = reading.popleft()
            result = done.result()
            draw()
            yield chunk, result


_END = object()


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
