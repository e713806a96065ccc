"""Long-lived readers: a reading worker reads batch after batch under the bounds a fresh worker had, is replaced after
READER_BATCHES or a failure, and a batch it could not read is redone file by file."""
from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest

import tasks.workers as workers
from config.limits import load_limits
from tasks.check.submission import read_checked
from tasks.synth.corpus import synth_corpus


@pytest.fixture()
def two_batches(tmp_path) -> list[list[tuple[bytes, str]]]:
    synth_corpus(6, tmp_path, seed=21, error_rate=0.5)
    files = [(p.read_bytes(), p.name) for p in sorted((tmp_path / "inbox").iterdir())]
    return [files[:3], files[3:]]


@pytest.fixture(autouse=True)
def no_idle_readers():
    workers.stop_idle_readers()
    yield
    workers.stop_idle_readers()


def _summary(results) -> list[tuple]:
    return [(r.source, r.status, [f.to_dict() for f in r.findings], r.rows) for r in results]


def _idle_pids() -> list[int]:
    return [r.process.pid for r in workers._idle]


def test_one_reader_reads_batch_after_batch_as_the_loading_process_would(two_batches):
    first = workers.process_many_isolated(two_batches[0])
    (pid,) = _idle_pids()
    second = workers.process_many_isolated(two_batches[1])
    assert _idle_pids() == [pid]  # the same process, kept idle between batches
    assert _summary(first + second) == _summary(read_checked(two_batches[0]) + read_checked(two_batches[1]))
    (reader,) = workers._idle
    workers.stop_idle_readers()
    assert workers._idle == [] and not reader.process.is_alive()


def test_a_reader_killed_while_idle_is_replaced_and_no_file_is_lost(two_batches):
    workers.process_many_isolated(two_batches[0])
    (pid,) = _idle_pids()
    os.kill(pid, signal.SIGKILL)
    again = workers.process_many_isolated(two_batches[1])
    assert len(again) == 3 and all(r.status != "quarantined" for r in again)
    assert _summary(again) == _summary(read_checked(two_batches[1]))
    assert _idle_pids() and _idle_pids() != [pid]


def test_a_reader_is_replaced_after_its_batches(two_batches, monkeypatch):
    monkeypatch.setattr(workers, "READER_BATCHES", 2)
    workers.process_many_isolated(two_batches[0])
    (pid,) = _idle_pids()
    workers.process_many_isolated(two_batches[1])
    assert _idle_pids() == []  # its second batch was its last: it ended after answering
    workers.process_many_isolated(two_batches[0])
    assert len(_idle_pids()) == 1 and _idle_pids() != [pid]


def test_a_batch_its_reader_does_not_finish_in_time_is_redone_file_by_file_and_the_reader_killed(two_batches, tmp_path,
                                                                                                   monkeypatch):
    # no time at all: the batch's reader is stopped, then each file's own worker is too
    monkeypatch.setattr(workers, "BATCH_SECONDS_PER_FILE", 0)
    limits = dataclasses.replace(load_limits(), seconds_per_file=0.001)
    results = workers.process_many_isolated(two_batches[0], limits=limits, traces_dir=tmp_path / "traces")
    assert [r.source for r in results] == [name for _, name in two_batches[0]]
    assert [r.status for r in results] == ["quarantined"] * 3
    assert all("timeout" in r.trace for r in results)
    assert _idle_pids() == []  # a reader that did not answer is killed, never used again
    assert len(list((tmp_path / "traces").iterdir())) == 3
    assert _summary(workers.process_many_isolated(two_batches[0])) == _summary(read_checked(two_batches[0]))


def test_stopping_the_readers_leaves_no_reader_process_behind(two_batches):
    workers.process_many_isolated(two_batches[0])
    (pid,) = _idle_pids()
    workers.stop_readers()  # what a run does before its review
    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    # gone, not left running nor a zombie: stopped, then reaped by its parent, the forkserver, before that stops
    assert not os.path.exists(f"/proc/{pid}"), open(f"/proc/{pid}/status").read().splitlines()[:3]
