"""The cyclic garbage collector where a batch is read and where it is written: paused for the whole of a text batch in
its reading worker (collected once the batch is sent), on for a batch with an office file (its readers leave cycles
holding megabytes), set aside for the forkserver's preloaded heap, and paused while the loading process writes a
batch (collected once after it)."""
from __future__ import annotations

import gc

from config.limits import load_limits
from tests.conftest import ROOT

DOCX = ROOT / "tests" / "fixtures" / "formats" / "seed.docx"


def _collections_while_reading(conn, items, memory_bytes) -> None:
    """Runs in a reading worker: _serve_in_worker as the nightly run uses it, for one batch, counting the collector's
    runs until the batch's answer is sent; the count goes back after that answer."""
    from tasks.workers import _serve_in_worker

    runs = []
    gc.callbacks.append(lambda phase, info: runs.append(info["generation"]) if phase == "start" else None)
    probe = _Probe(conn, items, runs)
    _serve_in_worker(probe, memory_bytes, 2)
    conn.send(probe.runs_when_answered)
    conn.close()


class _Probe:
    """The worker's end of the pipe as _serve_in_worker sees it: one batch, then the end; it notes how many
    collections had run when the answer went out, and stays open for the probe's own last word."""

    def __init__(self, conn, items, runs):
        self.conn, self.batches, self.runs = conn, [items, None], runs
        self.runs_when_answered = None

    def recv(self):
        return self.batches.pop(0)

    def send(self, payload) -> None:
        self.runs_when_answered = len(self.runs)
        self.conn.send(payload[:2])

    def close(self) -> None:
        pass


def _freeze_count(conn) -> None:
    conn.send(gc.get_freeze_count())
    conn.close()


def _in_reading_worker(target, *args):
    """Run `target(conn, *args)` in a process forked from the readers' forkserver; everything it sends."""
    from tasks.workers import _context, start_readers

    start_readers()
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=target, args=(send, *args), daemon=True)
    worker.start()
    send.close()
    answers = []
    try:
        while True:
            answers.append(receive.recv())
    except EOFError:
        pass
    worker.join(60)
    return answers


def test_a_text_batch_is_read_without_a_collection_and_an_office_batch_with_them(seed_bytes):
    memory = load_limits().worker_memory_bytes
    texts = [(seed_bytes, "a.txt"), (seed_bytes.replace(b"2049/BC-UBND", b"2050/BC-UBND"), "b.txt")]
    (kind, results), runs = _in_reading_worker(_collections_while_reading, texts, memory)
    assert kind == "result" and [r.status for r in results] == ["flagged", "flagged"]
    assert runs == 0  # before: one collection of everything the batch made, when its pause ended
    (kind, results), runs = _in_reading_worker(_collections_while_reading, [*texts, (DOCX.read_bytes(), "c.docx")],
                                               memory)
    assert kind == "result" and len(results) == 3 and results[2].status != "quarantined"
    assert runs > 0  # an office file's batch keeps the collector running


def test_reading_workers_start_with_the_preloaded_heap_frozen():
    (frozen,) = _in_reading_worker(_freeze_count)
    assert frozen > 50_000  # pandas, pandera and the catalog, set aside by tasks.check.warm in the forkserver


def test_a_batch_is_written_with_the_collector_paused_then_collected(monkeypatch):
    import tasks.batch as batch
    from tasks.batch import Intake

    seen = []
    monkeypatch.setattr(batch, "load_chunk", lambda *args, **kwargs: seen.append(gc.isenabled()) or [])
    monkeypatch.setattr(batch, "collect_garbage", lambda: seen.append(("collected", gc.isenabled())))
    assert gc.isenabled()
    batch.load_batch(Intake(), [], engine=None, run_id=None)
    assert seen == [False, ("collected", True)]
    assert gc.isenabled()
