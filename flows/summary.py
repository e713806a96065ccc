"""The one line a run ends with, for the terminal and the Prefect UI: what became of the files, then what was found."""
from __future__ import annotations

OUTCOMES = ("loaded", "flagged", "skipped", "quarantined")


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary_line(summary: dict, what: str = "run", noun: str = "file") -> str:
    """'run finished: 3 files, 3 flagged; 230 new facts; findings: 7 errors, 6 warnings, 4 info'. The files' fate
    and the data's findings in separate words: a run that finished over data with errors did not fail."""
    files = [_count(summary["files_seen"], noun)]
    files += [f"{summary[o]} {o}" for o in OUTCOMES if summary.get(o)]
    findings = (f"{_count(summary['errors'], 'error')}, {_count(summary['warnings'], 'warning')}, "
                f"{summary['infos']} info")
    return f"{what} finished: {', '.join(files)}; {_count(summary['facts'], 'new fact')}; findings: {findings}"


PROGRESS = "baocao_progress"  # the attribute of a log record that a terminal's progress bar reads


def progress_extra(*, total: int | None = None, done: int | None = None, stage: str | None = None) -> dict:
    """The `extra=` of a run's log line that also moves the progress bar: files to do, files done, the stage."""
    return {PROGRESS: {k: v for k, v in (("total", total), ("done", done), ("stage", stage)) if v is not None}}
