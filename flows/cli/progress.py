"""Progress on the terminal: a rich bar (files done and to do, rate, time left, stage) when stdout is a terminal,
plain lines on stderr when it is not (CI, Prefect workers, cron), never both."""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flows.summary import PROGRESS

PLAIN_EVERY = 10.0  # seconds between two plain lines, so a night of thousands of files writes a few dozen


def on_terminal() -> bool:
    """Whether a person watches: stdout is a terminal (a bar would be escape codes in a file or a pipe)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class Tracker:
    """What a command reports as it goes: the total, files done, the stage; drawn as a bar or written as lines."""

    def __init__(self, what: str, total: int | None, unit: str, bar=None, stream=None) -> None:
        self.what, self.total, self.unit, self.done, self.stage = what, total, unit, 0, ""
        self._bar, self._task, self._stream = bar, None, stream
        self._started = time.monotonic()
        self._last_line = self._started  # the first plain line after PLAIN_EVERY, or at a new stage
        self._untold = False  # an update no plain line has told yet
        if bar is not None:
            self._task = bar.add_task(what, total=total, stage="")

    def update(self, *, total: int | None = None, done: int | None = None, stage: str | None = None,
               advance: int = 0) -> None:
        """Move to `done` (or by `advance`), set the total or the stage; a new stage is always told."""
        new_stage = stage is not None and stage != self.stage
        if total is not None:
            if self.total is None:
                self._started = time.monotonic()  # the rate counts files, not the time before they were known
            self.total = total
        if done is not None:
            self.done = max(self.done, done)
        self.done += advance
        if stage is not None:
            self.stage = stage
        if self._bar is not None:
            self._bar.update(self._task, total=self.total, completed=self.done, stage=self.stage)
        elif new_stage or time.monotonic() - self._last_line >= PLAIN_EVERY:
            self.line()
        else:
            self._untold = True

    @property
    def interactive(self) -> bool:
        """Drawn as a bar (a person watches), not written as lines."""
        return self._bar is not None

    def advance(self, n: int = 1) -> None:
        """n more done."""
        self.update(advance=n)

    def line(self) -> None:
        """One plain line: 'run: 120 of 400 files, 8.1 files/s, about 35 s left (batch 2 of 2)'."""
        self._last_line, self._untold = time.monotonic(), False
        elapsed = max(self._last_line - self._started, 1e-6)
        rate = self.done / elapsed
        text = f"{self.what}: {self.done}" + (f" of {self.total}" if self.total is not None else "") + f" {self.unit}"
        if self.done and elapsed >= 1:  # a rate over a few milliseconds says nothing
            text += f", {rate:.1f} {self.unit}/s"
            if self.total and self.total > self.done:
                text += f", about {(self.total - self.done) / rate:.0f} s left"
        if self.stage:
            text += f" ({self.stage})"
        print(text, file=self._stream or sys.stderr, flush=True)


@contextmanager
def progress(what: str, total: int | None = None, *, unit: str = "files",
             interactive: bool | None = None) -> Iterator[Tracker]:
    """A Tracker for the block: a transient rich bar on a terminal, plain lines on stderr otherwise."""
    if not (on_terminal() if interactive is None else interactive):
        tracker = Tracker(what, total, unit)
        yield tracker
        if tracker._untold:
            tracker.line()
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn,
                               TextColumn, TimeRemainingColumn)
    from rich.text import Text

    class Rate(ProgressColumn):
        """Files a second, blank until the first is done."""

        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} {unit}/s" if task.speed else "", style="progress.data.speed")

    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(unit), Rate(), TimeRemainingColumn(), TextColumn("{task.fields[stage]}"),
                  transient=True) as bar:
        yield Tracker(what, total, unit, bar=bar)


class _FlowLines(logging.Handler):
    """Moves a Tracker from a run's own log lines (flows/summary.progress_extra) and its per-file load lines."""

    def __init__(self, tracker: Tracker) -> None:
        super().__init__(logging.INFO)
        self.tracker = tracker

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, PROGRESS, None)
        if fields:
            self.tracker.update(**fields)
        elif record.name == "baocao.load" and self.tracker.interactive:
            self.tracker.advance()  # one line a file (tasks/batch.py): the bar moves between batches too


@contextmanager
def follow_run(tracker: Tracker) -> Iterator[None]:
    """While a flow runs in this process, let its log lines move `tracker`."""
    handler = _FlowLines(tracker)
    loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("baocao.load")]
    before = loggers[1].level
    loggers[1].setLevel(logging.INFO)  # records below the logger's level never reach a handler
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        loggers[1].setLevel(before)
