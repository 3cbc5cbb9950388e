#!/usr/bin/env python
"""Benchmark harness: ``python bench/run.py [--small] [--only report|api|pages|synth]``.

- report: synthetic databases at two sizes (SQLite files under var/bench/, plus PostgreSQL when
  DATABASE_URL is set); ``budget_report`` per format in a subprocess (median of 3, peak RSS via
  /usr/bin/time) against the SQL floor (the report's selectors evaluated alone).
- api: gunicorn with the README's production settings (bench/settings_production.py; random free port,
  2×cores+1 sync workers) and wrk at 16 connections (else a bounded 16-thread Python client), fixed duration per endpoint, three
  rounds round robin; median throughput and pooled p50/p95/p99 against the bare-DRF GET and POST
  floors (bench/floor.py). Then unrelated writes at once: two banks registering, two regions accepting
  (8 connections each, and again with 1 each, below the CPU's limit), each side's rate beside its
  rate alone just before, with the POST floor's pair as the machine's own ceiling; PostgreSQL
  backends waiting on a lock are sampled meanwhile. The client is wrk (bench/wrk.py) when installed.
- pages / queries: the busiest list pages and API lists at scale, with their query counts.
- synth: ``generate_synthetic --applications 200000 --loans 50000 --seed 1`` timed on a fresh
  PostgreSQL database (dropped afterwards). In the full run; with --small only when asked (--only synth).

Each part runs alone with --only; results accumulate in var/bench/results.json and every run
rewrites bench/RESULTS.md from all parts measured so far (sections not measured are kept) and prints
the targets of issue 15 to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import wrk  # noqa: E402
from bench.load import LoadResult, run_load  # noqa: E402
from bench.report import targets_table, write_results  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
OUT = ROOT / "var" / "bench"
RESULTS_JSON = OUT / "results.json"
FORMATS = ("csv", "xlsx", "pdf")


def log(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------

def targets(small: bool) -> list[tuple[str, int, str]]:
    """(backend, applications, DATABASE_URL) for each database to build: ``<name>_<size>`` on PostgreSQL."""
    sizes = (500, 2_000) if small else (2_000, 100_000)
    dbs = [("sqlite", n, f"sqlite:///{OUT / f'bench_{n}.sqlite3'}") for n in sizes]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        dbs += [("postgresql", n, pg_url(base, f"{pg_name(base)}_{n}")) for n in sizes]
    return dbs


def pg_name(url: str) -> str:
    return urlparse(url).path.lstrip("/") or "ipfund_bench"


def pg_url(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


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


def fresh_pg(url: str, drop_only: bool = False) -> None:
    import psycopg

    name = pg_name(url)
    with psycopg.connect(pg_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(backend: str, n: int, url: str) -> dict:
    """Create (once) and fill a database with n applications and n/4 loans; reused when present."""
    db = pg_name(url) if backend == "postgresql" else str(n)
    marker = OUT / f"built_{backend}_{db}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    if backend == "postgresql":
        fresh_pg(url)
    else:
        Path(urlparse(url).path).unlink(missing_ok=True)
    log(f"building {backend} with {n:,} applications")
    manage(url, "migrate", "--noinput")
    started = time.monotonic()
    # The large databases: a municipality (重庆's 38 districts and counties, issue 15); small ones: 3.
    regions = "38" if n >= 100_000 else "3"
    out = manage(url, "generate_synthetic", "--applications", str(n), "--loans", str(n // 4), "--seed", "1",
                 "--regions", regions, "--no-progress").stdout
    info = {"applications": n, "loans": n // 4, "regions": int(regions),
            "generate_seconds": round(time.monotonic() - started, 1),
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
    """The README's deploy line (config.settings_production, --workers 5 on 2 cores, --timeout 60)."""
    env = env_for(url, DJANGO_SETTINGS_MODULE="bench.settings_production", DJANGO_ALLOWED_HOSTS="127.0.0.1",
                  DJANGO_SECRET_KEY="bench-only-" + "x" * 50, DJANGO_SECURE_SSL_REDIRECT="0",
                  DATABASE_CONN_MAX_AGE=os.environ.get("DATABASE_CONN_MAX_AGE", "600"))
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "-w", str(workers),
                             "-b", f"127.0.0.1:{port}", "--timeout", "60", "--preload", "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(OUT / "gunicorn.log", "w"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("gunicorn did not start; see var/bench/gunicorn.log")


class Seq:
    """Numbers, or the ids of a list, handed out once across runs (warm-ups and concurrent runs included)."""

    def __init__(self, items: list | None = None) -> None:
        self.items, self.n, self.lock = items, 0, threading.Lock()

    def next(self):
        with self.lock:
            n, self.n = self.n, self.n + 1
        return n if self.items is None else self.items[n]

    def take(self, n: int) -> list:
        """The next ``n`` values (fewer when a list runs short); ``give_back`` returns the unused ones."""
        with self.lock:
            if self.items is None:
                start, self.n = self.n, self.n + n
                return list(range(start, start + n))
            taken, self.n = self.items[self.n:self.n + n], min(len(self.items), self.n + n)
            return taken

    def give_back(self, unused: list) -> None:
        if self.items is None or not unused:
            return  # numbers: a skipped number is harmless
        with self.lock:
            self.items = self.items[:self.n] + unused + self.items[self.n:]

    def left(self, cap: int | None = None) -> int | None:
        if self.items is None:
            return cap
        left = max(0, len(self.items) - self.n)
        return left if cap is None else min(cap, left)


class LockWaits:
    """Samples the PostgreSQL backends waiting on a lock every 50 ms while a load runs, with the table their
    statement names (a profile of what writes wait on). A no-op off PostgreSQL."""

    TABLE = re.compile(r'(?:FROM|UPDATE|INTO)\s+"([^"]+)"', re.I)

    def __init__(self, url: str) -> None:
        self.url, self.samples, self.waiting, self.tables = url, 0, [], {}
        self.stop, self.thread = threading.Event(), None  # entered once per round; samples accumulate

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.05):
                rows = conn.execute("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'").fetchall()
                self.samples += 1
                self.waiting.append(len(rows))
                for (query,) in rows:
                    match = self.TABLE.search(query or "")
                    table = match.group(1) if match else "?"
                    self.tables[table] = self.tables.get(table, 0) + 1

    def __enter__(self) -> LockWaits:
        self.stop = threading.Event()
        if self.url.startswith("postgres"):
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join(timeout=5)

    def summary(self) -> dict | None:
        if not self.samples:
            return None
        top = sorted(self.tables.items(), key=lambda kv: -kv[1])[:3]
        return {"samples": self.samples, "mean_waiting": round(statistics.mean(self.waiting), 2),
                "share_with_waiter": round(sum(1 for w in self.waiting if w) / self.samples, 3),
                "tables": [[t, round(n / self.samples, 2)] for t, n in top]}


def stats(runs: list[LoadResult]) -> dict:
    """Rounds of one load: the median rate; latencies pooled over the rounds (Python client) or, from wrk,
    the median over the rounds of each round's percentile."""
    pooled = LoadResult(sum(r.requests for r in runs), sum(r.errors for r in runs), sum(r.seconds for r in runs),
                        [x for r in runs for x in r.latencies_ms], {})
    if not pooled.latencies_ms:
        pooled.percentiles = {p: statistics.median(r.pct(p) for r in runs) for p in (50, 95, 99)}
    for r in runs:
        for code, n in r.statuses.items():
            pooled.statuses[code] = pooled.statuses.get(code, 0) + n
    return {"requests": pooled.requests, "rps": statistics.median(r.rps for r in runs),
            "rps_runs": [round(r.rps, 1) for r in runs], "p50_ms": pooled.pct(50), "p95_ms": pooled.pct(95),
            "p99_ms": pooled.pct(99), "p99_runs": [round(r.pct(99), 1) for r in runs], "errors": pooled.errors,
            "statuses": pooled.statuses, "client": runs[0].client if runs else None}


class Load:
    """One load: a token, a request maker drawing from ``seq``, and how many requests ``seq`` still allows."""

    def __init__(self, token: str, make, seq: Seq | None = None, cap: int | None = None) -> None:
        self.token, self.make, self.seq, self.cap = token, make, seq or Seq(), cap

    def factory(self, _i: int, _n: int):
        return self.make(self.seq.next())

    def run(self, port: int, concurrency: int, seconds: float, cap: int | None = None) -> LoadResult:
        if CLIENT == "wrk":
            return self._run_wrk(port, concurrency, seconds, cap)
        limit = self.seq.left(cap if cap is not None else self.cap)
        return run_load(port, self.token, self.factory, concurrency=concurrency, seconds=seconds, max_requests=limit)

    def _run_wrk(self, port: int, concurrency: int, seconds: float, cap: int | None) -> LoadResult:
        """Reads cycle over a fixed set of requests; writes take a fresh slice of ``seq`` (sized well above
        what the run can send) and give the unsent values back."""
        probe = self.make(0) if self.seq.items is None else None
        if probe is not None and probe[0] == "GET":
            requests = [self.make(k) for k in range(cap or WRK_READ_SET)]
            return wrk.run_wrk(port, self.token, requests, concurrency=concurrency, seconds=seconds, cyclic=True)[0]
        values = self.seq.take(cap if cap is not None else int(seconds * WRK_WRITE_BUDGET))
        result, sent = wrk.run_wrk(port, self.token, [self.make(v) for v in values], concurrency=concurrency,
                                   seconds=seconds)
        used = set(sent)
        self.seq.give_back([v for i, v in enumerate(values) if i not in used])
        return result


# wrk unless BENCH_CLIENT=python or wrk is missing; the Python client is the fallback (bench/load.py).
CLIENT = "wrk" if os.environ.get("BENCH_CLIENT", "wrk") == "wrk" and wrk.available() else "python"
WRK_READ_SET = 500  # distinct read requests per run (e.g. loan ids for the detail), cycled
WRK_WRITE_BUDGET = 1500  # write requests prepared per second of run: above any write rate on this machine


PAIR_CONNECTIONS = 8  # per side in the concurrency part; 16 in all, as for one endpoint
ROUNDS = 3  # every load runs once per round, round robin: rates are medians, drift of the machine shared


# The same pairs with one connection a side: each side alone then uses about one core (its worker and
# its database backend take turns), so two at once fit the 2 cores and what is left is waiting on
# each other's locks, the property the target is about; at 8 + 8 both sides saturate the CPU.
LIGHT_CONNECTIONS = 1
LIGHT = ", 1 + 1 connections"


def pair_connections(label: str) -> int:
    return LIGHT_CONNECTIONS if label.endswith(LIGHT) else PAIR_CONNECTIONS


def pair_round(port: int, sides: dict[str, Load], seconds: float, waits: LockWaits,
               connections: int = PAIR_CONNECTIONS) -> dict[str, tuple]:
    """Each side alone, then both at once (``connections`` each): {side: (alone, together)}."""
    alone = {label: load.run(port, connections, seconds) for label, load in sides.items()}
    together: dict[str, LoadResult] = {}

    def drive(label: str, load: Load) -> None:
        together[label] = load.run(port, connections, seconds)

    threads = [threading.Thread(target=drive, args=item) for item in sides.items()]
    with waits:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return {label: (alone[label], together[label]) for label in sides}


def pair_stats(rounds: list[dict[str, tuple]], waits: LockWaits, connections: int = PAIR_CONNECTIONS) -> dict:
    out = {"sides": {}, "lock_waits": waits.summary(), "connections": connections}
    for label in rounds[0]:
        alone, together = [r[label][0] for r in rounds], [r[label][1] for r in rounds]
        ratios = [t.rps / a.rps if a.rps else 0.0 for a, t in zip(alone, together, strict=True)]
        out["sides"][label] = {"alone": stats(alone), "together": stats(together),
                               "ratio": statistics.median(ratios), "ratios": [round(x, 3) for x in ratios]}
    return out


# The tables the API part's writes grow (a bank gains 1,000 loans a round, far more than a day of a
# real bank's): vacuumed before each round, as autovacuum keeps up in production. This machine's
# PostgreSQL runs with autovacuum off, and a count reading a bank's loans then visits every new page.
WRITTEN = ("pledges_pledgeloan", "pledges_pledgedright", "pledges_repayment", "pledges_loanevent",
           "funding_application", "funding_applicationcount", "funding_transitionlog", "funding_auditchainhead")


def tidy(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(WRITTEN)}")


def part_api(small: bool) -> dict:
    backend, n, url = load_target(small)
    build(backend, n, url)
    seconds = 2.0 if small else 10.0
    setup = worker(url, "setup", "20000" if not small else "4000")
    port, workers = free_port(), 2 * (os.cpu_count() or 2) + 1
    proc = start_gunicorn(url, port, workers)
    loans = setup["loan_ids"] or [0]
    repay, today = setup["repay_loans"], dt.date.fromisoformat(setup["today"])
    base = setup["right_base"]
    numbers = Seq()  # one numbering for every registration body: contract and right numbers never repeat

    def register(borrower: str):
        def make(k: int):
            k = base + k
            return ("POST", "/api/v1/pledges/", {
                "contract_no": f"BENCH-{k}", "borrower_credit_code": borrower, "principal": "1000000.00",
                "annual_rate": "0.0385", "start_date": "2026-03-01", "maturity_date": "2027-02-28",
                "pledge_registration_no": f"2026{k:010d}",
                "rights": [{"kind": "trademark", "number": str(k), "valuation": "1500000.00"}]})
        return make

    def floor_post(borrower: str):
        body = register(borrower)
        return lambda k: ("POST", "/api/v1/_bench/floor-post/", body(k)[2])

    def repayment(k: int):
        loan_id, start = repay[k % len(repay)]  # round robin; each loan's dates increase, up to today
        on = min(dt.date.fromisoformat(start) + dt.timedelta(days=k // len(repay)), today)
        return ("POST", f"/api/v1/pledges/{loan_id}/repayments/",
                {"date": on.isoformat(), "principal": "0", "interest": "1.00"})

    def accept(k: int):
        return ("POST", f"/api/v1/applications/{k}/transitions/accept/", {"comment": ""})

    def get(path):
        return lambda k: ("GET", path(k) if callable(path) else path, None)

    accepts, accepts_b = Seq(setup["accept_ids"]), Seq(setup["accept_ids_b"])
    bank, bank_b, a, b = setup["bank_token"], setup["bank_b_token"], setup["borrower"], setup["borrower_b"]
    endpoints = {
        "floor GET /api/v1/_bench/floor/": Load(bank, get("/api/v1/_bench/floor/")),
        "floor POST /api/v1/_bench/floor-post/": Load(bank, floor_post(a), numbers),
        "GET /api/v1/pledges/": Load(bank, get("/api/v1/pledges/")),
        "GET /api/v1/pledges/{id}/": Load(bank, get(lambda k: f"/api/v1/pledges/{loans[k % len(loans)]}/")),
        "GET /api/v1/applications/ (applicant)": Load(setup["applicant_token"], get("/api/v1/applications/")),
        "GET /api/v1/applications/ (clerk)": Load(setup["clerk_token"], get("/api/v1/applications/")),
        "POST /api/v1/pledges/": Load(bank, register(a), numbers),
        "POST /api/v1/pledges/{id}/repayments/": Load(bank, repayment),
        "POST /api/v1/applications/{id}/transitions/accept/": Load(setup["clerk_token"], accept, accepts),
    }
    pairs = {  # the floor's pair first: what sharing the machine costs with no database and no lock
        "POST floor, two banks": {"bank A": Load(bank, floor_post(a), numbers),
                                  "bank B": Load(bank_b, floor_post(b), numbers)},
        "two banks registering": {"bank A": Load(bank, register(a), numbers),
                                  "bank B": Load(bank_b, register(b), numbers)},
        "two regions accepting": {"region A": Load(setup["clerk_token"], accept, accepts),
                                  "region B": Load(setup["clerk_b_token"], accept, accepts_b)},
    }
    pairs.update({label + LIGHT: dict(sides) for label, sides in list(pairs.items())})
    results = {"backend": backend, "size": n, "workers": workers, "concurrency": 16, "seconds": seconds,
               "rounds": ROUNDS, "applicant_applications": setup.get("applicant_applications"), "concurrent": {}}
    runs: dict[str, list] = {label: [] for label in [*endpoints, *pairs]}
    waits = {label: LockWaits(url if label.startswith("POST") or label in pairs else "")
             for label in [*endpoints, *pairs]}
    try:
        for load in endpoints.values():
            load.run(port, workers, 1.0, cap=100)  # warm-up
        for i in range(ROUNDS):
            tidy(url)
            for label, load in endpoints.items():
                with waits[label]:
                    r = load.run(port, 16, seconds)
                runs[label].append(r)
                log(f"api {i + 1}/{ROUNDS} {label}: {r.rps:.0f}/s p99 {r.pct(99):.0f} ms statuses {r.statuses}")
            for label, sides in pairs.items():
                runs[label].append(pair_round(port, sides, seconds, waits[label], pair_connections(label)))
                log(f"api {i + 1}/{ROUNDS} at once, {label}: " + ", ".join(
                    f"{side} {alone.rps:.0f} → {together.rps:.0f}/s" for side, (alone, together) in runs[label][-1].items()))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for label in endpoints:
        results[label] = {**stats(runs[label]), "lock_waits": waits[label].summary()}
    for label in pairs:
        results["concurrent"][label] = pair_stats(runs[label], waits[label], pair_connections(label))
    return results


def part_pages(small: bool) -> dict:
    backend, n, url = load_target(small)
    build(backend, n, url)
    worker(url, "setup", "0")
    return {"backend": backend, "size": n, "pages": worker(url, "pages"), "api_queries": worker(url, "queries")}


def part_synth(small: bool, size: int | None = None) -> dict:
    """generate_synthetic at the province scale, timed on a fresh PostgreSQL database (dropped afterwards)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise RuntimeError("the synth part runs on PostgreSQL: set DATABASE_URL=postgres://…")
    n = size or 200_000
    url = pg_url(base, f"{pg_name(base)}_synth")
    fresh_pg(url)
    try:
        manage(url, "migrate", "--noinput")
        args = ["generate_synthetic", "--applications", str(n), "--loans", str(n // 4), "--seed", "1", "--no-progress"]
        log(f"synth: {' '.join(args)}")
        with tempfile.TemporaryDirectory() as tmp:
            timing = Path(tmp) / "time.txt"
            started = time.monotonic()
            out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(timing), PY, "manage.py", *args],
                                 cwd=ROOT, env=env_for(url), check=True, capture_output=True, text=True).stdout
            seconds = time.monotonic() - started
            rss_mb = int(timing.read_text().split()[-1]) / 1024
    finally:
        fresh_pg(url, drop_only=True)
    log(f"synth {n:,} applications: {seconds:.1f} s")
    return {"backend": "postgresql", "applications": n, "loans": n // 4, "seconds": round(seconds, 1),
            "peak_rss_mb": round(rss_mb), "command": "manage.py " + " ".join(args),
            "rows": out.strip().splitlines()[-1]}


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
    parser.add_argument("--only", choices=("report", "api", "pages", "synth"), action="append")
    parser.add_argument("--synth-size", type=int, help=argparse.SUPPRESS)  # check the synth part's code path
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    mode = "small" if args.small else "full"
    results.setdefault(mode, {})["machine"] = machine()
    parts = (("report", part_report), ("api", part_api), ("pages", part_pages),
             ("synth", lambda small: part_synth(small, args.synth_size)))
    for part, fn in parts:
        if args.only and part not in args.only or not args.only and part == "synth" and args.small:
            continue
        log(f"part {part} ({mode})")
        try:
            results[mode][part] = {**fn(args.small), "at": dt.datetime.now().isoformat(timespec="seconds")}
        except (subprocess.CalledProcessError, RuntimeError, OSError, KeyError, ValueError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            results[mode][part] = {"error": f"{exc!r}\n{detail[-2000:]}"}
            log(f"part {part} failed: {exc!r}\n{detail[-2000:]}")
        RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str))
    write_results(results, ROOT / "bench" / "RESULTS.md")
    log("wrote bench/RESULTS.md")
    print(targets_table(results))


if __name__ == "__main__":
    main()
