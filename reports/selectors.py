"""Reads for the year-end budget execution report: every figure is one aggregate query.

Budget figures come from ``funding.ledger`` (``budgets_with_figures`` / ``figure_annotations``),
so the report equals the ledger by construction; the breakdowns (industry, township, recipients,
tranches) group the same ledger entries. Nothing here loops over ORM rows; the number of queries
does not depend on the amount of data. The completions (绩效) are read as one row per case (values,
not models, in one query) so their JSON outcomes, decimal strings, are summed as ``Decimal``.
"""

from datetime import date

from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from applicants.models import IPAsset, PatentType, Region, RegionYearStats
from core.money import ZERO
from funding import ledger
from funding.models import Account, Application, Budget, Clawback, EntryKind, LedgerEntry, TransitionLog
from funding.workflow import State, Transition
from pledges.models import LoanStatus, PledgedRight, PledgeLoan, Recovery, Repayment

MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)
# Entries that move money between an application's accounts (breakdowns by who got it).
APPLICATION_KINDS = (EntryKind.COMMIT, EntryKind.RELEASE, EntryKind.PAYMENT)


def _money_sum(field: str, **filter_kwargs) -> Coalesce:
    filt = Q(**filter_kwargs) if filter_kwargs else None
    return Coalesce(Sum(field, filter=filt), Value(ZERO), output_field=MONEY_SUM)


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def _entries(region: Region, year: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(budget__year=year, budget__program__region=region)


def budget_rows(region: Region, year: int) -> list[dict]:
    """Per program budget of ``year``: ledger figures plus the initial allocation (one query)."""
    qs = Budget.objects.filter(program__region=region, year=year)
    qs = ledger.budgets_with_figures(qs).annotate(
        initial=_money_sum("entries__amount", entries__kind=EntryKind.ALLOCATION),
    )
    return list(
        qs.order_by("program_id").values(
            "id", "program__code", "program__name_zh", "initial",
            "fig_allocated", "fig_committed", "fig_disbursed", "fig_available", "fig_recovered",
        )
    )


def adjustment_rows(region: Region, year: int) -> list[dict]:
    """Each 追加/调减 of the year's budgets, signed (+ top-up, − cut)."""
    signed = Case(
        When(debit_account=Account.AVAILABLE, then=F("amount")),
        default=-F("amount"),
        output_field=MONEY_SUM,
    )
    return list(
        _entries(region, year)
        .filter(kind=EntryKind.ADJUSTMENT)
        .annotate(signed=signed)
        .order_by("booked_on", "id")
        .values("budget__program__name_zh", "booked_on", "signed", "memo")
    )


def application_state_rows(region: Region, year: int) -> list[dict]:
    """Applications of the fiscal year by program and state: count and requested/approved sums."""
    return list(
        Application.objects.filter(program__region=region, fiscal_year=year)
        .values("program__code", "program__name_zh", "state")
        .annotate(count=Count("id"), requested=_money_sum("requested_amount"), approved=_money_sum("approved_amount"))
        .order_by("program__code", "state")
    )


def breakdown_rows(region: Region, year: int) -> list[dict]:
    """Committed and paid money by industry × township of the applicant, from the ledger."""
    return list(
        _entries(region, year)
        .filter(kind__in=APPLICATION_KINDS)
        .values("application__applicant__industry", "application__applicant__township__name")
        .annotate(applications=Count("application", distinct=True), **_figures())
        .order_by()
    )


def _figures() -> dict:
    figs = ledger.figure_annotations()
    return {"fig_committed": figs["fig_committed"], "fig_disbursed": figs["fig_disbursed"]}


def top_recipient_rows(region: Region, year: int, limit: int = 10) -> list[dict]:
    """The ``limit`` applicants granted most (still committed + paid) from the year's budgets."""
    figs = _figures()
    return list(
        _entries(region, year)
        .filter(kind__in=APPLICATION_KINDS)
        .values("application__applicant_id", "application__applicant__name", "application__applicant__credit_code")
        .annotate(applications=Count("application", distinct=True), **figs)
        .annotate(granted=F("fig_committed") + F("fig_disbursed"))
        .order_by("-granted", "application__applicant__name")[:limit]
    )


def tranche_rows(region: Region, year: int) -> list[dict]:
    """Payment entries (拨付) by program and month of booking: count and amount."""
    return list(
        _entries(region, year)
        .filter(kind=EntryKind.PAYMENT)
        .annotate(month=TruncMonth("booked_on"))
        .values("budget__program_id", "budget__program__name_zh", "month")
        .annotate(count=Count("id"), amount=_money_sum("amount"))
        .order_by("budget__program_id", "month")
    )


# --- 绩效: acceptance, termination and clawback in the calendar year ---------------------------
def completion_rows(region: Region, year: int) -> list[dict]:
    """Cases whose 验收 passed in ``year`` (the ``pass_completion`` audit row's date) and that stand
    completed or paid in full since: grade, the plan's expected output value and jobs, the outcomes."""
    passed = TransitionLog.objects.filter(application=OuterRef("pk"), transition=Transition.PASS_COMPLETION,
                                          at__year=year)
    return list(
        Application.objects.filter(program__region=region, state__in=(State.COMPLETED, State.DISBURSED))
        .filter(Exists(passed))
        .values("program_id", "program__name_zh", "completion_grade", "completion_outcomes",
                "industrialization_plan__expected_output_value", "industrialization_plan__jobs")
        .order_by("program_id", "id")
    )


def termination_rows(region: Region, year: int) -> list[dict]:
    """Cases terminated in ``year`` by program: count, what they had been paid, and the commitment the
    termination released (the amount its chained audit row recorded; checked against the ledger)."""
    return list(
        TransitionLog.objects.filter(transition=Transition.TERMINATE, at__year=year,
                                     application__program__region=region)
        .values("application__program_id", "application__program__name_zh")
        .annotate(terminated=Count("application", distinct=True),
                  paid_before=_money_sum("application__disbursed_amount"), released=_money_sum("amount"))
        .order_by("application__program_id")
    )


def clawback_rows(region: Region, year: int) -> list[dict]:
    """追回 dated in ``year`` by program: count and amount, and of which obtained by fraud."""
    return list(
        Clawback.objects.filter(date__year=year, application__program__region=region)
        .values("application__program_id", "application__program__name_zh")
        .annotate(clawbacks=Count("id"), clawed_back=_money_sum("amount"),
                  fraud_count=Count("id", filter=Q(fraud=True)), fraud_amount=_money_sum("amount", fraud=True))
        .order_by("application__program_id")
    )


def closure_ledger_rows(region: Region, year: int) -> list[dict]:
    """The ledger's side of terminations and clawbacks: Σ ``clawback`` entries and Σ ``release`` entries
    of terminated cases booked in ``year``, by program (a revocation's release is not a termination's)."""
    return list(
        LedgerEntry.objects.filter(budget__program__region=region, booked_on__year=year,
                                   kind__in=(EntryKind.CLAWBACK, EntryKind.RELEASE))
        .values("budget__program_id", "budget__program__name_zh")
        .annotate(ledger_clawed_back=_money_sum("amount", kind=EntryKind.CLAWBACK),
                  ledger_released=_money_sum("amount", kind=EntryKind.RELEASE,
                                             application__state=State.TERMINATED))
        .order_by("budget__program_id")
    )


def _loans(region: Region) -> QuerySet[PledgeLoan]:
    """The region's pledge loans: lent to its enterprises (the borrower's county funds their risk pool)."""
    return PledgeLoan.objects.filter(borrower__region=region).exclude(status=LoanStatus.CANCELLED)


def new_loan_rows(region: Region, year: int) -> list[dict]:
    """Loans that started in ``year``, by bank: count and principal."""
    return list(
        _loans(region).filter(start_date__year=year)
        .values("bank__code", "bank__name")
        .annotate(new_count=Count("id"), new_principal=_money_sum("principal"))
        .order_by("bank__code")
    )


def _performing_at(region: Region, day: date) -> QuerySet[PledgeLoan]:
    """Loans lent by ``day`` and neither settled nor defaulted by then."""
    return (
        _loans(region).filter(start_date__lte=day)
        .exclude(settled_on__lte=day)
        .exclude(defaulted_on__lte=day)
    )


def outstanding_rows(region: Region, year: int) -> tuple[list[dict], list[dict]]:
    """Balance at 31 Dec by bank, as (principal lent, principal repaid by then) — two queries."""
    day = date(year, 12, 31)
    loans = _performing_at(region, day)
    lent = list(
        loans.values("bank__code", "bank__name").annotate(lent=_money_sum("principal")).order_by("bank__code")
    )
    repaid = list(
        Repayment.objects.filter(loan__in=loans.values("id"), date__lte=day)
        .values("loan__bank__code").annotate(repaid=_money_sum("principal")).order_by("loan__bank__code")
    )
    return lent, repaid


def pledged_right_rows(region: Region, year: int) -> list[dict]:
    """Patents and trademarks pledged by the year's new loans: count and valuation, by kind."""
    return list(
        PledgedRight.objects.filter(loan__in=_loans(region).filter(start_date__year=year).values("id"))
        .values("kind")
        .annotate(count=Count("id"), valuation=_money_sum("valuation"))
        .order_by("kind")
    )


def pledge_event_totals(region: Region, year: int) -> dict:
    """Defaults in the year and bank recoveries in the year (two aggregates)."""
    defaults = _loans(region).filter(defaulted_on__year=year).aggregate(
        defaulted_count=Count("id"), defaulted_amount=_money_sum("outstanding_at_default")
    )
    recoveries = Recovery.objects.filter(loan__borrower__region=region, date__year=year).aggregate(
        recovered_count=Count("id"), recovered_amount=_money_sum("amount"), recovered_pool=_money_sum("pool_share")
    )
    return {**defaults, **recoveries}


def ip_asset_counts(region: Region) -> dict:
    """Valid high-value invention patents and valid trademarks held in the region (one query)."""
    high_value = Q(kind=IPAsset.Kind.PATENT, patent_type=PatentType.INVENTION, is_valid=True) & ~Q(
        high_value_grounds=[]
    ) & Q(high_value_grounds__isnull=False)
    return IPAsset.objects.filter(owner__region=region).aggregate(
        high_value_patents=Count("id", filter=high_value),
        valid_trademarks=Count("id", filter=Q(kind=IPAsset.Kind.TRADEMARK, is_valid=True)),
    )


def region_year_stats(region: Region, year: int) -> dict | None:
    return (
        RegionYearStats.objects.filter(region=region, year=year)
        .values("resident_population", "market_entities")
        .first()
    )
