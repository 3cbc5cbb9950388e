"""The admin's LPR table (``LoanPrimeRate``) and the loans it judges.

The table is corrected in place (the admin), so it is not chained itself; instead each loan keeps
the one-year LPR it is judged by in its chained events: the ``registered`` event records it as the
table held it then (``pledges.audit.registered_facts``), and every addition or correction through
``lpr_save`` appends an ``lpr`` event to each loan judged by that month (started in the month
after it). ``pledges.verify`` compares the table with the last of them, so an SQL edit of a rate a
loan is judged by (or a month added with SQL after a loan recorded it missing) is a finding, and an
edit through the admin is not; ``pledges.lpr_lock`` keeps a registration and a save of its month
from crossing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .audit import record_loan_event
from .lpr_lock import lock_months
from .models import LoanPrimeRate, PledgeLoan


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _record(month: dt.date, one_year, by) -> int:
    """An ``lpr`` event on every loan whose LPR month is ``month`` (in the banks' stream order)."""
    first = _next_month(month)
    loans = PledgeLoan.objects.filter(start_date__gte=first, start_date__lt=_next_month(first)).only("pk", "bank_id")
    rows = sorted(loans, key=lambda loan: (str(loan.bank_id), loan.pk))
    for loan in rows:
        record_loan_event(loan, kind="lpr", by=by, detail={
            "month": month.isoformat(), "lpr": None if one_year is None else str(one_year)})
    return len(rows)


def lpr_save(rate: LoanPrimeRate, *, by=None) -> LoanPrimeRate:
    """Save an added or corrected month of the table (the admin's form has checked the values) and
    chain, on each loan it judges, the one-year rate it now holds; a month moved to another leaves
    the loans of the old one without a rate (recorded as None)."""
    with transaction.atomic():
        before = (LoanPrimeRate.objects.select_for_update().filter(pk=rate.pk).values_list("month", "one_year").first()
                  if rate.pk else None)
        # Registrations reading these months finish first, or read this save (pledges.lpr_lock).
        lock_months([rate.month, *([before[0]] if before else [])], shared=False)
        rate.save()
        if before is not None and before[0] != rate.month:
            _record(before[0], None, by)
        if before is None or before[0] != rate.month or before[1] != rate.one_year:
            _record(rate.month, rate.one_year, by)
    return rate
