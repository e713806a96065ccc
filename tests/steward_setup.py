"""Shared set-up for the steward's desk tests: the example inbox loaded into a fresh warehouse, no Prefect."""
from __future__ import annotations

from pathlib import Path

from tasks.intake.discover import discover_inbox
from tasks.review.queue import sync_failures
from tasks.batch import ingest_files
from warehouse.db import engine_for, upgrade

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "examples" / "inbox"
SEED_NAME = "000_7690d259663c1765.txt"


def load_inbox(url: str, inbox: Path, archive: Path) -> list:
    """Migrate, load every file of the inbox, sync the failure queue (what a nightly run does, minus Prefect)."""
    upgrade(url)
    files, _ = discover_inbox(inbox)
    outcomes = ingest_files(files, engine_for(url), archive, None)
    sync_failures(engine_for(url))
    return outcomes


def plant_fact(url: str, submission: str | None = None, **values) -> None:
    """A fact the pipeline would never write, straight into the warehouse: a copy of one of the submission's facts
    (any submission's when None) with `values` in place of its own."""
    from sqlalchemy import insert, select

    from warehouse.models import Fact

    with engine_for(url).begin() as conn:
        query = select(Fact.__table__).limit(1)
        if submission is not None:
            query = query.where(Fact.submission_id == submission)
        row = dict(conn.execute(query).mappings().one())
        row.pop("id")
        conn.execute(insert(Fact.__table__).values(**row | values))


def edit_lines(text: str, line: int, cells: dict[int, str]) -> str:
    """The same text with some tab-separated cells of one (1-based) line replaced."""
    lines = text.split("\n")
    parts = lines[line - 1].split("\t")
    for index, value in cells.items():
        parts[index] = value
    lines[line - 1] = "\t".join(parts)
    return "\n".join(lines)
