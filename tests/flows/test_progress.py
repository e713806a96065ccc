"""The summary line's wording and the progress helper's two faces (a bar for a person, lines for a log)."""
from __future__ import annotations

import io
import logging

from flows.cli.progress import follow_run, progress
from flows.summary import progress_extra, summary_line

SUMMARY = {"files_seen": 3, "loaded": 0, "flagged": 3, "skipped": 0, "quarantined": 0, "facts": 230,
           "errors": 7, "warnings": 6, "infos": 4}


def test_the_summary_says_what_became_of_the_files_then_what_was_found():
    assert summary_line(SUMMARY) == ("run finished: 3 files, 3 flagged; 230 new facts; "
                                     "findings: 7 errors, 6 warnings, 4 info")
    one = {**SUMMARY, "files_seen": 1, "flagged": 0, "skipped": 1, "facts": 0, "errors": 1, "warnings": 0}
    assert summary_line(one, "rerun", "submission") == ("rerun finished: 1 submission, 1 skipped; 0 new facts; "
                                          "findings: 1 error, 0 warnings, 4 info")


def test_off_a_terminal_progress_is_plain_lines_on_stderr(capsys):
    with progress("run", interactive=False) as tracker:
        tracker.update(total=4, done=1, stage="batch 1 of 2")
        tracker.advance(3)
        tracker.update(stage="review")
    out, err = capsys.readouterr()
    assert out == "" and "\x1b" not in err
    assert err.splitlines() == ["run: 1 of 4 files (batch 1 of 2)", "run: 4 of 4 files (review)"]


def test_on_a_terminal_the_run_s_log_lines_move_the_bar(monkeypatch):
    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr("rich.progress.get_console", lambda: Console(file=screen, force_terminal=True, width=100))
    flow_runs = logging.getLogger("prefect.flow_runs")
    before, handlers = flow_runs.level, flow_runs.handlers
    flow_runs.setLevel(logging.INFO)
    flow_runs.handlers = []  # Prefect's API handler, set up by other tests, has no flow run to send these to
    try:
        with progress("run", interactive=True) as tracker, follow_run(tracker):
            flow_runs.info("inbox: 5 files", extra=progress_extra(total=5, done=0, stage="taking in"))
            for name in ("a", "b"):
                logging.getLogger("baocao.load").info("%s %s", "loaded", name)
            assert (tracker.total, tracker.done, tracker.stage) == (5, 2, "taking in")
            flow_runs.info("batch 1 of 1 loaded", extra=progress_extra(done=5, stage="review"))
            assert (tracker.done, tracker.stage) == (5, "review")
    finally:
        flow_runs.setLevel(before)
        flow_runs.handlers = handlers
    assert logging.getLogger("baocao.load").handlers == []  # the bar let go of the loggers


def test_a_plain_line_gives_the_rate_and_time_left_once_a_second_has_passed():
    from flows.cli.progress import Tracker

    out = io.StringIO()
    tracker = Tracker("run", 400, "files", stream=out)
    tracker.update(done=120, stage="batch 2 of 2")
    tracker.line()
    assert out.getvalue().splitlines()[-1] == "run: 120 of 400 files (batch 2 of 2)"  # too soon for a rate
    tracker._started -= 10  # ten seconds in
    tracker.line()
    assert out.getvalue().splitlines()[-1] == "run: 120 of 400 files, 12.0 files/s, about 23 s left (batch 2 of 2)"
