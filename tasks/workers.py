"""Bounded worker processes: each batch of files is read and checked in a forked worker with a memory and time limit,
and a worker that fails has its files redone one by one, so one bad file never costs its neighbours. What comes back
is checked (tasks.check.submission.read_checked): the process that loads the warehouse only loads."""
from __future__ import annotations

import gc
import multiprocessing
import resource
import threading
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
    readers preloaded) and the idle readers: a run calls this once its files are read, before the review step,
    which reads none. The next read starts new ones."""
    if _context.cache_info().currsize == 0:
        return
    from multiprocessing import forkserver

    def stop() -> None:
        # the idle readers first, so that the forkserver, their parent, reaps them: a reader still running when the
        # forkserver ends is an orphan until init reaps it (seen as a zombie for a while after a run here)
        stop_idle_readers()
        # the standard library's own shutdown (its tests use it; no public API): it closes the server's pipe, which
        # ends it, then waits for it to exit, ~0.2 s of a process tearing pandas down
        forkserver._forkserver._stop()

    # done beside the review, not before it; a read started meanwhile waits for the lock, then starts a new server
    threading.Thread(target=stop, name="stop-readers", daemon=True).start()
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
        _reap(worker)
    return kind, payload


def _reap(process) -> None:
    """Wait for a worker that was told to end (or killed) to exit; killed if it has not within 5 s."""
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


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
    """One bounded worker for the whole chunk (a long-lived reader, _Reader); on any failure, one bounded worker per
    file."""
    if len(items) <= 1:
        return [process_isolated(data, source, limits=limits, traces_dir=traces_dir) for data, source in items]
    kind, payload = _read_on_a_reader(items, limits)
    if kind == "result":
        for result in payload:
            keep_trace(result, traces_dir)
        return payload
    return [process_isolated(data, source, limits=limits, traces_dir=traces_dir) for data, source in items]


# -- long-lived readers ----------------------------------------------------------------------------

READER_BATCHES = 25  # batches a reader serves before it is replaced (7 500 files at the nightly batch size of 300)
READER_SPACE_SHARE = 0.7  # a reader whose address space passes this share of its bound after a batch is replaced
IDLE_READERS = 2  # readers kept between batches: nightly-ingest and a rerun read two batches side by side


def _address_space() -> int:
    """This process's address space in bytes (what RLIMIT_AS bounds)."""
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _serve_in_worker(conn, memory_bytes: int, most: int) -> None:
    """Runs in a reader: read batch after batch from `conn` under one address-space bound, answering each with
    ("result" | "failed", payload, retiring). It ends after `most` batches, after a failed one (its state is not
    trusted), when its address space has grown past READER_SPACE_SHARE of the bound, or when the parent closes the
    pipe or sends None."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from tasks.check.submission import all_text, read_checked

        for served in range(1, most + 1):
            try:
                items = conn.recv()
            except (EOFError, OSError):
                return
            if items is None:
                return
            if all_text(items):
                # paused for the whole batch anyway (_gc_paused_for_text): left paused until the batch is sent and
                # dropped, the collector does not first scan everything the batch made when the pause ends (0.4 ms a
                # file, 7 % of reading 1 000 files); collected below, once, when little of it is left
                gc.disable()
            try:
                answer = ["result", read_checked(items), False]
            except BaseException as exc:  # MemoryError, or a reader's bug that escaped its file
                answer = ["failed", "".join(traceback.format_exception(exc)), True]
            del items
            if answer[0] == "result" and (served == most or _address_space() > READER_SPACE_SHARE * memory_bytes):
                answer[2] = True
            try:
                conn.send(tuple(answer))
            except BaseException as exc:  # a result that cannot be sent back
                conn.send(("failed", "".join(traceback.format_exception(exc)), True))
                return
            if answer[2]:
                return
            del answer
            gc.enable()
            gc.collect()  # what the batch left in cycles; the preloaded heap is frozen, so this scans little
    except BaseException:
        pass
    finally:
        conn.close()


class _Reader:
    """A reading worker forked once from the readers' forkserver that reads batch after batch.

    A fresh worker per batch paid, every batch, the copy of the preloaded pages it wrote to and the first touch of
    a new heap: 17 000 page faults a batch of 200 (0.22-0.30 ms of system time a file, against 0.02-0.06 for a reader
    that stays; same 1 000 files, alternating runs). What bounded the fresh worker bounds this one: the same
    address-space limit, the same time limit per batch, after which it is killed and the batch redone file by file."""

    def __init__(self, memory_bytes: int):
        ctx = _context()
        self.memory_bytes = memory_bytes
        self.conn, theirs = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve_in_worker, daemon=True, args=(theirs, memory_bytes, READER_BATCHES))
        self.process.start()
        theirs.close()
        self.retired = False

    def read(self, items: list[tuple[bytes, str]], seconds: float) -> tuple[str, object]:
        """("result" | "failed", payload), ("timeout", None) after `seconds`, or ("died", None)."""
        try:
            self.conn.send(items)
            if not self.conn.poll(seconds):
                self.stop(kill=True)
                return "timeout", None
            kind, payload, retiring = self.conn.recv()
        except (EOFError, OSError):
            self.stop(kill=True)
            return "died", None
        if retiring:
            self.stop()
        return kind, payload

    def stop(self, kill: bool = False) -> None:
        """Retire it: the pipe closed (it ends on its own) or, `kill`, killed; never left running."""
        self.retired = True
        if kill:
            self.process.kill()
        try:
            self.conn.close()
        except OSError:
            pass
        _reap(self.process)


_idle: list[_Reader] = []
_idle_lock = threading.Lock()


def _read_on_a_reader(items: list[tuple[bytes, str]], limits: Limits) -> tuple[str, object]:
    """A batch read on an idle reader (a new one when none is idle), which goes back idle after it. A reader that
    was idle and is found dead (killed meanwhile: it may not have seen the batch) gets the batch's one retry on a new
    reader, so that only a batch that kills a fresh reader is redone file by file."""
    with _idle_lock:
        reader = next((r for r in _idle if r.memory_bytes == limits.worker_memory_bytes), None)
        if reader is not None:
            _idle.remove(reader)
    seconds = limits.seconds_per_file + BATCH_SECONDS_PER_FILE * len(items)
    kind, payload = "died", None
    if reader is not None and reader.process.is_alive():
        kind, payload = reader.read(items, seconds)
    if kind == "died":
        reader = _Reader(limits.worker_memory_bytes)
        kind, payload = reader.read(items, seconds)
    if not reader.retired:
        with _idle_lock:
            if len(_idle) < IDLE_READERS:
                _idle.append(reader)
                reader = None
        if reader is not None:
            reader.stop()
    return kind, payload


def stop_idle_readers() -> None:
    """Retire the readers waiting for a batch (each holds its share of the preloaded heap and what it read)."""
    with _idle_lock:
        readers = list(_idle)
        _idle.clear()
    for reader in readers:
        reader.stop()


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
