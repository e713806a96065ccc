"""Imported by the readers' forkserver: fill, once, the caches every reading worker would fill again.

A worker is forked from that server, so it starts with the forms, rules, messages and admin-unit tables
parsed (0.13 s a worker otherwise). Importing it anywhere else is harmless: the same caches, filled early.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# a link to examples/inbox/'s seed in the source tree, a copy of it in the installed package
SAMPLE = Path(str(files("tasks.check") / "sample" / "000_7690d259663c1765.txt"))


def warm() -> None:
    """Process the bundled seed once: it touches every cache of the text path (catalog, rules, units, messages)."""
    from tasks.check.submission import process_submission

    if SAMPLE.is_file():
        process_submission(SAMPLE.read_bytes(), SAMPLE.name)


try:
    warm()
except Exception:  # a cold worker is slower, never wrong
    pass
