"""The nightly ingest without Prefect: the same steps nightly-ingest's tasks call, in one plain process.

`python -m tasks.ingest --inbox DIR` is what the crash and concurrency tests start (Prefect's
ephemeral start costs 15-25 s, too much to pay a dozen times); the flow adds retries and artifacts only.
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from config.settings import load_settings
from tasks.discover import discover_inbox, sweep_archive
from tasks.load import FileOutcome, ingest_files
from tasks.publish import finish_run, start_run
from warehouse.db import engine_for, upgrade


def ingest_inbox(inbox: Path, trigger: str = "manual") -> dict:
    """Discover, archive, read, check and load every file of the inbox; record the run and what each file became."""
    settings = load_settings()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    run_id = start_run(engine, "nightly-ingest", trigger, {"inbox": str(inbox)})
    sweep_archive(settings.archive_dir)
    files, refused = discover_inbox(Path(inbox))
    outcomes = [FileOutcome(s.name, None, "quarantined", s.reason) for s in refused]
    outcomes += ingest_files(files, engine, settings.archive_dir, run_id)
    return finish_run(engine, run_id, outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, default=None)
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(relativeCreated)d ms %(message)s"))
    logging.getLogger("baocao").addHandler(handler)
    logging.getLogger("baocao").setLevel(logging.INFO)
    summary = ingest_inbox(args.inbox or load_settings().inbox)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
