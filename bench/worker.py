"""In-Django helpers for bench/run.py, one task per invocation, JSON on stdout's last line.

    python bench/worker.py sqlfloor YEAR      time the report's selectors evaluated alone (median of 3)
    python bench/worker.py inprocess YEAR     time building + rendering each format in this process (median of 3)
    python bench/worker.py setup N            bench users + tokens, N submitted applications to accept
    python bench/worker.py pages              busiest list pages: p50/p95 over 20 requests + query counts
    python bench/worker.py queries            query counts per API list endpoint at page sizes 20 and 100

Runs with DJANGO_SETTINGS_MODULE=bench.settings and the caller's DATABASE_URL.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REGION = "500237"


def sqlfloor(year: int) -> dict:
    from reports import selectors

    region = selectors.region_by_code(REGION)
    calls = [
        selectors.budget_rows, selectors.adjustment_rows, selectors.application_state_rows, selectors.breakdown_rows,
        selectors.top_recipient_rows, selectors.tranche_rows, selectors.new_loan_rows, selectors.outstanding_rows,
        selectors.pledged_right_rows, selectors.pledge_event_totals,
    ]
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for call in calls:
            result = call(region, year)
            list(result) if not isinstance(result, dict) else None
        selectors.ip_asset_counts(region)
        selectors.region_year_stats(region, year)
        runs.append(time.perf_counter() - started)
    return {"seconds": statistics.median(runs), "runs": runs, "selectors": len(calls) + 2}


def inprocess(year: int) -> dict:
    """The report's own cost without interpreter start-up: the same calls the command makes, timed here."""
    from reports import services

    timings = {}
    for fmt in ("csv", "xlsx", "pdf"):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            services.render(services.budget_report(year=year, region_code=REGION), fmt)
            runs.append(time.perf_counter() - started)
        timings[fmt] = {"seconds": statistics.median(runs), "runs": runs}
    return timings


def noop() -> dict:
    """Process start-up floor: Django plus the report's modules (pandas, reportlab, openpyxl)."""
    from reports import csv, pdf, services, xlsx  # noqa: F401

    return {}


def _staff(role: str):
    from applicants.models import User

    return User.objects.get(username=f"syn-{REGION}-{role}")


def setup(n: int) -> dict:
    """A bank user and tokens; ``n`` submitted subsidy applications in the region for the accept load."""
    from django.contrib.auth.models import Group

    from api.models import ApiToken
    from applicants.models import Applicant, Bank, Region, User
    from funding.models import Application, Program
    from funding.workflow import ProgramCode, State
    from pledges.models import PledgeLoan

    region = Region.objects.get(code=REGION)
    bank = Bank.objects.filter(region=region).order_by("code").first()
    bank_user, _ = User.objects.get_or_create(username="bench-bank", defaults={"region": region, "bank": bank})
    bank_user.groups.add(Group.objects.get(name="bank"))
    clerk = _staff("ip_office")
    program = Program.objects.get(region=region, code=ProgramCode.APPLICATION_SUBSIDY)
    applicants = list(Applicant.objects.filter(region=region, kind="enterprise").values_list("pk", flat=True)[:200])
    year = django.utils.timezone.localdate().year
    apps = Application.objects.bulk_create([
        Application(program=program, applicant_id=applicants[i % len(applicants)], fiscal_year=year,
                    title=f"压测申请 {i}", requested_amount="1000.00", state=State.SUBMITTED)
        for i in range(n)
    ], batch_size=1000)
    with connection.cursor() as cursor:  # as autovacuum would after such a load: fresh planner statistics
        cursor.execute("ANALYZE")
    enterprise = Applicant.objects.filter(region=region, kind="enterprise").order_by("pk").first()
    loans = list(PledgeLoan.objects.filter(bank=bank).values_list("pk", flat=True)[:500])
    return {
        "bank_token": ApiToken.issue(bank_user, "bench")[1],
        "clerk_token": ApiToken.issue(clerk, "bench")[1],
        "accept_ids": [a.pk for a in apps],
        "loan_ids": loans,
        "borrower": enterprise.credit_code,
    }


def _timed_get(client, url: str, n: int = 20) -> dict:
    times, queries, status = [], 0, None
    client.get(url)  # warm: first-request costs (URLconf, templates) are not the page's
    for i in range(n):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        status = response.status_code
        queries = len(ctx.captured_queries) if i == 0 else queries
    times.sort()
    return {"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
            "queries": queries, "status": status}


def pages() -> dict:
    from django.test import Client
    from django.urls import reverse

    results = {}
    for label, role, url in (
        ("intake queue (ip_office)", "ip_office", reverse("funding:intake")),
        ("finance approvals (finance)", "finance", reverse("funding:approvals")),
        ("fin-center loans (fin_center)", "fin_center", reverse("pledges:loan_list")),
        ("application list (ip_office)", "ip_office", reverse("funding:list")),
    ):
        client = Client()
        client.force_login(_staff(role))
        results[label] = _timed_get(client, url)
    return results


def queries() -> dict:
    from rest_framework.test import APIClient

    from applicants.models import User

    out = {}
    bank_user = User.objects.get(username="bench-bank")
    for label, user, url in (
        ("GET /api/v1/pledges/", bank_user, "/api/v1/pledges/"),
        ("GET /api/v1/applications/", _staff("ip_office"), "/api/v1/applications/"),
        ("GET /api/v1/budgets/", _staff("finance"), "/api/v1/budgets/"),
        ("GET /api/v1/ip-assets/", _staff("ip_office"), "/api/v1/ip-assets/"),
    ):
        client = APIClient()
        client.force_authenticate(user)
        counts = {}
        client.get(url, {"page_size": 20})  # warm
        for size in (20, 100):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, {"page_size": size})
            counts[size] = (len(ctx.captured_queries), response.status_code)
        out[label] = counts
    return out


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    result = {"sqlfloor": lambda: sqlfloor(int(args[0])), "inprocess": lambda: inprocess(int(args[0])),
              "setup": lambda: setup(int(args[0])),
              "pages": pages, "queries": queries, "noop": noop}[task]()
    print(json.dumps(result, default=str))
