"""Imported by the readers' forkserver: fill, once, the caches every reading worker would fill again.

A worker is forked from that server, so it starts with the forms, rules, messages and admin-unit tables
parsed (0.13 s a worker otherwise), and with that heap set aside from the cyclic collector (gc.freeze). Only
the forkserver imports it: elsewhere it would freeze that process's objects too.
"""
from __future__ import annotations

import gc
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

# What the server holds now (pandas, pandera, the catalog: most of its objects) is set aside from the cyclic collector:
# a worker forked from it never scans those objects, nor copies their pages by writing their collector headers
# (Python's documentation of gc.freeze, for a parent that forks).
gc.freeze()
