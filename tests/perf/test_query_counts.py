"""Every list endpoint and page runs the same, small number of queries at 5 rows and at 40 rows.

One parametrized test per surface: each case names who asks, the URL, and which rows to grow
(``apps``, ``loans``, ``assets``, ``budgets``, ``history``, ``reviews``, ``repayments``). The case is
measured with 5 such rows (``?page_size=5`` where the list takes it) and again with 40
(``?page_size=40``); the two counts must be equal and below ``BOUND``. Pages with a fixed page size
(loans 25, IP assets 20) still show 5 rows against 20–25.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funding.models import Application, Budget, Review, ReviewAssignment, TransitionLog
from funding.workflow import ProgramCode, State
from pledges.models import PledgedRight, PledgeLoan, Repayment
from tests import factories
from tests.clients import api_client, page_client

SMALL, LARGE = 5, 40
BOUND = 25  # the largest today: the budget report page (19), then the loan list with its tiles (13)
TEN_K = Decimal("10000.00")


class Rows:
    """Grows the rows each case lists, visible to every role that sees that list."""

    def __init__(self, world) -> None:
        self.world = world
        self.made: dict[str, int] = {}
        today = timezone.localdate()
        self.app = factories.ApplicationFactory(program=world.programs[ProgramCode.INDUSTRIALIZATION],
                                                applicant=world.enterprise1, state=State.UNDER_REVIEW, review_round=1)
        self.loan = self._loan(0)
        self.today = today

    def grow(self, kind: str, n: int) -> None:
        done = self.made.get(kind, 0)
        for i in range(done, n):
            getattr(self, f"_{kind}")(i)
        self.made[kind] = max(done, n)

    # --- one unit of each kind ---

    def _apps(self, i: int) -> None:
        w = self.world
        make = factories.ApplicationFactory
        make(program=w.programs[ProgramCode.APPLICATION_SUBSIDY], applicant=w.enterprise1, state=State.PUBLICITY,
             publicity_started_on=self.today)
        review = make(program=w.programs[ProgramCode.INDUSTRIALIZATION], applicant=w.enterprise1,
                      state=State.UNDER_REVIEW, review_round=1)
        ReviewAssignment.objects.create(application=review, expert=w.experts[0])
        make(program=w.programs[ProgramCode.RISK_COMPENSATION], applicant=w.enterprise2, claimant_bank=w.bank1,
             state=State.ACCEPTED)
        make(program=w.programs[ProgramCode.INTEREST_SUBSIDY], applicant=w.enterprise1, state=State.SUBMITTED)
        make(program=w.programs[ProgramCode.PATENT_AWARD], applicant=w.enterprise1, state=State.APPROVED,
             approved_amount=TEN_K)

    def _loan(self, i: int) -> PledgeLoan:
        w = self.world
        start = dt.date(w.year, 1, 1) + dt.timedelta(days=i % 300)
        loan = PledgeLoan.objects.create(
            bank=w.bank1, borrower=w.enterprise1 if i % 2 else w.enterprise2, contract_no=f"QC-{i:04d}",
            principal=Decimal("1000000.00"), annual_rate=Decimal("0.038500"), start_date=start,
            maturity_date=start + dt.timedelta(days=365), pledge_registration_no=f"{2026500000000 + i}",
            outstanding_principal=Decimal("1000000.00"),
        )
        for kind, number in ((PledgedRight.Kind.PATENT, factories.make_patent_number()),
                             (PledgedRight.Kind.TRADEMARK, str(60_000_000 + i))):
            PledgedRight.objects.create(loan=loan, kind=kind, number=number, valuation=Decimal("100000.00"))
        Repayment.objects.create(loan=loan, date=start + dt.timedelta(days=30), principal=Decimal("100.00"),
                                 interest=Decimal("10.00"))
        return loan

    def _loans(self, i: int) -> None:
        self._loan(i + 1)

    def _assets(self, i: int) -> None:
        factories.PatentFactory(owner=self.world.enterprise1)

    def _budgets(self, i: int) -> None:
        for program in self.world.programs.values():
            factories.BudgetFactory(program=program, year=self.world.year - 1 - i, allocated=Decimal("1000.00"))

    def _history(self, i: int) -> None:
        TransitionLog.objects.create(application=self.app, transition="submit", from_state=State.DRAFT,
                                     to_state=State.SUBMITTED, by=self.world.applicant1, comment=f"第{i}次")

    def _reviews(self, i: int) -> None:
        expert = factories.UserFactory(role="expert", region=self.world.region)
        Review.objects.create(application=self.app, expert=expert, score=80, recommended_amount=TEN_K)

    def _repayments(self, i: int) -> None:
        Repayment.objects.create(loan=self.loan, date=self.loan.start_date + dt.timedelta(days=i + 1),
                                 principal=Decimal("1.00"), interest=Decimal("1.00"))


def _user(world, who: str):
    if who == "anonymous":
        return None
    if who == "expert":
        return world.experts[0]
    return getattr(world, who)


def _count(client, url: str) -> tuple[int, int | None]:
    """Queries of one request (after a warm-up request), and how many rows it showed if it is a list."""
    client.get(url)  # warm per-user caches (roles, session) so both sizes are measured alike
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), _shown(response)


def _shown(response) -> int | None:
    if response.get("Content-Type", "").startswith("application/json"):
        payload = response.json()
        return len(payload["results"]) if isinstance(payload, dict) and "results" in payload else None
    page = (response.context or {}).get("page_obj") if hasattr(response, "context") else None
    return len(page.object_list) if page is not None else None


def _with_size(url: str, n: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}page_size={n}"


API_APPLICATION_ROLES = ["applicant1", "clerk", "expert", "finance", "fincenter", "bank1_user", "admin"]
STAFF = ["clerk", "expert", "finance", "fincenter", "admin"]

CASES = [
    *[(who, "/api/v1/applications/", "apps") for who in API_APPLICATION_ROLES],
    ("clerk", "/api/v1/applications/?state=publicity&program=application_subsidy", "apps"),
    # /api/v1/programs/ lists the region's five programs whatever grows: nothing to grow it by here.
    *[(who, "/api/v1/budgets/", "budgets") for who in STAFF if who != "expert"],  # experts: 403
    ("applicant1", "/api/v1/applications/{app}/history/", "history"),
    ("clerk", "/api/v1/applications/{app}/reviews/", "reviews"),
    ("applicant1", "/api/v1/applications/{app}/", "history"),
    *[(who, "/api/v1/ip-assets/", "assets") for who in ["applicant1", "clerk", "finance", "admin"]],
    *[(who, "/api/v1/pledges/", "loans") for who in ["bank1_user", "fincenter", "finance", "admin"]],
    ("bank1_user", "/api/v1/pledges/?status=active", "loans"),
    ("bank1_user", "/api/v1/pledges/{loan}/", "repayments"),
    # pages
    *[(who, "/funding/", "apps") for who in API_APPLICATION_ROLES],
    *[(who, "/funding/intake/", "apps") for who in ["clerk", "fincenter", "admin"]],
    ("expert", "/funding/reviews/", "apps"),
    *[(who, "/funding/approvals/", "apps") for who in ["finance", "admin"]],
    ("finance", "/funding/approvals/", "budgets"),  # budgets_for(user, None) feeds the "room" column
    *[(who, "/funding/budgets/", "budgets") for who in ["clerk", "finance", "fincenter", "admin"]],
    ("anonymous", "/funding/notices/", "apps"),
    ("clerk", "/funding/{app}/", "history"),
    ("clerk", "/funding/{app}/", "reviews"),
    *[(who, "/pledges/", "loans") for who in ["bank1_user", "fincenter", "finance", "admin"]],
    ("fincenter", "/pledges/{loan}/", "repayments"),
    ("applicant1", "/applicants/ip-assets/", "assets"),
    *[(who, "/applicants/registry/", "assets") for who in ["clerk", "admin"]],
    *[(who, "/", "apps") for who in ["applicant1", *STAFF, "bank1_user"]],
    *[(who, "/", "loans") for who in ["fincenter", "bank1_user"]],
    *[(who, "/reports/budget/", "apps") for who in ["finance", "admin"]],
    ("finance", "/reports/budget/", "loans"),
    # Excel exports of the same lists
    ("clerk", "/funding/?format=xlsx", "apps"),
    ("finance", "/funding/approvals/?format=xlsx", "apps"),
    ("finance", "/funding/budgets/?format=xlsx", "budgets"),
    ("fincenter", "/pledges/?format=xlsx", "loans"),
    ("clerk", "/applicants/registry/?format=xlsx", "assets"),
]


# Cases whose grown rows feed the page without being its listed rows.
NOT_LISTED = {("finance", "/funding/approvals/", "budgets")}


def _id(case) -> str:
    who, url, kind = case.values if hasattr(case, "values") else case
    return f"{who}:{url}:{kind}"


@pytest.mark.parametrize("who,url,kind", CASES, ids=[_id(c) for c in CASES])
def test_list_runs_a_fixed_number_of_queries(world, who, url, kind):
    listed = (who, url, kind) not in NOT_LISTED
    rows = Rows(world)
    url = url.format(app=rows.app.pk, loan=rows.loan.pk)
    user = _user(world, who)
    client = api_client(user) if url.startswith("/api/") else page_client(user)
    rows.grow(kind, SMALL)
    few, shown_few = _count(client, _with_size(url, SMALL))
    rows.grow(kind, LARGE)
    many, shown_many = _count(client, _with_size(url, LARGE))
    if listed and shown_few is not None and shown_many is not None:
        assert shown_many > shown_few, f"{url} as {who} should list more rows at {LARGE} than at {SMALL}"
    assert few == many, f"{url} as {who}: {few} queries with {SMALL} {kind}, {many} with {LARGE}"
    assert many <= BOUND, f"{url} as {who}: {many} queries"


def test_rows_really_grow_the_lists(world):
    """Guard for the test above: the grown rows are what the lists show."""
    rows = Rows(world)
    rows.grow("apps", SMALL)
    assert Application.objects.filter(state=State.PUBLICITY).count() == SMALL
    rows.grow("budgets", 2)
    assert Budget.objects.count() == len(world.programs) * 3
    client = api_client(world.clerk)
    assert client.get("/api/v1/applications/?page_size=3").json()["count"] > 3 * SMALL
