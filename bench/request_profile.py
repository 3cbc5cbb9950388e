#!/usr/bin/env python
"""Where one request's time goes: ``python bench/request_profile.py [call …] [--sql] [--top] [--explain [--plan]]`` against a bench database.

Runs each call of the API part (the same requests bench/run.py sends, through Django's test client in
one process, production settings) 40 times: the median time, the time inside database calls, the
query count, and cProfile's own time grouped by layer (ORM, driver and waiting on PostgreSQL, DRF,
the rest of Django, the application). Needs a database that ``bench/run.py`` has built and set up
(its bench users and submitted applications), e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ipfund_bench_100000 .venv/bin/python bench/request_profile.py
"""

from __future__ import annotations

import collections
import cProfile
import itertools
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_production")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402  after the settings environment above

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

RUNS = int(os.environ.get("BENCH_PROFILE_RUNS", "40"))


def _layer(file: str) -> str:
    if "rest_framework" in file:
        return "DRF"
    if "django/db/models" in file or file.endswith(("inspect.py", "copy.py")):
        return "ORM"  # the ORM's expression hashing goes through inspect.signature
    if "django/db/backends" in file or "psycopg" in file:
        return "driver+wait"
    if "site-packages" in file:
        return "Django and middleware"
    if file.startswith("~"):
        return "built-ins"
    return "application"


def _calls() -> dict:
    from api.models import ApiToken
    from applicants.models import Applicant, User
    from bench import worker
    from funding.models import Application
    from pledges.models import PledgeLoan

    def token(user):
        return {"HTTP_AUTHORIZATION": f"Token {ApiToken.issue(user, 'profile')[1]}"}

    bank_user = User.objects.get(username="bench-bank")
    bank, clerk = token(bank_user), token(worker._staff("ip_office"))
    applicant = token(User.objects.get(username="bench-applicant"))
    loans = itertools.cycle(PledgeLoan.objects.filter(bank=bank_user.bank).values_list("pk", flat=True)[:200])
    repay = itertools.cycle(PledgeLoan.objects.filter(contract_no__startswith="BENCH-REPAY-").values_list("pk", flat=True))
    accepts = iter(Application.objects.filter(state="submitted", title__startswith="压测申请",
                                              region__code=worker.REGION).values_list("pk", flat=True)[:500])
    borrower = (Applicant.objects.filter(region=bank_user.bank.region, kind="enterprise").order_by("pk")
                .first().credit_code)
    numbers = itertools.count(int(time.time()) % 10**6 * 1000)
    today = django.utils.timezone.localdate().isoformat()
    c = Client(HTTP_HOST="127.0.0.1")

    def registration():
        k = next(numbers)
        return {"contract_no": f"PROFILE-{k}", "borrower_credit_code": borrower, "principal": "1000000.00",
                "annual_rate": "0.0385", "start_date": "2026-03-01", "maturity_date": "2027-02-28",
                "pledge_registration_no": f"2027{k:010d}",
                "rights": [{"kind": "trademark", "number": str(9_000_000_000 + k), "valuation": "1500000.00"}]}

    def post(path, body, auth):
        return c.post(path, body, content_type="application/json", **auth)

    return {
        "floor": lambda: c.get("/api/v1/_bench/floor/", **bank),
        "floor-post": lambda: post("/api/v1/_bench/floor-post/", registration(), bank),
        "pledge-detail": lambda: c.get(f"/api/v1/pledges/{next(loans)}/", **bank),
        "pledge-list": lambda: c.get("/api/v1/pledges/", **bank),
        "applications-applicant": lambda: c.get("/api/v1/applications/", **applicant),
        "applications-clerk": lambda: c.get("/api/v1/applications/", **clerk),
        "register": lambda: post("/api/v1/pledges/", registration(), bank),
        "repayment": lambda: post(f"/api/v1/pledges/{next(repay)}/repayments/",
                                  {"date": today, "principal": "0", "interest": "1.00"}, bank),
        "transition": lambda: post(f"/api/v1/applications/{next(accepts)}/transitions/accept/", {"comment": ""}, clerk),
    }


def profile(name: str, call, show_sql: bool) -> None:
    first = call()
    assert first.status_code < 300, (name, first.status_code, first.content[:300])
    seen, in_db, bound = [], [0.0], []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        bound.append(params)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[0] += time.perf_counter() - started

    times = []
    with connection.execute_wrapper(wrapper):
        for _ in range(RUNS):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(RUNS // 2):
        call()
    profiler.disable()
    layers: collections.Counter = collections.Counter()
    for (file, _line, _fn), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():
        layers[_layer(file)] += own
    total = sum(layers.values()) or 1
    print(f"{name:24s} {1000 * statistics.median(times):6.1f} ms  in database calls {1000 * in_db[0] / RUNS:5.1f} ms  "
          f"queries {len(seen) // RUNS}  |  " + ", ".join(f"{k} {v / total:.0%}" for k, v in layers.most_common()))
    if show_sql:
        for sql in seen[: len(seen) // RUNS]:
            print("    ", sql[:160])
    if "--explain" in sys.argv:  # PostgreSQL's own planning and execution time of each read
        for sql, params in zip(seen[: len(seen) // RUNS], bound, strict=False):
            if sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = [row[0] for row in cursor.fetchall()]
                print("    ", sql[:80], "|", "; ".join(line.strip() for line in plan if "Time" in line))
                if "--plan" in sys.argv:
                    print("\n".join(plan))
    if "--top" in sys.argv:  # the project's own functions by cumulative time per request
        stats = pstats.Stats(profiler).stats
        mine = [(cum, file, line, fn) for (file, line, fn), (_cc, _nc, _own, cum, _callers) in stats.items()
                if str(ROOT) in file and "/.venv/" not in file and "/bench/" not in file]
        for cum, file, line, fn in sorted(mine, reverse=True)[:40]:
            print(f"    {1000 * cum / (RUNS // 2):6.2f} ms  {Path(file).relative_to(ROOT)}:{line} {fn}")


def main() -> None:
    calls = _calls()
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(calls)
    for name in names:
        profile(name, calls[name], "--sql" in sys.argv)


if __name__ == "__main__":
    main()
