"""Every non-trivial read of pledge loans: who sees what, lists with fixed query counts, tiles."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import NotFound
from applicants.models import Role, User
from core.money import ZERO
from funding.models import Application

from .models import LIVE_STATUSES, LoanStatus, PledgedRight, PledgeLoan, Recovery, Repayment

# Staff who oversee the loans of their region (read-only, except fin_center's cancel).
OVERSIGHT_ROLES = (Role.FIN_CENTER, Role.FINANCE, Role.ADMIN)


def may_see_loans(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        (user.has_role(Role.BANK) and user.bank_id is not None) or user.has_role(*OVERSIGHT_ROLES)
    )


def loans_visible_to(user: User) -> QuerySet[PledgeLoan]:
    """Bank staff: their bank's loans; fin_center/finance/admin: their region's — lent by a bank of the
    region or to a borrower of it (whose county's pool compensates the loan); anyone else: none."""
    qs = PledgeLoan.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.has_role(Role.BANK) and user.bank_id is not None:
        return qs.filter(bank_id=user.bank_id)
    if user.has_role(*OVERSIGHT_ROLES):
        if user.region_id is None:
            return qs if user.is_superuser else qs.none()
        return qs.filter(Q(bank__region_id=user.region_id) | Q(borrower__region_id=user.region_id))
    return qs.none()


def loans_visible_sql(user: User) -> tuple[str, list]:
    """``loans_visible_to`` as a SQL condition on ``l`` (the loan) alone, for the API's readers
    (api.readers; subqueries, not joins: PostgreSQL plans them in a tenth of the time); tests assert
    both give the same rows for every kind of user."""
    if not getattr(user, "is_authenticated", False):
        return "FALSE", []
    if user.has_role(Role.BANK) and user.bank_id is not None:
        return "l.bank_id = %s", [user.bank_id]
    if user.has_role(*OVERSIGHT_ROLES):
        if user.region_id is None:
            return ("TRUE", []) if user.is_superuser else ("FALSE", [])
        return ("(l.bank_id IN (SELECT b.id FROM applicants_bank b WHERE b.region_id = %s)"
                " OR l.borrower_id IN (SELECT br.id FROM applicants_applicant br WHERE br.region_id = %s))",
                [user.region_id, user.region_id])
    return "FALSE", []


# filter name (API query parameter / page form field) -> ORM lookup
LOAN_FILTERS = {
    "status": "status",
    "bank": "bank",
    "borrower_credit_code": "borrower__credit_code",
    "industry": "borrower__industry",
    "township": "borrower__township",
    "start_date_after": "start_date__gte",
    "start_date_before": "start_date__lte",
}


def loan_list(user: User, filters: dict | None = None) -> QuerySet[PledgeLoan]:
    """Visible loans with bank, borrower and rights loaded (a fixed number of queries per page)."""
    filters = filters or {}
    qs = loans_visible_to(user).select_related("bank", "borrower", "borrower__township", "risk_pool").prefetch_related(
        Prefetch("rights", queryset=PledgedRight.objects.order_by("id"))
    )
    qs = qs.filter(**{lookup: filters[name] for name, lookup in LOAN_FILTERS.items() if filters.get(name)})
    if filters.get("q"):
        text = filters["q"].strip()
        qs = qs.filter(Q(contract_no__icontains=text) | Q(borrower__name__icontains=text)
                       | Q(borrower__credit_code__iexact=text.upper()))
    return qs.order_by("-id")


def loan_for(user: User, loan_id: int, *, full: bool = False) -> PledgeLoan:
    """One visible loan (404 otherwise); ``full`` also loads repayments, recoveries, events and its claim."""
    qs = loans_visible_to(user).select_related("bank", "borrower", "borrower__township", "risk_pool").prefetch_related(
        Prefetch("rights", queryset=PledgedRight.objects.order_by("id")),
        Prefetch("repayments", queryset=Repayment.objects.order_by("date", "id")),
    )
    if full:
        qs = qs.prefetch_related(
            Prefetch("recoveries", queryset=Recovery.objects.order_by("date", "id")),
            "events__by",
        )
    loan = qs.filter(pk=loan_id).first()
    if loan is None:
        raise NotFound(_("贷款不存在"))
    return loan


def risk_application_of(loan: PledgeLoan) -> Application | None:
    claim = getattr(loan, "risk_claim", None) if loan.status != LoanStatus.ACTIVE else None
    return claim.application if claim is not None else None


@dataclass(frozen=True)
class Tiles:
    balance_by_bank: list[dict]
    new_loans_count: int
    new_loans_amount: Decimal
    pledged_patents: int
    pledged_trademarks: int
    defaults_count: int
    defaults_amount: Decimal
    compensated_count: int
    compensation_paid: Decimal
    recovered_to_pool: Decimal
    year: int


def portfolio_tiles(user: User, *, today: date | None = None) -> Tiles:
    """Portfolio figures over the loans the user sees, in a fixed number of aggregate queries."""
    year = (today or timezone.localdate()).year
    loans = loans_visible_to(user)
    by_bank = list(
        loans.filter(status__in=LIVE_STATUSES)
        .values("bank__code", "bank__name")
        .annotate(balance=Coalesce(Sum("outstanding_principal"), ZERO), count=Count("id"))
        .order_by("bank__code")
    )
    figures = loans.aggregate(
        new_count=Count("id", filter=Q(start_date__year=year) & ~Q(status=LoanStatus.CANCELLED)),
        new_amount=Coalesce(
            Sum("principal", filter=Q(start_date__year=year) & ~Q(status=LoanStatus.CANCELLED)), ZERO
        ),
        defaults_count=Count("id", filter=Q(status__in=[LoanStatus.DEFAULTED, LoanStatus.COMPENSATED])),
        defaults_amount=Coalesce(
            Sum("outstanding_at_default", filter=Q(status__in=[LoanStatus.DEFAULTED, LoanStatus.COMPENSATED])), ZERO
        ),
        compensated_count=Count("id", filter=Q(status=LoanStatus.COMPENSATED)),
    )
    rights = PledgedRight.objects.filter(live=True, loan__in=loans).aggregate(
        patents=Count("id", filter=Q(kind=PledgedRight.Kind.PATENT)),
        trademarks=Count("id", filter=Q(kind=PledgedRight.Kind.TRADEMARK)),
    )
    paid = Application.objects.filter(risk_claim__loan__in=loans).aggregate(
        total=Coalesce(Sum("disbursed_amount"), ZERO)
    )["total"]
    recovered = Recovery.objects.filter(loan__in=loans).aggregate(total=Coalesce(Sum("pool_share"), ZERO))["total"]
    return Tiles(
        balance_by_bank=by_bank, new_loans_count=figures["new_count"], new_loans_amount=figures["new_amount"],
        pledged_patents=rights["patents"], pledged_trademarks=rights["trademarks"],
        defaults_count=figures["defaults_count"], defaults_amount=figures["defaults_amount"],
        compensated_count=figures["compensated_count"], compensation_paid=paid, recovered_to_pool=recovered,
        year=year,
    )


def live_interest_paid(loan_ids: list[int], year: int) -> dict[int, Decimal]:
    """Interest the banks reported as paid in ``year``, per loan (one grouped query)."""
    rows = (
        Repayment.objects.filter(loan_id__in=loan_ids, date__year=year)
        .values("loan_id")
        .annotate(total=Sum("interest"))
    )
    return {row["loan_id"]: row["total"] or ZERO for row in rows}
