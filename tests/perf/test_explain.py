"""The hot filtered queries use indexes, not sequential scans, at a realistic scale (PostgreSQL).

Each case takes its SQL from the real selector, filter set or service lookup the API and the pages
run: querysets are explained with ``QuerySet.explain(format="json")`` (sliced to the page of 20
they are shown in), functions that return rows or dicts are run and each query they issued is
explained as sent. A case fails if a ``Seq Scan`` on one of the big tables appears anywhere in its
plan, except on a table the case names with its reason (a year's rows out of ten hashed in a join).
Queries that by their nature read every row (an unfiltered count for a pager, the portfolio tiles
over a whole region, ``verify_ledger``) are not explained; see ``WHOLE_TABLE`` below.

The data (``tests.perf.bigdata``) is committed, vacuumed and analyzed, as autovacuum leaves a
production table, because index-only scans (the ledger's covering index) depend on the
visibility map; it is truncated after the module.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from api.views.applicants import IPAssetFilter
from api.views.pledges import LoanFilter
from applicants import selectors as applicant_selectors
from applicants.models import IPAsset
from funding import ledger, public_notice, verify
from funding import selectors as funding_selectors
from funding.filters import ApplicationFilter
from funding.models import Application, LedgerEntry, PatentClaim, Program
from pledges import selectors as pledge_selectors
from pledges.forms import LoanFilterForm
from pledges.models import IdempotencyRecord, LoanStatus, PledgedRight
from reports import selectors as report_selectors
from tests.perf import bigdata
from tests.perf.plans import call_plans, describe, queryset_plan, seq_scanned

pytestmark = pytest.mark.postgres
PAGE = 20
CHECKED = (*bigdata.BIG_TABLES, "funding_patentclaim", "pledges_idempotencyrecord", "funding_transitionlog")

# Reads that need every row by design; a scan is the right plan for them.
WHOLE_TABLE = {
    "verify_ledger": "checks every budget and every application against the ledger",
    "portfolio_tiles (fin_center)": "sums the whole region's portfolio",
    "pager count without a filter": "COUNT(*) of all visible rows",
    "ip_asset_counts": "counts every asset of the region (policy indicators)",
    "budgets_for(user, None)": "figures of every budget of every year (approval queue, budget page without ?year)",
}


@pytest.fixture(scope="module")
def big(django_db_setup, django_db_blocker):
    """Loaded and committed once per module, vacuumed and analyzed like a production table (the
    visibility map matters for index-only scans), and truncated after the module's last test."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                data = bigdata.load()
            bigdata.vacuum_analyze()
            yield data
        finally:
            bigdata.wipe()


def _apps(big, who: str, **params):
    qs = funding_selectors.applications_visible_to(big.users[who])
    return ApplicationFilter({k: str(v) for k, v in params.items()}, queryset=qs).qs[:PAGE]


def _loans_api(big, who: str, **params):
    qs = pledge_selectors.loan_list(big.users[who])
    return LoanFilter(params, queryset=qs).qs[:PAGE]


def _loans_page(big, who: str, **params):
    user = big.users[who]
    form = LoanFilterForm({k: str(v) for k, v in params.items()}, user=user)
    assert form.is_valid(), form.errors
    return pledge_selectors.loan_list(user, form.filters())[:PAGE]


def _assets_api(big, who: str, **params):
    qs = applicant_selectors.ip_assets_visible_to(big.users[who]).order_by("-id")
    return IPAssetFilter(params, queryset=qs).qs[:PAGE]


def _queue(name: str, who: str, **params):
    def build(big):
        qs = getattr(funding_selectors, name)(big.users[who])
        return ApplicationFilter({k: str(v) for k, v in params.items()}, queryset=qs).qs[:PAGE]
    return build


def _mid_app(big) -> Application:
    return Application.objects.get(pk=big.application_ids[len(big.application_ids) // 2])


QUERYSETS = {
    # GET /api/v1/applications/ and /funding/ (same selector and filter set)
    "applications: applicant, no filter": lambda big: _apps(big, "applicant"),
    "applications: applicant ?state&year": lambda big: _apps(big, "applicant", state="disbursed", year=big.year - 2),
    "applications: clerk, no filter": lambda big: _apps(big, "clerk"),
    "applications: clerk ?state=submitted": lambda big: _apps(big, "clerk", state="submitted"),
    "applications: clerk ?program&year": lambda big: _apps(big, "clerk", program="industrialization", year=big.year),
    "applications: clerk ?state&program&year": lambda big: _apps(
        big, "clerk", state="publicity", program="patent_award", year=big.year),
    "applications: clerk ?year (old)": lambda big: _apps(big, "clerk", year=big.year - 6),
    "applications: finance ?state=approved": lambda big: _apps(big, "finance", state="approved"),
    "applications: bank (own claims)": lambda big: _apps(big, "bank"),
    "applications: bank ?state=submitted": lambda big: _apps(big, "bank", state="submitted"),
    "applications: expert (sent to them)": lambda big: _apps(big, "expert"),
    # page queues
    "intake queue: clerk": _queue("intake_queue", "clerk"),
    "intake queue: clerk ?state=submitted": _queue("intake_queue", "clerk", state="submitted"),
    "intake queue: fincenter": _queue("intake_queue", "fincenter"),
    "review queue: expert": _queue("review_queue", "expert"),
    "approval queue: finance": _queue("finance_queue", "finance"),
    "approval queue: finance ?state=approved": _queue("finance_queue", "finance", state="approved"),
    "public notice board": lambda big: public_notice.notice_groups(),
    "public notice document": lambda big: public_notice.notice_cases(
        Program.objects.get(region__code=big.region.code, code="patent_award"), big.year),
    # detail lookups
    "application detail": lambda big: funding_selectors.applications_visible_to(big.users["clerk"]).filter(
        pk=big.application_ids[100]),
    "application history": lambda big: funding_selectors.application_history(_mid_app(big)),
    "application payments": lambda big: funding_selectors.application_payments(_mid_app(big)),
    # GET /api/v1/pledges/ (bank) and /pledges/ (fin_center)
    "pledges api: bank, no filter": lambda big: _loans_api(big, "bank"),
    "pledges api: bank ?status=defaulted": lambda big: _loans_api(big, "bank", status="defaulted"),
    "pledges api: bank ?borrower_credit_code": lambda big: _loans_api(
        big, "bank", borrower_credit_code=big.credit_code),
    "pledges api: bank ?start_date range": lambda big: _loans_api(
        big, "bank", start_date_after=f"{big.year - 3}-03-01", start_date_before=f"{big.year - 3}-03-31"),
    "pledges api: bank ?status&start_date": lambda big: _loans_api(
        big, "bank", status="active", start_date_after=f"{big.year}-06-01"),
    "loan list page: fincenter, no filter": lambda big: _loans_page(big, "fincenter"),
    "loan list page: fincenter ?bank": lambda big: _loans_page(big, "fincenter", bank=big.banks[2].pk),
    "loan list page: fincenter ?status=defaulted": lambda big: _loans_page(big, "fincenter", status="defaulted"),
    "loan list page: fincenter ?industry": lambda big: _loans_page(big, "fincenter", industry="navel_orange"),
    "loan list page: fincenter ?township": lambda big: _loans_page(big, "fincenter", township=big.townships[3].pk),
    "loan list page: fincenter ?bank&status&dates": lambda big: _loans_page(
        big, "fincenter", bank=big.banks[1].pk, status="settled", start_date_after=f"{big.year - 4}-01-01",
        start_date_before=f"{big.year - 4}-02-28"),
    "loan list page: fincenter ?industry&township&status": lambda big: _loans_page(
        big, "fincenter", industry="crisp_plum", township=big.townships[0].pk, status="active"),
    "loan detail": lambda big: pledge_selectors.loans_visible_to(big.users["bank"]).filter(pk=big.loan_ids[0]),
    # GET /api/v1/ip-assets/ and the registry page
    "ip-assets: applicant": lambda big: _assets_api(big, "applicant"),
    "ip-assets: applicant ?kind": lambda big: _assets_api(big, "applicant", kind="trademark"),
    "ip-assets: clerk, no filter": lambda big: _assets_api(big, "clerk"),
    "ip-assets: clerk ?owner": lambda big: _assets_api(big, "clerk", owner=big.applicant.pk),
    "ip-assets: clerk ?kind&owner": lambda big: _assets_api(big, "clerk", kind="patent", owner=big.applicant.pk),
    # live lookups in services
    "patent claim: live claim of a patent": lambda big: PatentClaim.objects.filter(
        program=big.programs["application_subsidy"], patent=IPAsset.objects.get(number=big.patent_numbers[5]),
        live=True),
    "pledged right: live pledge of a number": lambda big: PledgedRight.objects.filter(
        kind="patent", number=big.patent_numbers[5], live=True),
    "ip asset: holder of a number": lambda big: IPAsset.objects.filter(kind="patent", number=big.patent_numbers[9]),
    "idempotency: record of a key": lambda big: IdempotencyRecord.objects.filter(bank=big.banks[1], key="key-501"),
    "idempotency: purge expired": lambda big: IdempotencyRecord.objects.filter(
        created_at__lt=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    "ledger: voucher lookup": lambda big: LedgerEntry.objects.filter(voucher_no="PV123-0"),
    "applicant year total (caps)": lambda big: Application.objects.filter(
        applicant_id=big.applicant.pk, program=big.programs["industrialization"], fiscal_year=big.year),
    "loan events / repayments of a loan": lambda big: pledge_selectors.loan_for(
        big.users["bank"], big.loan_ids[0], full=True).repayments.all(),
}


def _report(name: str, year_back: int = 3):
    def run(big):
        return call_plans(lambda: getattr(report_selectors, name)(big.region, big.year - year_back))
    return run


# One year's rows out of ten joined to a narrow table: a hash join over that table costs less than
# a thousand index probes, and PostgreSQL rightly picks it. Named here with the reason, per case.
YEAR_OF_APPLICATIONS = {"funding_application": (
    "joins one year's ledger entries to their applications (~10 % of the table); adding "
    "application__fiscal_year=year to reports.selectors._entries would turn it into an index scan")}
YEAR_OF_RIGHTS = {"pledges_pledgedright": "sums the rights of one year's loans (~10 % of the table)"}
BANK_PORTFOLIO = {"pledges_pledgedright": "counts the live rights of a bank's whole portfolio"}

CALLS = {
    "report: budget_rows": (_report("budget_rows"), {}),
    "report: adjustment_rows": (_report("adjustment_rows"), {}),
    "report: application_state_rows": (_report("application_state_rows"), {}),
    "report: breakdown_rows": (_report("breakdown_rows"), YEAR_OF_APPLICATIONS),
    "report: top_recipient_rows": (_report("top_recipient_rows"), YEAR_OF_APPLICATIONS),
    "report: tranche_rows": (_report("tranche_rows"), {}),
    "report: new_loan_rows": (_report("new_loan_rows"), {}),
    "report: pledged_right_rows": (_report("pledged_right_rows"), YEAR_OF_RIGHTS),
    "report: pledge_event_totals": (_report("pledge_event_totals"), {}),
    "report: outstanding_rows (old year)": (_report("outstanding_rows", year_back=9), {}),
    "ledger: budget_figures": (lambda big: call_plans(lambda: ledger.budget_figures(
        funding_selectors.budgets_for(big.users["finance"], big.year - 5)[0].pk)), {}),
    "ledger: budgets_for(finance, year)": (lambda big: call_plans(
        lambda: list(funding_selectors.budgets_for(big.users["finance"], big.year - 5))), {}),
    "ledger: application_balances": (lambda big: call_plans(
        lambda: ledger.application_balances(big.application_ids[1234])), {}),
    "loan detail with rights, repayments, recoveries, events": (lambda big: call_plans(
        lambda: pledge_selectors.loan_for(big.users["fincenter"], big.loan_ids[77], full=True)), {}),
    "loans page rows with rights (prefetch)": (lambda big: call_plans(
        lambda: list(pledge_selectors.loan_list(big.users["bank"], {"status": LoanStatus.ACTIVE})[:PAGE])), {}),
    "interest paid by loan and year": (lambda big: call_plans(
        lambda: pledge_selectors.live_interest_paid(big.loan_ids[:20], big.year - 1)), {}),
    "portfolio tiles: bank": (lambda big: call_plans(lambda: pledge_selectors.portfolio_tiles(big.users["bank"])),
                              BANK_PORTFOLIO),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(QUERYSETS))
def test_hot_query_uses_indexes(big, case):
    plan = queryset_plan(QUERYSETS[case](big))
    assert not seq_scanned(plan, CHECKED), f"{case}\n{describe(plan)}"


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CALLS))
def test_hot_aggregate_uses_indexes(big, case):
    run, allowed = CALLS[case]
    plans = run(big)
    assert plans, case
    checked = tuple(t for t in CHECKED if t not in allowed)
    for sql, plan in plans:
        assert not seq_scanned(plan, checked), f"{case}\n{sql}\n{describe(plan)}"


@pytest.mark.django_db
def test_verify_ledger_reads_everything_in_three_queries_and_finds_the_synthetic_data_clean(big):
    """A whole-table check by design (see WHOLE_TABLE): its cost must not grow in queries with the data."""
    with CaptureQueriesContext(connection) as ctx:
        problems = verify.ledger_violations()
    assert problems == []
    assert len(ctx.captured_queries) <= 3
