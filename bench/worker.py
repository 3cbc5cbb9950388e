"""In-Django helpers for bench/run.py, one task per invocation, JSON on stdout's last line.

    python bench/worker.py sqlfloor YEAR      time the report's selectors evaluated alone (median of 3)
    python bench/worker.py inprocess YEAR     time building + rendering each format in this process (median of 3)
    python bench/worker.py setup N            bench users + tokens in two regions; N (+N/2) submitted applications
                                              to accept, loans to repay
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
REGION_B = "500101"  # the synthetic generator's second region (devtools.synthetic.CHONGQING[0])


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


def _staff(role: str, region: str = REGION):
    from applicants.models import User

    return User.objects.get(username=f"syn-{region}-{role}")


def _user(username: str, role: str, **fields):
    from django.contrib.auth.models import Group

    from applicants.models import User

    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _submitted(region, n: int) -> list[int]:
    """``n`` submitted subsidy applications of the region's enterprises, for the accept loads."""
    from applicants.models import Applicant
    from funding import rule_versions
    from funding.models import Application, Program
    from funding.workflow import ProgramCode, State

    program = Program.objects.get(region=region, code=ProgramCode.APPLICATION_SUBSIDY)
    applicants = list(Applicant.objects.filter(region=region, kind="enterprise").values_list("pk", flat=True)[:200])
    year = django.utils.timezone.localdate().year
    # As a submission leaves a case: judged by the rules frozen then (an accept reads them, not the versions).
    rules, version = rule_versions.rules_on(program)
    frozen = rules.as_json()
    apps = Application.objects.bulk_create([
        Application(program=program, applicant_id=applicants[i % len(applicants)], fiscal_year=year,
                    title=f"压测申请 {i}", requested_amount="1000.00", state=State.SUBMITTED,
                    frozen_rules=frozen, rule_version=version)
        for i in range(n)
    ], batch_size=1000)
    return [a.pk for a in apps]


def _right_base() -> int:
    """The first free bench right number: 10-digit trademark numbers 8xxxxxxxxx (synthetic ones are 6xxxxxxx)."""
    from django.db.models import Max

    from pledges.models import PledgedRight

    last = PledgedRight.objects.filter(kind="trademark", number__regex=r"^8[0-9]{9}$").aggregate(m=Max("number"))["m"]
    return int(last) + 1 if last else 8_000_000_000


def _repayable_loans(bank_user, borrower, base: int, n: int) -> list[list]:
    """``n`` active loans registered through the service, started 300 days ago: each takes many small
    repayments (date between the start and today). Returns [id, start date] pairs."""
    import datetime as dt

    from pledges import services

    start = django.utils.timezone.localdate() - dt.timedelta(days=300)
    out = []
    for i in range(n):
        loan = services.loan_register(
            by=bank_user, contract_no=f"BENCH-REPAY-{base + i}", borrower_credit_code=borrower.credit_code,
            principal="1000000.00", annual_rate="0.0385", start_date=start,
            maturity_date=start + dt.timedelta(days=730), pledge_registration_no=f"2026{base + i:010d}",
            rights=[{"kind": "trademark", "number": str(base + i), "valuation": "1500000.00"}])
        out.append([loan.pk, start.isoformat()])
    return out


def setup(n: int) -> dict:
    """Bench users and tokens in two regions (A: REGION, B: REGION_B); with ``n`` > 0 also ``n`` submitted
    applications in A and ``n // 2`` in B for the accept loads, and loans of bank A for the repayment load."""
    from django.db.models import Count

    from api.models import ApiToken
    from applicants.models import Applicant, Bank, Region
    from pledges.models import PledgeLoan

    region, region_b = Region.objects.get(code=REGION), Region.objects.get(code=REGION_B)
    bank = Bank.objects.filter(region=region).order_by("code").first()
    bank_b = Bank.objects.filter(region=region_b).order_by("code").first()
    bank_user = _user("bench-bank", "bank", region=region, bank=bank)
    bank_b_user = _user("bench-bank-b", "bank", region=region_b, bank=bank_b)
    enterprise = Applicant.objects.filter(region=region, kind="enterprise").order_by("pk").first()
    enterprise_b = Applicant.objects.filter(region=region_b, kind="enterprise").order_by("pk").first()
    # The applicant: the region's enterprise with the most applications (the longest own list).
    busiest = (Applicant.objects.filter(region=region, kind="enterprise").annotate(n=Count("applications"))
               .order_by("-n", "pk").first())
    applicant_user = _user("bench-applicant", "applicant", region=region, applicant=busiest)
    accept_ids, accept_ids_b, repay = [], [], []
    base = _right_base()
    if n > 0:
        accept_ids, accept_ids_b = _submitted(region, n), _submitted(region_b, n // 2)
        try:  # the bulk inserts bypassed Application.save: recount (funding.counts, when present)
            from funding import counts
        except ImportError:
            counts = None
        if counts is not None:
            counts.rebuild()
        repay = _repayable_loans(bank_user, enterprise, base, 100)
        base += len(repay)
    with connection.cursor() as cursor:
        # As autovacuum would after such a load: fresh planner statistics, and (PostgreSQL) the visibility
        # map that lets a count read an index alone. This machine's PostgreSQL runs with autovacuum off.
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
    loans = list(PledgeLoan.objects.filter(bank=bank).values_list("pk", flat=True)[:500])
    return {
        "bank_token": ApiToken.issue(bank_user, "bench")[1],
        "bank_b_token": ApiToken.issue(bank_b_user, "bench")[1],
        "clerk_token": ApiToken.issue(_staff("ip_office"), "bench")[1],
        "clerk_b_token": ApiToken.issue(_staff("ip_office", REGION_B), "bench")[1],
        "applicant_token": ApiToken.issue(applicant_user, "bench")[1],
        "applicant_applications": busiest.applications.count(),
        "accept_ids": accept_ids,
        "accept_ids_b": accept_ids_b,
        "loan_ids": loans,
        "repay_loans": repay,
        "borrower": enterprise.credit_code,
        "borrower_b": enterprise_b.credit_code,
        "right_base": base,
        "today": django.utils.timezone.localdate().isoformat(),
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
