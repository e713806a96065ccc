"""Benchmark (not a test): facts loaded per second on SQLite and PostgreSQL; writes a section of benchmarks/RESULTS.md.

    python benchmarks/load_facts.py [--submissions 300] [--bulk-facts 100000] [--repeats 5]

Two measures, each on a fresh database, median of the repeats:
- submissions: `write_submission`, one transaction per submission version (version lookup, restatement check,
  facts and findings), as the nightly run loads; the three demo reports cloned under other districts' codes;
- bulk: `insert_rows` of many facts in one transaction (COPY on PostgreSQL, executemany on SQLite), as a rerun reloads.
PostgreSQL comes from BAOCAO_BENCH_PG_URL or BAOCAO_TEST_PG_URL (a server URL whose role may CREATE DATABASE).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import RESULTS, write_section  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

from config.units import legacy_districts  # noqa: E402
from tasks.load.chunk import write_submission  # noqa: E402
from tasks.check.result import FACT_ROW  # noqa: E402
from tasks.load.submissions import FACTS, SUBMISSIONS, fact_rows, insert_rows  # noqa: E402
from warehouse.db import now  # noqa: E402
from tasks.check.submission import SubmissionResult, process_submission  # noqa: E402
from warehouse.db import drop_database, engine_for, upgrade  # noqa: E402



def demo_results() -> list[SubmissionResult]:
    inbox = ROOT / "examples" / "inbox"
    return [process_submission(p.read_bytes(), p.name) for p in sorted(inbox.glob("*.txt"))]


def clones(templates: list[SubmissionResult], n: int) -> list[SubmissionResult]:
    """n distinct submissions: the demo reports under other districts' codes and report numbers."""
    units = legacy_districts()
    out = []
    for i in range(n):
        base = templates[i % len(templates)]
        unit = units[i % len(units)]
        sha = hashlib.sha256(f"bench-{i}-{uuid.uuid4()}".encode()).hexdigest()
        meta = replace(base.document.meta, unit_code=unit.code, unit_name=unit.name, province_code=unit.province_code,
                       number=f"{1000 + i}/BC-UBND")
        out.append(replace(base, sha256=sha, document=replace(base.document, meta=meta, sha256=sha),
                           facts=base.facts.assign(submission=sha), findings=list(base.findings), rows=None))
    return out


class Database:
    """A fresh, migrated warehouse per measure."""

    def __init__(self, kind: str, pg_base: str | None):
        self.kind, self.pg_base = kind, pg_base

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            self.tmp = tempfile.TemporaryDirectory()
            self.url = f"sqlite:///{self.tmp.name}/bench.db"
        else:
            self.name = f"baocao_bench_{uuid.uuid4().hex[:8]}"
            self.admin = create_engine(self.pg_base, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = self.pg_base.rsplit("/", 1)[0] + f"/{self.name}"
        upgrade(self.url)
        return self.url

    def __exit__(self, *exc) -> None:
        engine_for(self.url).dispose()
        if self.kind == "sqlite":
            self.tmp.cleanup()
        else:
            drop_database(self.admin, self.name)
            self.admin.dispose()


def measure_submissions(url: str, results: list[SubmissionResult]) -> float:
    engine = engine_for(url)
    facts = sum(len(r.facts) for r in results)
    start = time.perf_counter()
    for r in results:
        with engine.begin() as conn:
            write_submission(conn, r, archive_path=None, run_id=None, received_at=now())
    return facts / (time.perf_counter() - start)


def measure_bulk(url: str, template: SubmissionResult, n_facts: int, copy: bool = True) -> float:
    engine = engine_for(url)
    rows_per = fact_rows(template)
    subs, rows = [], []
    while len(rows) < n_facts:
        sha = hashlib.sha256(f"bulk-{len(subs)}-{uuid.uuid4()}".encode()).hexdigest()
        subs.append({"id": sha, "source": "bench.txt", "format": "text", "status": "ok", "version": 1,
                     "is_current": True, "received_at": now(), "loaded_at": now(), "errors": 0, "warnings": 0})
        rows += [(sha, *r[1:]) for r in rows_per]
    with engine.begin() as conn:
        conn.execute(SUBMISSIONS.insert(), subs)
    start = time.perf_counter()
    with engine.begin() as conn:
        if copy:
            insert_rows(conn, FACTS, rows)
        else:  # SQLAlchemy's batched multi-row INSERT (insertmanyvalues), to compare with COPY
            conn.execute(FACTS.insert(), [dict(zip(FACT_ROW, row)) for row in rows])
    return len(rows) / (time.perf_counter() - start)


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "python": platform.python_version(), "load": f"{os.getloadavg()[0]:.1f}"}


def server_versions(pg_base: str | None) -> dict[str, str]:
    import sqlite3

    out = {"SQLite": sqlite3.sqlite_version, "SQLAlchemy": version("SQLAlchemy"), "psycopg": version("psycopg")}
    if pg_base:
        engine = create_engine(pg_base)
        with engine.connect() as conn:
            out["PostgreSQL"] = conn.execute(text("SHOW server_version")).scalar_one().split(" ")[0]
        engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--bulk-facts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    pg_base = os.environ.get("BAOCAO_BENCH_PG_URL") or os.environ.get("BAOCAO_TEST_PG_URL")
    templates = demo_results()
    kinds = ["sqlite"] + (["postgresql"] if pg_base else [])
    medians: dict[tuple[str, str], tuple[float, list[float]]] = {}
    for kind in kinds:
        for name in ("submissions", "bulk") + (("bulk_insert",) if kind == "postgresql" else ()):
            runs = []
            for _ in range(args.repeats):
                with Database(kind, pg_base) as url:
                    if name == "submissions":
                        runs.append(measure_submissions(url, clones(templates, args.submissions)))
                    else:
                        runs.append(measure_bulk(url, templates[0], args.bulk_facts, copy=name == "bulk"))
            medians[(kind, name)] = (statistics.median(runs), runs)
            print(f"{kind:10} {name:11} median {medians[(kind, name)][0]:>10,.0f} facts/s  "
                  f"({', '.join(f'{r:,.0f}' for r in runs)})")
    m, v = machine(), server_versions(pg_base)
    facts_per = statistics.mean(len(t.facts) for t in templates)
    lines = [
        "## Loading facts (benchmarks/load_facts.py)",
        "",
        f"Run {datetime.now():%Y-%m-%d %H:%M} on {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, shared with other "
        f"work (1-minute load average {m['load']} at the end); Python {m['python']}, "
        + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        f"Median of {args.repeats} runs, each on a fresh migrated database.",
        "",
        "| database | load path | facts | median facts/s | runs (facts/s) |",
        "|---|---|---|---|---|",
    ]
    for (kind, name), (median, runs) in medians.items():
        what = {
            "submissions": f"{args.submissions} submissions, one transaction each (~{facts_per:.0f} facts each)",
            "bulk": f"{args.bulk_facts:,} facts in one transaction, "
                    + ("COPY" if kind == "postgresql" else "executemany"),
            "bulk_insert": f"{args.bulk_facts:,} facts in one transaction, batched INSERT … VALUES",
        }[name]
        facts = args.submissions * facts_per if name == "submissions" else args.bulk_facts
        lines.append(f"| {kind} | {what} | {facts:,.0f} | {median:,.0f} | {', '.join(f'{r:,.0f}' for r in runs)} |")
    if not pg_base:
        lines += ["", "PostgreSQL was not measured: set BAOCAO_BENCH_PG_URL."]
    write_section("load_facts", "\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
