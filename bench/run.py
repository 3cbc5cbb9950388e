#!/usr/bin/env python
"""Benchmark harness: ``python bench/run.py [--small] [--only report|api|pages|queries]``.

- report: synthetic databases at two sizes (SQLite files under var/bench/, plus PostgreSQL when
  DATABASE_URL is set); ``budget_report`` per format in a subprocess (median of 3, peak RSS via
  /usr/bin/time) against the SQL floor (the report's selectors evaluated alone).
- api: gunicorn on 127.0.0.1 (random free port, 2×cores+1 sync workers) and a bounded 16-thread
  loopback client, fixed duration per endpoint; throughput and p50/p95/p99 against the bare-DRF floor.
- pages / queries: the busiest list pages and API lists at scale, with their query counts.

Each part runs alone with --only; results accumulate in var/bench/results.json and every run
rewrites bench/RESULTS.md from all parts measured so far.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.load import run_load  # noqa: E402
from bench.report import write_results  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
OUT = ROOT / "var" / "bench"
RESULTS_JSON = OUT / "results.json"
FORMATS = ("csv", "xlsx", "pdf")


def log(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------

def targets(small: bool) -> list[tuple[str, int, str]]:
    """(backend, applications, DATABASE_URL) for each database to build."""
    sizes = (500, 2_000) if small else (2_000, 100_000)
    dbs = [("sqlite", n, f"sqlite:///{OUT / f'bench_{n}.sqlite3'}") for n in sizes]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        parsed = urlparse(base)
        dbs += [("postgresql", n, urlunparse(parsed._replace(path=f"/ipfund_bench_{n}"))) for n in sizes]
    return dbs


def load_target(small: bool) -> tuple[str, int, str]:
    """The larger database, on PostgreSQL when DATABASE_URL is set (the API and pages run there)."""
    dbs = targets(small)
    pg = [t for t in dbs if t[0] == "postgresql"]
    return (pg or dbs)[-1]


def env_for(url: str, **extra) -> dict:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def manage(url: str, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env_for(url), check=True, capture_output=True,
                          text=True, **kw)


def build(backend: str, n: int, url: str) -> dict:
    """Create (once) and fill a database with n applications and n/4 loans; reused when present."""
    marker = OUT / f"built_{backend}_{n}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    if backend == "postgresql":
        import psycopg

        name = urlparse(url).path.lstrip("/")
        admin = urlunparse(urlparse(url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(urlparse(url).path).unlink(missing_ok=True)
    log(f"building {backend} with {n:,} applications")
    manage(url, "migrate", "--noinput")
    started = time.monotonic()
    out = manage(url, "generate_synthetic", "--applications", str(n), "--loans", str(n // 4), "--seed", "1",
                 "--no-progress").stdout
    info = {"applications": n, "loans": n // 4, "generate_seconds": round(time.monotonic() - started, 1),
            "rows": out.strip().splitlines()[-1]}
    marker.write_text(json.dumps(info))
    return info


# --- report ----------------------------------------------------------------------------------------

def time_report(url: str, fmt: str, year: int) -> dict:
    runs, rss = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            stats = Path(tmp) / "time.txt"
            started = time.monotonic()
            subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(stats), PY, "manage.py", "budget_report",
                            "--year", str(year), "--format", fmt, "--output", str(Path(tmp) / f"r.{fmt}")],
                           cwd=ROOT, env=env_for(url), check=True, capture_output=True)
            runs.append(time.monotonic() - started)
            rss.append(int(stats.read_text().split()[-1]) / 1024)
    return {"seconds": statistics.median(runs), "runs": runs, "peak_rss_mb": max(rss)}


def worker(url: str, *args: str) -> dict:
    out = subprocess.run([PY, "bench/worker.py", *args], cwd=ROOT, env=env_for(url), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def startup_floor(url: str) -> float:
    """Median wall time of a process that only starts Django and imports the report's modules."""
    runs = []
    for _ in range(3):
        started = time.monotonic()
        worker(url, "noop")
        runs.append(time.monotonic() - started)
    return statistics.median(runs)


def part_report(small: bool) -> dict:
    year = dt.date.today().year
    results = {}
    for backend, n, url in targets(small):
        info = build(backend, n, url)
        floor = worker(url, "sqlfloor", str(year))
        floor["startup_seconds"] = startup_floor(url)
        floor["inprocess"] = worker(url, "inprocess", str(year))
        formats = {fmt: time_report(url, fmt, year) for fmt in FORMATS}
        log(f"report {backend} {n:,}: floor {floor['seconds']:.3f}s, " +
            ", ".join(f"{f} {r['seconds']:.2f}s" for f, r in formats.items()))
        results[f"{backend}:{n}"] = {"backend": backend, "size": n, "build": info, "sql_floor": floor,
                                     "formats": formats}
    return results


# --- API under load ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = env_for(url, DJANGO_DEBUG="0", IPFUND_BENCH="1", DJANGO_ALLOWED_HOSTS="127.0.0.1",
                  DJANGO_SECRET_KEY="bench-only-" + "x" * 50, DATABASE_CONN_MAX_AGE="600")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "-w", str(workers),
                             "-b", f"127.0.0.1:{port}", "--preload", "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(OUT / "gunicorn.log", "w"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("gunicorn did not start; see var/bench/gunicorn.log")


def part_api(small: bool) -> dict:
    backend, n, url = load_target(small)
    build(backend, n, url)
    seconds = 3.0 if small else 10.0
    setup = worker(url, "setup", "20000" if not small else "4000")
    port, workers = free_port(), 2 * (os.cpu_count() or 2) + 1
    proc = start_gunicorn(url, port, workers)
    accept_ids, loans = setup["accept_ids"], setup["loan_ids"] or [0]
    run_tag = int(time.time()) % 100_000
    endpoints = {
        "floor GET /api/v1/_bench/floor/": ("bank_token", lambda i, k: ("GET", "/api/v1/_bench/floor/", None)),
        "GET /api/v1/pledges/": ("bank_token", lambda i, k: ("GET", "/api/v1/pledges/", None)),
        "GET /api/v1/pledges/{id}/": ("bank_token", lambda i, k: ("GET", f"/api/v1/pledges/{loans[k % len(loans)]}/",
                                                                  None)),
        "GET /api/v1/applications/": ("clerk_token", lambda i, k: ("GET", "/api/v1/applications/", None)),
        "POST /api/v1/pledges/": ("bank_token", lambda i, k: ("POST", "/api/v1/pledges/", {
            "contract_no": f"BENCH-{run_tag}-{k:07d}", "borrower_credit_code": setup["borrower"],
            "principal": "1000000.00", "annual_rate": "0.0385", "start_date": "2026-03-01",
            "maturity_date": "2027-02-28", "pledge_registration_no": f"2026{run_tag:05d}{k:04d}"[:13].ljust(13, "0"),
            "rights": [{"kind": "trademark", "number": f"8{run_tag:05d}{k:04d}", "valuation": "1500000.00"}]})),
        "POST /api/v1/applications/{id}/transitions/accept/": ("clerk_token", lambda i, k: (
            "POST", f"/api/v1/applications/{accept_ids[k]}/transitions/accept/", {"comment": ""})),
    }
    results = {"backend": backend, "size": n, "workers": workers, "concurrency": 16, "seconds": seconds}
    try:
        for label, (token, make) in endpoints.items():
            shared = itertools.count()  # one numbering across warm-up and measurement: no reused ids

            def factory(i, _k, make=make, shared=shared):
                return make(i, next(shared))

            limit = len(accept_ids) - 200 if "accept" in label else 9_000 if "POST" in label else None
            run_load(port, setup[token], factory, concurrency=workers, seconds=1.0, max_requests=100)  # warm-up
            r = run_load(port, setup[token], factory, concurrency=16, seconds=seconds, max_requests=limit)
            results[label] = {"requests": r.requests, "rps": r.rps, "p50_ms": r.pct(50), "p95_ms": r.pct(95),
                              "p99_ms": r.pct(99), "errors": r.errors, "statuses": r.statuses}
            log(f"api {label}: {r.rps:.0f}/s p99 {r.pct(99):.0f} ms statuses {r.statuses}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return results


def part_pages(small: bool) -> dict:
    backend, n, url = load_target(small)
    build(backend, n, url)
    worker(url, "setup", "0")
    return {"backend": backend, "size": n, "pages": worker(url, "pages"), "api_queries": worker(url, "queries")}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem / 1024 / 1024, 1),
            "load": os.getloadavg(), "python": sys.version.split()[0], "at": dt.datetime.now().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="small sizes and short runs (a few minutes)")
    parser.add_argument("--only", choices=("report", "api", "pages"), action="append")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    mode = "small" if args.small else "full"
    results.setdefault(mode, {})["machine"] = machine()
    for part, fn in (("report", part_report), ("api", part_api), ("pages", part_pages)):
        if args.only and part not in args.only:
            continue
        log(f"part {part} ({mode})")
        try:
            results[mode][part] = fn(args.small)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            results[mode][part] = {"error": f"{exc}\n{detail[-2000:]}"}
            log(f"part {part} failed: {exc}\n{detail[-2000:]}")
        RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str))
    write_results(results, ROOT / "bench" / "RESULTS.md")
    log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
