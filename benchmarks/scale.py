"""Benchmark (not a test): the night on SQLite and PostgreSQL, a night with nothing new, a rerun and a rebuild of a
period, and 20 000 reports in PostgreSQL with the analysts' two queries timed; writes a section of RESULTS.md.

    python benchmarks/scale.py [--n 7000] [--simulate 20000] [--quick]

The synthetic corpus spreads its reports over the six periods unit by unit (696 districts a period): 7 000 reports
put 5 598 in 2021-2025, the period the rerun and the rebuild redo (issue 17's target is for a 5 000-report period).

Every process figure comes with its CPU seconds (user + system of the process tree, from getrusage), which a busy
machine disturbs far less than wall-clock time; PostgreSQL's own CPU is not in them. Peak memory is the largest
single process of the tree (ru_maxrss). PostgreSQL comes from BAOCAO_BENCH_PG_URL or BAOCAO_TEST_PG_URL.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import RESULTS, write_section  # noqa: E402
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_facts import Database, machine, server_versions  # noqa: E402
from sqlalchemy import text  # noqa: E402

from warehouse.db import engine_for  # noqa: E402

PY = sys.executable

# Runs a command; writes "<wall s> <cpu s of its tree> <max RSS KiB of its largest process> <exit code>".
_MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1] + ".err", "w")).returncode
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{wall} {r.ru_utime + r.ru_stime} {r.ru_maxrss} {rc}")
"""


def measure(cmd: list[str], env: dict) -> dict:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one cold process tree."""
    with tempfile.NamedTemporaryFile(suffix=".m", delete=False) as fh:
        out = fh.name
    subprocess.run([PY, "-c", _MEASURE, out, *cmd], env=env, cwd=ROOT, check=True)
    wall, cpu, rss, rc = Path(out).read_text().split()
    if int(rc) != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}: {Path(out + '.err').read_text()[-2000:]}")
    return {"wall": float(wall), "cpu": float(cpu), "rss_mib": int(rss) / 1024}


RERUN = """
import sys, time
from tasks.batch import rebuild_warehouse, rerun_period_rows
from warehouse.db import engine_for
engine = engine_for(sys.argv[2])
(rerun_period_rows if sys.argv[1] == "rerun" else rebuild_warehouse)(engine, sys.argv[3])
"""


def night_figures(corpus: Path, n: int, url: str, work: Path) -> dict:
    """The plain night (python -m tasks.batch) over the first n files, then again with nothing new, then a rerun
    and a rebuild of the period that holds them."""
    inbox = work / f"inbox_{n}"
    if not inbox.exists():
        inbox.mkdir()
        for p in sorted(corpus.iterdir())[:n]:
            os.link(p, inbox / p.name)
    var = work / f"var_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "BAOCAO_VAR": str(var), "BAOCAO_WAREHOUSE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("BAOCAO_ARCHIVE", None)
    night = measure([PY, "-m", "tasks.batch", "--inbox", str(inbox)], env)
    nothing_new = measure([PY, "-m", "tasks.batch", "--inbox", str(inbox)], env)
    with engine_for(url).connect() as conn:
        period, held = conn.execute(text("SELECT period, COUNT(*) FROM submissions WHERE is_current AND period IS NOT"
                                         " NULL GROUP BY period ORDER BY COUNT(*) DESC LIMIT 1")).one()
        facts = conn.execute(text("SELECT COUNT(*) FROM facts")).scalar()
    rerun = measure([PY, "-c", RERUN, "rerun", url, period], env)
    rebuild = measure([PY, "-c", RERUN, "rebuild", url, period], env)
    return {"n": n, "facts": facts, "period": period, "period_reports": held, "night": night,
            "nothing_new": nothing_new, "rerun": rerun, "rebuild": rebuild}


def templates_from(corpus: Path, count: int) -> list:
    """The first `count` synthetic reports read and checked once, to be cloned."""
    from tasks.workers import process_many_isolated, stop_readers

    files = sorted(corpus.iterdir())[:count]
    results = process_many_isolated([(p.read_bytes(), p.name) for p in files])
    stop_readers()
    return [r for r in results if r.document is not None and r.document.meta.unit_code]


def simulate(pg_base: str, templates: list, reports: int) -> dict:
    """`reports` clones of the templates under every district of the country loaded into a fresh PostgreSQL
    through the nightly chunk path (200 a transaction), then plan_vs_actual for one province and province_totals
    for one province and period, median of 20 each."""
    from config.units import legacy_districts
    from tasks.load.chunk import arrivals_now, load_chunk
    from tasks.load.submissions import fact_rows

    units = legacy_districts()
    rows_of = [fact_rows(t) for t in templates]
    with Database("postgresql", pg_base) as url:
        engine = engine_for(url)
        load_s = load_cpu = 0.0
        facts = 0
        for start in range(0, reports, 200):
            chunk = []
            for i in range(start, min(start + 200, reports)):
                k = i % len(templates)
                base, unit = templates[k], units[i % len(units)]
                sha = hashlib.sha256(f"sim-{i}".encode()).hexdigest()
                meta = replace(base.document.meta, unit_code=unit.code, unit_name=unit.name,
                               province_code=unit.province_code, number=f"{1000 + i // len(units)}/BC-UBND")
                rows = [(sha, *r[1:]) for r in rows_of[k]]
                facts += len(rows)
                chunk.append((replace(base, sha256=sha, source=f"sim-{i}.txt", rows=rows, findings=list(base.findings),
                                      document=replace(base.document, meta=meta, sha256=sha)), None))
            t, c = time.perf_counter(), time.process_time()
            assert set(load_chunk(engine, arrivals_now(chunk, None))) == {None}
            load_s += time.perf_counter() - t
            load_cpu += time.process_time() - c
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        province = units[0].province_code
        districts = [u.code for u in units if u.province_code == province]
        period = templates[0].document.meta.period
        timings = {}
        queries = {
            "plan_vs_actual, one province": (
                "SELECT * FROM plan_vs_actual WHERE unit_code IN :units", {"units": tuple(districts)}),
            "province_totals, one province and period": (
                "SELECT * FROM province_totals WHERE province_code = :p AND period = :period",
                {"p": province, "period": period}),
        }
        from sqlalchemy import bindparam

        with engine.connect() as conn:
            for name, (sql, params) in queries.items():
                statement = text(sql)
                if "units" in params:
                    statement = statement.bindparams(bindparam("units", expanding=True))
                runs, rows = [], 0
                for _ in range(21):
                    t = time.perf_counter()
                    rows = len(conn.execute(statement, params).all())
                    runs.append(time.perf_counter() - t)
                timings[name] = {"median_ms": statistics.median(runs[1:]) * 1000, "rows": rows}
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    return {"reports": reports, "facts": facts, "load_s": load_s, "load_cpu_s": load_cpu, "facts_per_s": facts / load_s,
            "province": province, "districts": len(districts), "queries": timings, "size": size}


def render(r: dict) -> str:
    """The RESULTS.md section."""
    m = r["machine"]
    lines = [
        "## Scale: PostgreSQL night, reruns, rebuild, 20 000 reports (benchmarks/scale.py)",
        "",
        f"Run {r['at']} on {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; 1-minute load average "
        f"{r['load_before']:.1f} before, {r['load_after']:.1f} after (2.0 is both cores busy: above that the wall "
        "times include waiting for a core, the CPU seconds do not). "
        + ", ".join(f"{k} {v}" for k, v in r["versions"].items()) + ".",
        "",
        "| database | N | facts | what | wall s | CPU s (our processes) | peak MiB | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, f in r["nights"].items():
        for what, target in (("night", ""), ("nothing_new", "≤ fixed + 1 s"),
                             ("rerun", f"≤ 20 s for a 5 000-report period ({f['period_reports']} here)"),
                             ("rebuild", "")):
            x = f[what]
            lines.append(f"| {kind} | {f['n']} | {f['facts']} | {what.replace('_', ' ')} | {x['wall']:.1f} | "
                         f"{x['cpu']:.1f} | {x['rss_mib']:.0f} | {target} |")
    if {"sqlite", "postgresql"} <= set(r["nights"]):
        s, p = r["nights"]["sqlite"]["night"], r["nights"]["postgresql"]["night"]
        lines += ["", f"PostgreSQL night / SQLite night: wall {p['wall'] / s['wall']:.2f}, CPU {p['cpu'] / s['cpu']:.2f} "
                      "(target ≤ 1.5)."]
    if "simulation" in r:
        s = r["simulation"]
        lines += [
            "",
            f"**{s['reports']:,} reports in PostgreSQL** ({s['facts']:,} facts, database {s['size']}), loaded in chunks of "
            f"200 through the nightly path (one transaction, one version lookup, one history query, COPY of facts and "
            f"findings per chunk): {s['load_s']:.1f} s, {s['facts_per_s']:,.0f} facts/s "
            f"({s['load_cpu_s']:.1f} CPU s in the loading process). Queries, median of 20 after one warm-up:",
            "",
            "| query | rows | median ms | target |",
            "|---|---|---|---|",
        ]
        for name, q in s["queries"].items():
            target = "≤ 100 ms" if name.startswith("plan") else "≤ 200 ms"
            lines.append(f"| {name} (province {s['province']}, {s['districts']} districts) | {q['rows']} | "
                         f"{q['median_ms']:.1f} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7000, help="reports in the night (its largest period is rerun)")
    parser.add_argument("--simulate", type=int, default=20000, help="reports in the PostgreSQL simulation (0: skip)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--out", default=None, help="write the figures as JSON here too")
    args = parser.parse_args()
    if args.quick:
        args.n, args.simulate = 40, 600
    pg_base = os.environ.get("BAOCAO_BENCH_PG_URL") or os.environ.get("BAOCAO_TEST_PG_URL")
    from tasks.synth.corpus import synth_corpus

    r: dict = {"at": f"{datetime.now():%Y-%m-%d %H:%M}", "load_before": os.getloadavg()[0], "nights": {}}
    with tempfile.TemporaryDirectory(prefix="baocao-scale-") as tmp:
        work = Path(tmp)
        synth_corpus(args.n, work / "corpus", seed=0, error_rate=0.05)
        corpus = work / "corpus" / "inbox"
        with Database("sqlite", None) as url:
            r["nights"]["sqlite"] = night_figures(corpus, args.n, url, work)
            print("sqlite", json.dumps(r["nights"]["sqlite"]), flush=True)
        if pg_base:
            with Database("postgresql", pg_base) as url:
                r["nights"]["postgresql"] = night_figures(corpus, args.n, url, work)
                print("postgresql", json.dumps(r["nights"]["postgresql"]), flush=True)
            if args.simulate:
                r["simulation"] = simulate(pg_base, templates_from(corpus, min(args.n, 200)), args.simulate)
                print("simulation", json.dumps(r["simulation"]), flush=True)
    r.update(load_after=os.getloadavg()[0], machine=machine(), versions=server_versions(pg_base))
    write_section("scale", render(r))
    if args.out:
        Path(args.out).write_text(json.dumps(r, indent=1, default=str))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
