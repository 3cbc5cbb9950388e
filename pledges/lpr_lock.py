"""One lock per month of the LPR table (PostgreSQL advisory locks, held to the transaction's end):
a registration takes its loan's month *shared* before it reads the rate it records, and
``pledges.lpr.lpr_save`` takes the months it adds or corrects *exclusively*. So a month added while
a loan registers is either read by the registration (the save committed first) or chained on the
loan by the save (it waited for the registration to commit, then sees the loan): never recorded as
missing on a loan the table judges. The read comes in a statement after the lock's, so its snapshot
is taken once the lock is held (READ COMMITTED). SQLite serialises writers anyway.

Lock order (docs/architecture.md): an LPR row, then its months in date order; a registration takes
its month after the pool and the new loan, and no other lock after it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from .models_pool import LoanPrimeRate

SPACE = 0x4C5052  # "LPR": the first key of these advisory locks, the month (yyyymm) the second


def _key(month: dt.date) -> int:
    return month.year * 100 + month.month


def lock_months(months, *, shared: bool) -> None:
    """Take the months' locks, in date order (no-op off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        for month in sorted(set(months)):
            cursor.execute(f"SELECT {function}(%s, %s)", [SPACE, _key(month)])


def rate_as_registered(month: dt.date) -> Decimal | None:
    """The month's one-year LPR as a new loan records it, under the month's shared lock."""
    lock_months([month], shared=True)
    return LoanPrimeRate.objects.filter(month=month).values_list("one_year", flat=True).first()
