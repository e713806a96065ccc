"""The steward's desk under a national warehouse (not a test): server time of /queue and /failures/{id}.

    python benchmarks/desk.py --sqlite sqlite:///var/bench-desk/sqlite/warehouse.db \
        --postgresql postgresql+psycopg://baocao:baocao@127.0.0.1:5432/baocao_desk_bench

Each warehouse must hold the corpus already (`baocao synth -n 5000 --error-rate 0.05 --out DIR`, then
`python -m tasks.batch --inbox DIR/inbox` with BAOCAO_WAREHOUSE_URL set); the failure queue is synced here if empty.
`baocao desk` is started with uvicorn on a loopback port; each request's server time is the Server-Timing header
the desk sets (session lookup, queries and rendering; no network). Writes the "Desk" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import RESULTS, write_section  # noqa: E402
PASSWORD = "benchmark password 5000"
TARGETS = {"/queue": 150.0, "/failures/{id}": 200.0}


def prepare(url: str) -> dict:
    """Migrate, sync the failure queue if it is empty, add the benchmark's steward; what the warehouse holds."""
    from sqlalchemy import func, select

    from tasks.review.accounts import AccountError, add_user
    from tasks.review.queue import FAILURES, sync_failures
    from warehouse.db import engine_for, upgrade
    from warehouse.models import Fact, ReportingUnit, Submission

    upgrade(url)
    engine = engine_for(url)
    with engine.connect() as conn:
        synced = conn.execute(select(func.count()).select_from(FAILURES)).scalar()
    if not synced:
        sync_failures(engine)
    with engine.connect() as conn:
        counts = {"submissions": conn.execute(select(func.count()).select_from(Submission)).scalar(),
                  "facts": conn.execute(select(func.count()).select_from(Fact)).scalar(),
                  "failures": conn.execute(select(func.count()).select_from(FAILURES)).scalar()}
        # the steward of the province with the most failures: the heaviest queue a province user sees
        province = conn.execute(
            select(ReportingUnit.province_code, func.count()).join(FAILURES, FAILURES.c.unit_code == ReportingUnit.code)
            .group_by(ReportingUnit.province_code).order_by(func.count().desc()).limit(1)).first()
    counts["province"], counts["province_failures"] = province
    for name, role in (("bench-steward", "steward"), ("bench-admin", "admin")):
        try:
            add_user(engine, name, role, counts["province"], PASSWORD, by="benchmark")
        except AccountError:
            pass  # added by an earlier run
    engine.dispose()
    return counts


def serve(url: str) -> tuple[str, subprocess.Popen]:
    """`baocao desk` on a free loopback port."""
    from flows.environment import free_port

    port = free_port()
    env = {**os.environ, "BAOCAO_WAREHOUSE_URL": url}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "baocao"), "desk", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return base, proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the desk did not start")


def session(base: str, name: str):
    """An opener signed in as `name`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode({"username": name, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(base + "/login", data=body).read()
    return opener


def timed(opener, url: str) -> float:
    """The desk's own time for one GET, from its Server-Timing header (ms)."""
    with opener.open(url) as r:
        r.read()
        assert r.status == 200, url
        return float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"])[1])


def queue_urls(base: str, opener, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """A mix of queue requests a steward makes (filters, sorts, pages, free text) and failure ids seen on them."""
    first = opener.open(base + "/queue").read().decode()
    options = {name: re.findall(r'<option value="([^"]+)"', block)
               for name, block in re.findall(r'<select id="f-(\w+)" name="\w+">(.*?)</select>', first, re.S)}
    urls, ids = [], set(re.findall(r'href="/failures/([0-9a-f]{40})"', first))
    for _ in range(n):
        params: dict[str, str] = {}
        for name in ("period", "form", "severity", "status", "rule"):
            if options.get(name) and rng.random() < 0.3:
                params[name] = rng.choice(options[name])
        if rng.random() < 0.2:
            params["q"] = rng.choice(["số", "biểu", "tổng", "người", "2020"])
        params["sort"] = rng.choice(["severity", "unit", "period", "form", "last_seen", "status"])
        params["desc"] = str(rng.randint(0, 1))
        params["page"] = str(rng.choice([1, 1, 1, 2, 3, 10]))
        urls.append(base + "/queue?" + urllib.parse.urlencode(params))
    return urls, sorted(ids)


def measure(url: str, n: int, seed: int = 0) -> dict:
    """p50 / p95 / max server time of /queue and /failures/{id} for the busiest province's steward and an admin."""
    counts = prepare(url)
    base, proc = serve(url)
    rng = random.Random(seed)
    out = {"counts": counts, "rows": []}
    try:
        for who in ("bench-steward", "bench-admin"):
            opener = session(base, who)
            urls, _ = queue_urls(base, opener, n, rng)
            for u in urls[:5]:
                timed(opener, u)  # warm the connection pool and the templates
            queue = [timed(opener, u) for u in urls]
            ids: set[str] = set()
            for u in urls[: max(10, n // 10)]:
                ids |= set(re.findall(r'href="/failures/([0-9a-f]{40})"', opener.open(u).read().decode()))
            picked = rng.sample(sorted(ids), min(n, len(ids)))
            failure = [timed(opener, f"{base}/failures/{i}") for i in picked]
            for path, times in (("/queue", queue), ("/failures/{id}", failure)):
                out["rows"].append({"who": who, "path": path, "n": len(times), **stats(times)})
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def stats(times: list[float]) -> dict:
    """Median, 95th percentile and maximum (ms)."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def section(results: dict[str, dict]) -> str:
    """The "Desk" section of RESULTS.md."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench import machine

    m = machine()
    lines = ["## Desk", "",
             "Written by `python benchmarks/desk.py` (not `make bench`, which rewrites the rest of this file). Server time "
             "is the desk's Server-Timing header: session lookup, queries and Jinja2 rendering inside the uvicorn "
             "process that `baocao desk` starts, no network. Requests: a random mix of the queue's filters, sorts, "
             "pages and free text, then failures opened from those queue pages; as the steward of the province with "
             "the most failures, and as an admin (every province).", "",
             f"- Machine: {m['cpu']}; nproc {m['nproc']}; RAM {m['ram_gib']} GiB; {m['os']}; Python {m['python']}; "
             f"baocao at commit {m['revision']}; load average before: {os.getloadavg()[0]:.2f} (shared machine)", ""]
    for kind, r in results.items():
        c = r["counts"]
        lines.append(f"- {kind}: {c['submissions']} submissions, {c['facts']} facts, {c['failures']} failures; "
                     f"province {c['province']} has {c['province_failures']}")
    lines += ["", "| warehouse | user | page | requests | p50 ms | p95 ms | max ms | target p95 ms | met |",
              "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for kind, r in results.items():
        for row in r["rows"]:
            target = TARGETS[row["path"]]
            lines.append(f"| {kind} | {row['who']} | `{row['path']}` | {row['n']} | {row['p50']:.1f} | "
                         f"{row['p95']:.1f} | {row['max']:.1f} | {target:.0f} | "
                         f"{'yes' if row['p95'] <= target else 'no'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="URL of a loaded SQLite warehouse")
    parser.add_argument("--postgresql", help="URL of a loaded PostgreSQL warehouse")
    parser.add_argument("--requests", type=int, default=200, help="requests per page and user")
    args = parser.parse_args()
    results = {}
    for kind, url in (("SQLite", args.sqlite), ("PostgreSQL", args.postgresql)):
        if url:
            results[kind] = measure(url, args.requests)
            print(kind, results[kind]["rows"], flush=True)
    text = section(results)
    write_section("desk", text)
    print(text)


if __name__ == "__main__":
    main()
