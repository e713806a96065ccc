"""A batch gives what one file at a time gives: the same facts, findings and warehouse rows."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from tasks.intake.discover import discover_inbox
from tasks.batch import ingest_files
from tasks.check.submission import process_batch, process_submission
from tasks.synth.corpus import synth_corpus
from warehouse.db import engine_for, upgrade


@pytest.mark.slow
def test_a_batch_finds_what_one_file_at_a_time_finds(tmp_path, seed_bytes):
    synth_corpus(25, tmp_path, seed=11, error_rate=0.6)
    files = [(p.read_bytes(), p.name) for p in sorted((tmp_path / "inbox").iterdir())]
    files += [(seed_bytes, "seed.txt"), (b"\x00\x01binary", "bad.bin"), (seed_bytes, "seed-again.txt")]
    batch = process_batch(files)
    assert [r.source for r in batch] == [name for _, name in files]
    for one, data_name in zip(batch, files):
        alone = process_submission(*data_name)
        assert (one.status, one.sha256) == (alone.status, alone.sha256)
        assert [f.to_dict() for f in one.findings] == [f.to_dict() for f in alone.findings]
        pd.testing.assert_frame_equal(one.facts, alone.facts, check_dtype=False)
    assert batch[-3].status == "flagged" and batch[-2].status == "quarantined"
    assert [f.to_dict() for f in batch[-1].findings] == [f.to_dict() for f in batch[-3].findings]


@pytest.mark.parametrize("db", ["sqlite_url", "pg_url"])
def test_a_later_file_of_the_same_batch_supersedes_an_earlier_one(db, request, tmp_path, seed_bytes):
    url = request.getfixturevalue(db)
    upgrade(url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_first.txt").write_bytes(seed_bytes)
    (inbox / "b_corrected.txt").write_bytes(seed_bytes.replace("Số lượng\tNgười\t1.568".encode(),
                                                               "Số lượng\tNgười\t1.569".encode()))
    files, _ = discover_inbox(inbox)
    outcomes = ingest_files(files, engine_for(url), tmp_path / "archive", None)
    assert [o.outcome for o in outcomes] == ["flagged", "flagged"]
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT source, version, is_current FROM submissions ORDER BY version")).all()
        facts = conn.execute(text("SELECT COUNT(*) FROM facts")).scalar_one()
    assert [(r.source, r.version, bool(r.is_current)) for r in rows] == [
        ("a_first.txt", 1, False), ("b_corrected.txt", 2, True)]
    assert facts == 140


@pytest.mark.slow
def test_two_reading_processes_give_what_one_gives(tmp_path):
    synth_corpus(24, tmp_path, seed=12, error_rate=0.5)
    files = [(p.read_bytes(), p.name) for p in sorted((tmp_path / "inbox").iterdir())]
    files.append((b"\x00\x01binary", "bad.bin"))
    one, two = process_batch(files, workers=1), process_batch(files, workers=2)
    assert [(r.source, r.status, [f.to_dict() for f in r.findings]) for r in one] == \
        [(r.source, r.status, [f.to_dict() for f in r.findings]) for r in two]
    assert sum(len(r.facts) for r in one) == sum(len(r.facts) for r in two) > 0


@pytest.mark.parametrize("depth", [1, 2])
def test_read_ahead_reads_the_next_chunks_while_the_caller_holds_this_one(depth):
    """Chunks come back in order, each with its own reading; `depth` chunks are being read (or read) by the time
    the caller gets one, and the chunks are drawn from a generator only as far ahead as that."""
    import threading

    from tasks.workers import read_ahead

    started: list[int] = []
    drawn: list[int] = []
    lock = threading.Lock()

    def read(chunk: int) -> str:
        with lock:
            started.append(chunk)
        return f"read {chunk}"

    def chunks():
        for i in range(5):
            drawn.append(i)
            yield i

    seen = []
    for chunk, result in read_ahead(chunks(), read, depth=depth):
        assert result == f"read {chunk}"
        assert drawn == list(range(min(chunk + depth + 1, 5)))  # drawn `depth` ahead of the one given, no further
        seen.append(chunk)
    assert seen == list(range(5))
    assert sorted(started) == list(range(5))


def test_read_ahead_raises_a_reading_error_when_its_chunk_comes():
    from tasks.workers import read_ahead

    def read(chunk: int) -> int:
        if chunk == 2:
            raise FileNotFoundError("archive/gone.txt")
        return chunk

    got = []
    with pytest.raises(FileNotFoundError):
        for chunk, result in read_ahead(range(4), read):
            got.append(result)
    assert got == [0, 1]  # the chunks before the broken one were handed over first
