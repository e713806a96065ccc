"""`baocao run` and `baocao rerun` with Prefect's temporary server start great-expectations' process before that
server: the server starts on one core (~3 s), the import (3-5 s) runs on the other instead of beside the run's first
batches. Against a running server they leave it to the flow, which first asks whether a review worker serves it."""
from __future__ import annotations

import shutil

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.cli import operator
from tasks.review import checkpoint
from tests.steward_setup import INBOX, load_inbox


@pytest.fixture()
def started(monkeypatch) -> list[str]:
    """What asked for great-expectations' process, in order (none is started for real)."""
    calls: list[str] = []
    monkeypatch.setattr(checkpoint, "start_checkpoint", lambda: calls.append("started"))
    return calls


def test_the_checkpoint_starts_early_for_a_temporary_server_and_a_run_that_reviews(started):
    asked: list[str] = []

    def will_review() -> bool:
        asked.append("asked")
        return True

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        operator._review_early(will_review)
        operator._review_early(lambda: False)  # nothing to review: nothing started
    assert started == ["started"] and asked == ["asked"]
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:1/api"}):
        operator._review_early(will_review)  # a running server: the flow decides, not asked here
    assert started == ["started"] and asked == ["asked"]


def test_a_run_reviews_when_the_inbox_lists_a_name_never_received(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BAOCAO_BATCH_SIZE", "1")  # more than one batch: a night of one reads it before the import
    load_inbox(sqlite_url, INBOX, tmp_path / "archive")
    assert operator._never_received(INBOX, sqlite_url) is False  # every name loaded already
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert operator._never_received(inbox, sqlite_url) is False  # an empty inbox
    first = sorted(INBOX.iterdir())[0]
    shutil.copy(first, inbox / first.name)
    assert operator._never_received(inbox, sqlite_url) is False
    shutil.copy(first, inbox / f"resent-{first.name}")
    assert operator._never_received(inbox, sqlite_url) is True
    monkeypatch.setenv("BAOCAO_BATCH_SIZE", "2")
    assert operator._never_received(inbox, sqlite_url) is False  # one batch: its review imports when it needs to
