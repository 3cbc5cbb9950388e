"""Monthly pledge-loan statistics for the financial services center and the PBOC branch (issue #14, item 6).

Per month of a year (or of a range of its months), over a region's loans:

- registered: loans whose ``start_date`` (放款日) falls in the month — count and principal;
- settled: ``settled_on`` in the month — count;
- defaulted: ``defaulted_on`` in the month — count and the outstanding at default;
- outstanding at the month's last day: loans lent by then and neither settled nor defaulted by then
  (``reports.selectors._performing_at``), the principal lent less the principal repaid up to that day
  (``reports.selectors.outstanding_rows``): so December's balance is the year-end report's.

Which loans: those the loan pages show the region's staff (``pledges.selectors.loans_visible_to``: lent
by a bank of the region or to a borrower of it), cancelled registrations left out as everywhere in the
figures (the tiles' new loans, the year-end report). Everything comes from one grouped query whatever the
number of loans (the repayments summed per loan and month in the database), then Python groups the
rows by bank and by the borrower's industry with ``Decimal``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from applicants.models import Industry, Region, Role, User
from core.errors import Invalid
from core.money import ZERO
from funding.ledger import cents  # a database sum to the fen (SQLite sums decimals as floats)
from pledges.models import LoanStatus, PledgeLoan
from pledges.selectors import OVERSIGHT_ROLES

from .document import INT, MONEY

MIN_YEAR = 2000

# (attribute of Figures, header, kind): the columns of the page's tables and of both downloads.
# Money headers carry their unit; flows add up over months, the two "月末" stocks do not.
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("registered_count", gettext_noop("新增贷款笔数"), INT),
    ("registered_principal", gettext_noop("新增贷款金额（元）"), MONEY),
    ("settled_count", gettext_noop("结清笔数"), INT),
    ("defaulted_count", gettext_noop("违约笔数"), INT),
    ("defaulted_amount", gettext_noop("违约时贷款余额（元）"), MONEY),
    ("outstanding_count", gettext_noop("月末在贷笔数"), INT),
    ("outstanding_balance", gettext_noop("月末贷款余额（元）"), MONEY),
)
STOCKS = frozenset({"outstanding_count", "outstanding_balance"})


def measure_headers() -> list[tuple[str, str, str]]:
    """MEASURES with the headers in the current language."""
    return [(attr, _(header), kind) for attr, header, kind in MEASURES]



@dataclass
class Figures:
    """One month's figures (or a whole period's: flows summed, stocks at the period's last month end)."""

    registered_count: int = 0
    registered_principal: Decimal = ZERO
    settled_count: int = 0
    defaulted_count: int = 0
    defaulted_amount: Decimal = ZERO
    outstanding_count: int = 0
    outstanding_balance: Decimal = ZERO

    def values(self) -> list:
        return [getattr(self, attr) for attr, _header, _kind in MEASURES]


@dataclass
class Group:
    """A line of the breakdown: the total, a bank or an industry; ``months`` parallels ``PledgeStats.months``."""

    key: str
    label: str
    months: list[Figures] = field(default_factory=list)

    @property
    def period(self) -> Figures:
        """The period: registrations, settlements and defaults summed; the balance at its last month end."""
        last = self.months[-1] if self.months else Figures()
        return Figures(
            registered_count=sum(f.registered_count for f in self.months),
            registered_principal=sum((f.registered_principal for f in self.months), ZERO),
            settled_count=sum(f.settled_count for f in self.months),
            defaulted_count=sum(f.defaulted_count for f in self.months),
            defaulted_amount=sum((f.defaulted_amount for f in self.months), ZERO),
            outstanding_count=last.outstanding_count,
            outstanding_balance=last.outstanding_balance,
        )


@dataclass(frozen=True)
class Period:
    year: int
    first_month: int = 1
    last_month: int = 12

    @property
    def months(self) -> list[date]:
        return [date(self.year, m, 1) for m in range(self.first_month, self.last_month + 1)]

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def last_day(self) -> date:
        return month_end(date(self.year, self.last_month, 1))


@dataclass
class PledgeStats:
    region: Region
    period: Period
    total: Group
    by_bank: list[Group]
    by_industry: list[Group]

    @property
    def months(self) -> list[date]:
        return self.period.months


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def may_see_pledge_stats(user: User) -> bool:
    """fin_center, finance and admin staff (the loan pages' oversight roles); never bank staff, even
    with another role as well: a bank sees its own loans only, and these are the whole region's."""
    return (bool(getattr(user, "is_authenticated", False)) and user.has_role(*OVERSIGHT_ROLES)
            and not user.has_role(Role.BANK) and user.bank_id is None)


# --- input ------------------------------------------------------------------------------------

MAX_DIGITS = 8  # a year or a month never needs more; longer strings are refused before int() (4,300-digit limit)


def _whole(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    ok = text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS
    return int(text) if ok else None


def parse_period(year, first_month=None, last_month=None, *, today: date) -> Period:
    """The statistics' period from the page's GET parameters, or Invalid with a Chinese message.

    The year runs from 2000 to the current one; months default to the whole year, and for the
    current year stop at the current month (a later month end has not come yet)."""
    number = _whole(year)
    if number is None or not MIN_YEAR <= number <= today.year:
        text = str(year).strip()[:20] if year is not None else ""  # a 5,000-digit "year" is not echoed whole
        raise Invalid(_("年度必须是 %(min)s 至 %(max)s 之间的整数，收到“%(value)s”。")
                      % {"min": MIN_YEAR, "max": today.year, "value": text}, field="year")
    latest = today.month if number == today.year else 12
    first = _whole(first_month) if first_month not in (None, "") else 1
    last = _whole(last_month) if last_month not in (None, "") else latest
    if first is None or last is None or not 1 <= first <= last <= 12:
        raise Invalid(_("月份应为 1 至 12 之间的整数，且起始月份不晚于截止月份，收到“%(first)s”至“%(last)s”。")
                      % {"first": str(first_month or "")[:20], "last": str(last_month or "")[:20]}, field="month")
    if first > latest:
        raise Invalid(_("%(year)s 年 %(month)s 月尚未开始，没有统计数据。") % {"year": number, "month": first},
                      field="month")
    return Period(year=number, first_month=first, last_month=min(last, latest))


# --- the selector -----------------------------------------------------------------------------

def region_loans(region: Region) -> QuerySet[PledgeLoan]:
    """The region's loans as its staff see them on the loan pages (``loans_visible_to``), without the
    cancelled registrations (never in a figure)."""
    return (
        PledgeLoan.objects.filter(Q(bank__region=region) | Q(borrower__region=region))
        .exclude(status=LoanStatus.CANCELLED)
    )


def _loan_rows(region: Region, period: Period) -> list[dict]:
    """One row per loan that counts in some month of the period, with its principal repaid before
    the period (``repaid_before``) and in each month (``repaid_<m>``), summed in the database."""
    first_day, last_day = period.first_day, period.last_day
    repaid = {"repaid_before": Sum("repayments__principal", filter=Q(repayments__date__lt=first_day))}
    for month in period.months:
        repaid[f"repaid_{month.month}"] = Sum(
            "repayments__principal", filter=Q(repayments__date__gte=month, repayments__date__lte=month_end(month))
        )
    loans = (
        region_loans(region)
        .filter(start_date__lte=last_day)
        .exclude(settled_on__lt=first_day)
        .exclude(defaulted_on__lt=first_day)
    )
    return list(
        loans.values("id", "bank__code", "bank__name", "borrower__industry", "principal", "start_date",
                     "settled_on", "defaulted_on", "outstanding_at_default")
        .annotate(**repaid)
        .order_by("id")
    )


def _in(day: date | None, first: date, last: date) -> bool:
    return day is not None and first <= day <= last


def pledge_stats(region: Region, period: Period) -> PledgeStats:
    """Month-by-month figures of ``region``'s loans over ``period``: totals, by bank, by industry."""
    rows = _loan_rows(region, period)
    months = period.months
    total = Group("total", _("合计"), [Figures() for _m in months])
    banks: dict[str, Group] = {}
    industries: dict[str, Group] = {}
    labels = dict(Industry.choices)
    for row in rows:
        bank = banks.get(row["bank__code"])
        if bank is None:
            bank = banks[row["bank__code"]] = Group(row["bank__code"], row["bank__name"], [Figures() for _m in months])
        industry_key = row["borrower__industry"]
        industry = industries.get(industry_key)
        if industry is None:
            industry = industries[industry_key] = Group(industry_key, str(labels.get(industry_key, industry_key)),
                                                        [Figures() for _m in months])
        repaid = cents(row["repaid_before"])
        for i, first in enumerate(months):
            last = month_end(first)
            repaid += cents(row[f"repaid_{first.month}"])
            registered = _in(row["start_date"], first, last)
            settled = _in(row["settled_on"], first, last)
            defaulted = _in(row["defaulted_on"], first, last)
            performing = (row["start_date"] <= last
                          and not (row["settled_on"] and row["settled_on"] <= last)
                          and not (row["defaulted_on"] and row["defaulted_on"] <= last))
            if not (registered or settled or defaulted or performing):
                continue
            for group in (total, bank, industry):
                figures = group.months[i]
                if registered:
                    figures.registered_count += 1
                    figures.registered_principal += row["principal"]
                if settled:
                    figures.settled_count += 1
                if defaulted:
                    figures.defaulted_count += 1
                    figures.defaulted_amount += row["outstanding_at_default"] or ZERO
                if performing:
                    figures.outstanding_count += 1
                    figures.outstanding_balance += row["principal"] - repaid
    order = {value: i for i, value in enumerate(Industry.values)}
    return PledgeStats(
        region=region, period=period, total=total,
        by_bank=[banks[code] for code in sorted(banks)],
        by_industry=sorted(industries.values(), key=lambda g: (order.get(g.key, len(order)), g.key)),
    )
