"""make bench: baocao at national scale against the floor and the naive build; writes benchmarks/RESULTS.md.

Everything runs in this session on one synthetic corpus (tasks/synth.py, seed 0, 5 % of reports with
planted errors): N-file inboxes are the first N files of it. Not a test: figures, not assertions.

    python benchmarks/bench.py [--sizes 1000,2000,5000] [--naive-sizes 200,1000] [--reps 3] [--quick]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import RESULTS, write_section  # noqa: E402
PY = sys.executable
from flows.environment import prefect_defaults, prefect_server  # noqa: E402
SEED = ROOT.parent / "shared" / "seed" / "000_7690d259663c1765.txt"
if not SEED.is_file():
    SEED = ROOT / "examples" / "inbox" / "000_7690d259663c1765.txt"

# Runs a command and writes "<wall seconds> <max RSS KiB of the largest process in its tree>" to a file.
_MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1] + ".err", "w")).returncode
wall = time.perf_counter() - t
open(sys.argv[1], "w").write(f"{wall} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {rc}")
"""


def measure(cmd: list[str], env: dict, ok_codes=(0,)) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one cold process."""
    with tempfile.NamedTemporaryFile(suffix=".m", delete=False) as fh:
        out = fh.name
    subprocess.run([PY, "-c", _MEASURE, out, *cmd], env=env, cwd=ROOT, check=True)
    wall, rss, rc = Path(out).read_text().split()
    if int(rc) not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}: {Path(out + '.err').read_text()[-2000:]}")
    return float(wall), int(rss) / 1024


def base_env(work: Path) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployed baocao has its bytecode cached; this sandbox sets it
    env.update({
        **prefect_defaults(work), "PREFECT_LOGGING_LEVEL": "WARNING", "GX_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PYTHONPATH": str(ROOT),
    })
    env.pop("PREFECT_API_URL", None)
    return env


def run_env(env: dict, var: Path) -> dict:
    var.mkdir(parents=True, exist_ok=True)
    return {**env, "BAOCAO_VAR": str(var), "BAOCAO_WAREHOUSE_URL": f"sqlite:///{var / 'warehouse.db'}"}


def night_env(env: dict, var: Path) -> dict:
    """run_env for a measured night: its warehouse exists, empty and at the latest migration (`baocao migrate`,
    uncounted), as every night's but the first does. Until 2026-12-02 each measured run also created the schema
    (Alembic's import and 8 migrations, ~0.5 s), which a night against a running warehouse never pays: that cost is
    measured on its own (schema_seconds) and shown beside the fixed costs."""
    renv = run_env(env, var)
    subprocess.run([PY, "-m", "flows.cli", "migrate"], env=renv, cwd=ROOT, check=True, capture_output=True)
    return renv


_SCHEMA = """
import sys, time
from warehouse.db import upgrade  # SQLAlchemy, which every run imports anyway
t = time.perf_counter(); import alembic.command; imported = time.perf_counter() - t  # noqa: E702
t = time.perf_counter(); upgrade(sys.argv[1]); fresh = time.perf_counter() - t  # noqa: E702
t = time.perf_counter(); upgrade(sys.argv[1]); at_head = time.perf_counter() - t  # noqa: E702
print(imported, fresh, at_head)
"""


def schema_seconds(work: Path, reps: int = 3) -> dict:
    """What creating the warehouse's schema costs a night that finds none, in seconds (medians of fresh processes):
    Alembic's import, and upgrade() on an empty SQLite file less upgrade() at head (one query)."""
    imported, created = [], []
    for r in range(reps):
        db = work / f"schema_{r}.db"
        out = subprocess.run([PY, "-c", _SCHEMA, f"sqlite:///{db}"], cwd=ROOT, check=True, capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
        imported.append(float(out[0]))
        created.append(float(out[1]) - float(out[2]))
        db.unlink(missing_ok=True)
    return {"alembic_import": statistics.median(imported), "migrations": statistics.median(created),
            "total": statistics.median(imported) + statistics.median(created)}


def inbox_of(corpus: Path, work: Path, n: int) -> Path:
    """The first n files of the corpus, hard-linked into their own inbox."""
    inbox = work / f"inbox_{n}"
    if not inbox.exists():
        inbox.mkdir()
        for path in sorted((corpus / "inbox").iterdir())[:n]:
            os.link(path, inbox / path.name)
    return inbox


def floor(inbox: Path, warehouse: Path, work: Path) -> float:
    """Read every file's bytes and insert the same fact rows baocao loaded, raw executemany, one transaction."""
    with sqlite3.connect(warehouse) as src:
        cols = [c[1] for c in src.execute("PRAGMA table_info(facts)") if c[1] != "id"]
        rows = src.execute(f"SELECT {', '.join(cols)} FROM facts").fetchall()
    db = work / "floor.db"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    for path in sorted(inbox.iterdir()):
        path.read_bytes()
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE facts (id INTEGER PRIMARY KEY, {', '.join(cols)})")
    with conn:
        conn.executemany(f"INSERT INTO facts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    conn.close()
    return time.perf_counter() - t


@contextlib.contextmanager
def review_worker(env: dict, var: Path):
    """`baocao review-worker` against the server at env's PREFECT_API_URL, once it serves warehouse-checkpoint."""
    import urllib.request

    proc = subprocess.Popen([PY, "-m", "flows.cli", "review-worker"], env=run_env(env, var), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=open(var / "worker.log", "wb"), start_new_session=True)

    def serving() -> bool:
        ask = urllib.request.Request(env["PREFECT_API_URL"] + "/task_workers/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(ask, timeout=5) as answer:
            return any(k.startswith("warehouse_checkpoint-") for w in json.load(answer) for k in w["task_keys"])

    try:
        deadline = time.monotonic() + 120
        while not serving():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the review worker did not serve: {(var / 'worker.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield
    finally:
        from flows.environment import stop_group

        stop_group(proc)


def fact_count(warehouse: Path) -> int:
    with sqlite3.connect(warehouse) as conn:
        return conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0]


def line_fit(points: dict[int, float], lo: int, hi: int) -> tuple[float, float]:
    """(fixed cost, marginal cost per submission) from the medians at lo and hi submissions."""
    slope = (points[hi] - points[lo]) / (hi - lo)
    return points[lo] - slope * lo, slope


def paired_ratios(results: dict, sizes: list[int], naive_sizes: list[int]) -> list[dict]:
    """Rep by rep, the naive build's slope over ours, each from the runs of that rep alone (taken minutes apart):
    how far the ratio of the medians moves with the machine."""
    lo, hi, nlo, nhi = sizes[0], sizes[-1], naive_sizes[0], naive_sizes[-1]
    ours, naive = results["baocao"], results["naive"]
    out = []
    for r in range(min(len(ours[lo]["runs"]), len(ours[hi]["runs"]), len(naive[nlo]["runs"]),
                       len(naive[nhi]["runs"]))):
        mine = (ours[hi]["runs"][r] - ours[lo]["runs"][r]) / (hi - lo)
        theirs = (naive[nhi]["runs"][r] - naive[nlo]["runs"][r]) / (nhi - nlo)
        out.append({"rep": r + 1, "ours_ms": mine * 1000, "naive_ms": theirs * 1000,
                    "ratio": theirs / mine if mine > 0 else None})
    return out


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    versions = {}
    for pkg in ("prefect", "pandas", "numpy", "pandera", "great-expectations", "SQLAlchemy", "alembic",
                "pyinstrument"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "absent"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True)
    revision = (commit.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    return {"cpu": cpu, "nproc": os.cpu_count(), "ram_gib": round(mem / 1024 / 1024, 1), "os": os_name,
            "python": interpreter(), "versions": versions, "revision": revision}


def interpreter() -> str:
    """The Python version and build the runs use: the venv's interpreter, and whether it reaches libpython through a
    shared library (pyenv's --enable-shared build here, no PGO) or has it linked in (Debian's, built with PGO and
    LTO by its packaging): the same code spends ~20 % more CPU on the first (Makefile, RESULTS 2026-12-02)."""
    maps = Path("/proc/self/maps")
    shared = maps.exists() and "libpython" in maps.read_text()
    return f"{platform.python_version()} ({os.path.realpath(sys.executable)}, " \
           f"{'libpython shared' if shared else 'libpython linked in'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,5000")
    parser.add_argument("--naive-sizes", default="200,1000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--naive-reps", default="3,3", help="repetitions per naive size, in the reps' rotation")
    parser.add_argument("--no-server", action="store_true", help="skip the fixed cost against a running server")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition: checks the script runs")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.naive_sizes, args.reps, args.naive_reps = "20,40,100", "10,20", 1, "1,1"
    sizes = sorted(int(s) for s in args.sizes.split(","))
    naive_sizes = sorted(int(s) for s in args.naive_sizes.split(","))
    naive_reps = [int(r) for r in args.naive_reps.split(",")]
    started = time.time()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="baocao-bench-"))
    env = base_env(work)
    log = lambda msg: print(f"[{time.time() - started:6.0f} s] {msg}", flush=True)  # noqa: E731
    try:
        corpus = work / "corpus"
        n_max = max(sizes + naive_sizes)
        t = time.perf_counter()
        from tasks.synth.corpus import synth_corpus

        manifest = synth_corpus(n_max, corpus, seed=0, error_rate=0.05)
        synth_s = time.perf_counter() - t
        log(f"corpus: {n_max} reports, {len(manifest['errors'])} planted errors, {synth_s:.1f} s")

        # first, on the idle machine the target is set for: measured after the naive runs, two benches gave 0.90 and
        # 1.09 s (load average 1.6 at the end) where the same command idle takes 0.70 s
        checks = [measure([PY, "-m", "flows.cli", "check", str(SEED)], env, ok_codes=(0, 1))[0] for _ in range(5)]
        log(f"check cold: {statistics.median(checks):.2f} s")

        # Prefect's first ephemeral start creates its database: warm it once, uncounted.
        measure([PY, "-m", "flows.cli", "run", "--inbox", str(ROOT / "examples" / "inbox")],
                run_env(env, work / "warmup"))
        log("prefect warmed up")

        results: dict = {"baocao": {}, "incremental": {}, "floor": {}, "naive": {}, "facts": {},
                         "check": {"runs": checks, "median": statistics.median(checks)}}
        results["schema"] = schema_seconds(work)
        log(f"schema created in {results['schema']['total']:.2f} s (first night only)")
        # the sizes taken in turn, rep by rep (1 000, 2 000, 5 000, 1 000, ...), as the server's lines are: this
        # machine's speed drifts by a third within the hour, and with every N = 1 000 run first and every N = 5 000
        # run last (until 2026-12-02) the drift went into the slope
        walls: dict = {n: {"runs": [], "incs": [], "rss": [], "floors": []} for n in sizes}
        # the naive build's runs in the same rotation, after ours of each rep: measured after all of ours (until
        # 2026-12-03), its one N = 1 000 run met whatever the machine was doing ten minutes later, and the ratio of
        # one code ranged 32-54x between two benches of one hour
        naive_runs: dict = {n: {"runs": [], "rss": []} for n in naive_sizes}
        naive_count = dict(zip(naive_sizes, naive_reps + [naive_reps[-1]] * len(naive_sizes)))
        for r in range(max(args.reps, *naive_count.values())):
            for n in sizes if r < args.reps else ():
                inbox, got = inbox_of(corpus, work, n), walls[n]
                var = work / f"run_{n}_{r}"
                renv = night_env(env, var)
                wall, mib = measure([PY, "-m", "flows.cli", "run", "--inbox", str(inbox)], renv)
                got["runs"].append(wall)
                got["rss"].append(mib)
                inc, _ = measure([PY, "-m", "flows.cli", "run", "--inbox", str(inbox)], renv)
                got["incs"].append(inc)
                results["facts"][n] = fact_count(var / "warehouse.db")
                got["floors"].append(floor(inbox, var / "warehouse.db", work))
                # kept until the bench ends (with `work`): deleting a run's archive (N files) right before the next
                # run made the kernel's inode allocation skip the inodes just freed, and archiving 5 000 files cost
                # 2.8 s of system time instead of 0.3 (tasks/intake/archive.py; measured 2026-12-02), on the flow's
                # own thread. A night never follows the deletion of thousands of files; until 2026-12-02 every
                # measured run but the first of each N did, and more so the larger N.
                log(f"N={n} rep {r + 1}: run {wall:.1f} s ({mib:.0f} MiB), nothing new {inc:.1f} s, "
                    f"floor {got['floors'][-1]:.2f} s")
            for n in naive_sizes:
                if r >= naive_count[n]:
                    continue
                var = work / f"naive_{n}_{r}"
                var.mkdir()
                wall, mib = measure([PY, str(ROOT / "benchmarks" / "naive.py"), "--inbox",
                                     str(inbox_of(corpus, work, n)),
                                     "--warehouse-url", f"sqlite:///{var / 'warehouse.db'}"], env)
                naive_runs[n]["runs"].append(wall)
                naive_runs[n]["rss"].append(mib)
                log(f"naive N={n} rep {r + 1}: {wall:.1f} s ({mib:.0f} MiB)")
        for n, got in walls.items():
            results["baocao"][n] = {"runs": got["runs"], "median": statistics.median(got["runs"]),
                                    "rss_mib": max(got["rss"])}
            results["incremental"][n] = {"runs": got["incs"], "median": statistics.median(got["incs"])}
            results["floor"][n] = {"runs": got["floors"], "median": statistics.median(got["floors"])}
        for n, got in naive_runs.items():
            results["naive"][n] = {"runs": got["runs"], "median": statistics.median(got["runs"]),
                                   "rss_mib": max(got["rss"])}
        results["paired"] = paired_ratios(results, sizes, naive_sizes)

        lo, hi = sizes[0], sizes[-1]
        fixed, marginal = line_fit({n: v["median"] for n, v in results["baocao"].items()}, lo, hi)
        results["fit"] = {"baocao": (fixed, marginal),
                          "floor": line_fit({n: v["median"] for n, v in results["floor"].items()}, lo, hi),
                          "naive": line_fit({n: v["median"] for n, v in results["naive"].items()},
                                            naive_sizes[0], naive_sizes[-1])}

        if not args.no_server:
            with prefect_server({**env, "PREFECT_HOME": str(work / "prefect-server")}) as url:
                senv = {**env, "PREFECT_API_URL": url}
                # its own line through N = lo and hi, as the ephemeral runs': its intercept is the fixed cost. (Until
                # 2026-12-02 the N = lo median minus the ephemeral slope × lo: an estimate that rose as the slope fell)
                def server_line(label: str, tag: str) -> dict:
                    walls: dict = {}
                    for r in range(args.reps):
                        for n in (lo, hi):
                            wall, _ = measure([PY, "-m", "flows.cli", "run", "--inbox",
                                               str(inbox_of(corpus, work, n))], night_env(senv, work / f"{tag}_{n}_{r}"))
                            walls.setdefault(n, []).append(wall)
                            log(f"{label} N={n} rep {r + 1}: {wall:.1f} s")
                    sizes_s = {n: {"runs": runs, "median": statistics.median(runs)} for n, runs in walls.items()}
                    fixed_s, marginal_s = line_fit({n: v["median"] for n, v in sizes_s.items()}, lo, hi)
                    return {"sizes": sizes_s, "fixed": fixed_s, "marginal": marginal_s}

                results["server"] = server_line("server", "server")
                # the same with `baocao review-worker` beside the server (as `baocao serve` starts it): the runs hand
                # their checkpoint to it instead of importing great-expectations themselves
                with review_worker(senv, work / "review-worker"):
                    results["review_worker"] = server_line("server + review worker", "rw")

        if not args.no_profile:
            session = work / "profile.pyisession"
            measure([PY, "-m", "pyinstrument", "-i", "0.002", "-r", "pyisession", "-o", str(session), "-m",
                     "flows.cli", "run", "--inbox", str(inbox_of(corpus, work, lo))], run_env(env, work / "profile"))
            results["profile"] = render_profile(session)
            log("profiled")

        results.update(machine=machine(), load_before=load_before, load_after=os.getloadavg(),
                       elapsed_s=time.time() - started, sizes=sizes, naive_sizes=naive_sizes, reps=args.reps,
                       synth_s=synth_s, corpus_errors=len(manifest["errors"]), quick=args.quick)
        write_section("bench", render(results), args.out, first=True)
        Path(args.out).with_suffix(".json").write_text(
            json.dumps({k: v for k, v in results.items() if k != "profile"}, indent=1, default=str) + "\n")
        log(f"wrote {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_profile(path: Path) -> str:
    """The call tree down to 2 % of the run, then the functions with the most time of their own."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(path))
    tree = ConsoleRenderer(unicode=True, processor_options={"filter_threshold": 0.02}).render(session)
    flat = ConsoleRenderer(unicode=True, flat=True).render(session)
    tree, flat = (re.sub(r"/\S*/baocao-bench-[^/\s]+", "<bench folder>", text) for text in (tree, flat))
    tree_lines = [line for line in tree.splitlines() if line.strip()][:80]
    flat_lines = [line for line in flat.splitlines() if line.strip()][:30]
    return "\n".join(["Call tree (frames under 2 % hidden):", "", *tree_lines, "", "Own time, top 30:", "",
                      *flat_lines])


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0f}×"


def paired_table(paired: list[dict]) -> list[str]:
    """The naive build's marginal cost over baocao's, rep by rep (for reference: the target is on the medians)."""
    if not paired:
        return []
    ratios = sorted(p["ratio"] for p in paired if p["ratio"] is not None)
    return [
        "Rep by rep (each slope from that rep's two runs; for reference, the target row below uses the medians):",
        "",
        "| rep | baocao ms / submission | naive ms / submission | naive ÷ baocao |",
        "|---:|---:|---:|---:|",
        *(f"| {p['rep']} | {p['ours_ms']:.2f} | {p['naive_ms']:.1f} | {_times(p['ratio'])} |" for p in paired),
        "",
        *([f"Paired ratios from {ratios[0]:.0f}× to {ratios[-1]:.0f}× (median {statistics.median(ratios):.0f}×).", ""]
          if ratios else []),
    ]


def render(r: dict) -> str:
    """RESULTS.md: the machine, the medians, and each target with the figure's ratio to it (≤ 1 meets it)."""
    m = r["machine"]
    fixed, marginal = r["fit"]["baocao"]
    floor_fixed, floor_marginal = r["fit"]["floor"]
    naive_fixed, naive_marginal = r["fit"]["naive"]
    lo, hi = r["sizes"][0], r["sizes"][-1]
    mid = r["sizes"][-2] if len(r["sizes"]) > 1 else hi  # memory growth between the two largest sizes
    inc_hi = r["incremental"][hi]["median"]
    rss_hi, rss_mid = r["baocao"][hi]["rss_mib"], r["baocao"][mid]["rss_mib"]
    growth = rss_hi / rss_mid - 1
    # the load before the run says whether others shared the machine; the load after is mostly the bench's own
    loaded = r["load_before"][0] > 0.5 * (m["nproc"] or 1)
    out = ["# baocao at national scale: benchmark results", ""]
    if r.get("quick"):
        out += ["**Quick run (tiny sizes, one repetition): these figures only show the script works.**", ""]
    out += [
        f"Written by `make bench` (benchmarks/bench.py) in {r['elapsed_s'] / 60:.1f} min. "
        f"Medians of {r['reps']} runs unless said otherwise; every run is a cold process, the sizes taken in turn "
        "rep by rep (1000, 2000, 5000, 1000, ...) so that the machine's drift does not go into a slope, each run in a "
        "folder of its own kept to the end.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}; nproc {m['nproc']}; RAM {m['ram_gib']} GiB; OS {m['os']}",
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- baocao at commit {m.get('revision', 'unknown')}",
        f"- Load average (1 min) before / after: {r['load_before'][0]:.2f} / {r['load_after'][0]:.2f}"
        + (" — **figures taken under load**: the machine was shared with other jobs, so wall times are "
           "inflated and noisy; ratios between builds measured in the same session are the sturdier figures."
           if loaded else ""),
        "",
        "## Corpus",
        "",
        f"`baocao synth --seed 0 --error-rate 0.05`: {max(r['sizes'] + r['naive_sizes'])} text reports across "
        f"the country's ~700 legacy districts and six periods, {r['corpus_errors']} planted errors, written in "
        f"{r['synth_s']:.1f} s. An N-file inbox is the first N files: each district's 2016-2020 report first "
        "(five years), then its 2021 report (one year), its 2022 report (two), and so on, so facts per report vary "
        "with N (the floor inserts the very facts baocao loaded, so the two stay comparable). Facts loaded: "
        + ", ".join(f"N={n}: {c}" for n, c in sorted(r["facts"].items())) + ".",
        "",
        "## Medians (seconds; peak RSS of the largest process in the run's tree)",
        "",
        "| measure | N | median s | runs | peak RSS MiB |",
        "|---|---:|---:|---|---:|",
    ]
    def medians(label: str, series: dict, digits: int, rss: bool) -> None:
        for n, v in sorted(series.items()):
            runs = ", ".join(f"{x:.{digits}f}" for x in v["runs"])
            peak = f" {v['rss_mib']:.0f} " if rss else " "
            out.append(f"| {label} | {n} | {v['median']:.{digits}f} | {runs} |{peak}|")

    medians("1 floor: read bytes + sqlite3.executemany of the same facts", r["floor"], 2, rss=False)
    medians("2 baocao run (ephemeral Prefect, fresh SQLite)", r["baocao"], 1, rss=True)
    medians("3 naive (task + pandera + GX checkpoint per submission, ORM rows)", r["naive"], 1, rss=True)
    medians("4 baocao run again, nothing new", r["incremental"], 1, rss=False)
    medians("5 baocao check on the seed, cold process", {1: r["check"]}, 2, rss=False)
    if "server" in r:
        for n, s in sorted(r["server"]["sizes"].items(), key=lambda kv: int(kv[0])):
            out.append(f"| 2' baocao run against a running Prefect server | {n} | {s['median']:.1f} | "
                       f"{', '.join(f'{x:.1f}' for x in s['runs'])} | |")
    if "review_worker" in r:
        for n, s in sorted(r["review_worker"]["sizes"].items(), key=lambda kv: int(kv[0])):
            out.append(f"| 2'' baocao run against a running Prefect server and its review worker | {n} | "
                       f"{s['median']:.1f} | {', '.join(f'{x:.1f}' for x in s['runs'])} | |")
    out += [
        "",
        f"The naive build was measured at N = {' and '.join(map(str, r['naive_sizes']))} only (the issue allows it): "
        "its marginal cost is the slope between those two sizes. Its runs take their turn in each rep, after "
        "baocao's, so that both builds' medians come from the same stretch of the machine's time.",
        "",
        f"## Fixed and marginal costs (intercept and slope between N = {lo} and N = {hi})",
        "",
        "| build | fixed s | marginal ms / submission |",
        "|---|---:|---:|",
        f"| floor | {floor_fixed:.2f} | {floor_marginal * 1000:.2f} |",
        f"| baocao (ephemeral) | {fixed:.1f} | {marginal * 1000:.2f} |",
        f"| naive (N = {r['naive_sizes'][0]}..{r['naive_sizes'][-1]}) | {naive_fixed:.1f} | {naive_marginal * 1000:.1f} |",
        "",
        *paired_table(r.get("paired", [])),
        "## Targets (ratio = figure / limit; ≤ 1 meets the target)",
        "",
        "| target | figure | limit | ratio | met |",
        "|---|---:|---:|---:|---|",
    ]

    def row(name, figure, limit, unit, fmt="{:.2f}"):
        if limit <= 0 or figure < 0:  # a negative slope is noise at sizes this small
            out.append(f"| {name} | {fmt.format(figure)} {unit} | {fmt.format(limit)} {unit} | n/a | n/a |")
            return
        ratio = figure / limit
        out.append(f"| {name} | {fmt.format(figure)} {unit} | {fmt.format(limit)} {unit} | {ratio:.2f} | "
                   f"{'yes' if ratio <= 1 else 'no'} |")

    # the limits of issue 17 (scale and durability); the PostgreSQL ones are in the scale and load_facts sections
    row("marginal cost ≤ 2.5 ms a report", marginal * 1000, 2.5, "ms/sub")
    row("marginal cost ≥ 50× lower than the naive build's", marginal * 1000, naive_marginal * 1000 / 50, "ms/sub")
    row("fixed cost, ephemeral Prefect, ≤ 12 s", fixed, 12, "s", "{:.1f}")
    if "server" in r:
        row("fixed cost, running Prefect server, ≤ 4 s (intercept of its own line)", r["server"]["fixed"], 4, "s",
            "{:.1f}")
    if "review_worker" in r:
        row("fixed cost, running Prefect server and its review worker (`baocao serve`), ≤ 4 s",
            r["review_worker"]["fixed"], 4, "s", "{:.1f}")
        if "schema" in r:
            row("the same for a warehouse's first night, which also creates its schema (for reference)",
                r["review_worker"]["fixed"] + r["schema"]["total"], 4, "s", "{:.1f}")
    row(f"night with nothing new at N = {hi} ≤ fixed + 1 s", inc_hi, fixed + 1, "s", "{:.1f}")
    row("baocao check on one report, cold, ≤ 0.8 s", r["check"]["median"], 0.8, "s")
    row(f"peak memory at N = {hi} ≤ 400 MiB", rss_hi, 400, "MiB", "{:.0f}")
    row("marginal cost against the floor's (for reference: ≤ 3×, the first round's target)", marginal * 1000,
        3 * floor_marginal * 1000, "ms/sub")
    row(f"peak memory growth N = {mid} → {hi} (for reference: ≤ 10 %, the first round's target)", growth * 100, 10,
        "%", "{:.1f}")
    out += [
        "",
        f"Against the floor baocao's marginal cost is {marginal / floor_marginal:.0f}× ; against the naive build it "
        f"is {naive_marginal / marginal:.0f}× lower." if floor_marginal > 0 and marginal > 0 else "",
        "",
        "## Notes",
        "",
        "- The floor does no reading of the text at all (bytes only), so the 3× target compares baocao's parsing, "
        "matching, validation and reconciliation with a memcpy and an insert; see the profile for where the time goes.",
        "- Peak RSS is `ru_maxrss` of the children of a small wrapper process: the largest single process of the "
        "run, which is the flow's own process (Prefect's ephemeral API server, ~170 MiB, and the reading "
        "workers run beside it; tests/test_hostile.py measures the whole tree's PSS).",
        f"- The fixed cost against a running server is the intercept of the line through its N = {lo} and {hi} "
        "medians (its slope: "
        + (f"{r['server']['marginal'] * 1000:.2f} ms a report" if "server" in r else "not measured")
        + "). Until 2026-12-02 it was the N = 1000 median minus the ephemeral slope × 1000, which rose as that "
        "slope fell. With the review worker `baocao serve` starts (or `baocao review-worker`), the runs hand their "
        "great-expectations checkpoint to that process, which imported it once when it started; its line's slope: "
        + (f"{r['review_worker']['marginal'] * 1000:.2f} ms a report." if "review_worker" in r else "not measured."),
        "- Prefect's ephemeral database was created by one uncounted warm-up run; each measured run has a fresh "
        "archive and a fresh warehouse, empty and at the latest migration (`baocao migrate` before it, uncounted), "
        "as a night finds it: until 2026-12-02 the measured runs also created the schema, which only a warehouse's "
        "first night does. "
        + (f"Creating it costs that night {r['schema']['total']:.2f} s more (Alembic's import "
           f"{r['schema']['alembic_import']:.2f} s, the migrations {r['schema']['migrations']:.2f} s; medians of "
           "fresh processes): add it to a fixed cost for a first night." if "schema" in r else ""),
        "- Both cores are used by the read-ahead: a bounded reading worker reads and checks the next batch while the flow's "
        "process loads this one (`IN_FLIGHT` in flows/nightly.py; batches of 300 files, so that the two "
        "held at once keep the flow's process under its 400 MiB).",
        "",
        "### What the profile changed (the national-scale round)",
        "",
        "Session 1 (in-process cost of one submission through read → load, same 1 000 files): "
        "184 ms at the start (one pandas/pandera pass per file), 26 ms with batch frames, ~5.5 ms after the "
        "steps below. 1. `process_batch` validates (pandera) and reconciles one frame per batch, with vectorised "
        "group totals and plan/actual pairs. 2. `fold` is one regex and cached; `label_score` is cached. "
        "3. The cyclic garbage collector is paused while a batch is processed.",
        "",
        "Merging the first round's work brought the run back to ~40 ms a report and ~300 MiB more per 1 000 reports: "
        "bounded reading workers, one transaction per file (crash safety), per-submission "
        "restatement and outlier lookups, the narrative check, and a review step (GX, failure queue, HTML "
        "report) after every load. Session 2 profiled `baocao run` at N = 1 000 and 2 000 and fixed, in order "
        "of the time saved:",
        "",
        "1. Outliers and restatements: `iterrows` and then per-report pandas merges cost 11 ms a report (pandas' "
        "per-call overhead on ~70 facts); they now work on the fact rows the loader inserts anyway (< 0.5 ms).",
        "2. The review step was quadratic in the queue: the report filtered every failure once per submission "
        "(12 s at N = 2 000) and decoded an archive per failure; the queue sync compiled one UPDATE per failure "
        "(14 s for 22 000). Now one grouping, one decode per file, the page written a submission at a time, "
        "one executemany per kind of change (1.5 s).",
        "3. Reading and loading overlap: chunks of 50 files are read by the bounded worker from a thread while "
        "the flow's process loads the chunk before (ingest 20.5 → 13.6 s at N = 1 000 under the profiler).",
        "4. The narrative check looked each figure's cell up with a frame filter (5.6 ms a report); now a dict "
        "built from the tabulator's records. reporting.yaml was parsed once per submission (3 ms); now once.",
        "5. Workers send what the loader needs (pickle 37 → 10 KB a report) with the fact rows made once per "
        "batch; the readers' forkserver preloads the catalog and is stopped before the review (~90 MiB).",
        "6. The synthetic corpus drew every year anew, so a unit's 2022 report restated all of 2021 (18 000 "
        "restatement warnings at N = 2 000); a unit's cell-year is now drawn once. That exposed a false "
        "positive in the product: a phase total is now compared only between reports covering the same years.",
        "",
        "What is left per report is the reader and the narrative (`tasks/read/text.py`, `tasks/narrative.py`, "
        "~6 ms in the worker) and one SQLite transaction per file in the flow's process (~6 ms: the restatement "
        "lookup, the inserts, the commit). The fixed cost is Prefect's ephemeral API start, imports, and the "
        "review: GX's import and checkpoint (~8 s) and the charts (~3.5 s).",
    ]
    if r.get("profile"):
        out += ["", f"### pyinstrument, `baocao run` on N = {lo} (fresh warehouse)", "",
                "```", r["profile"], "```"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
