"""Working days as China counts them (issue #12): holidays and 调休 from chinese-calendar, the admin's
table for years the package does not know, Monday–Friday (and a warning) with neither."""

from datetime import date

import pytest

from core.models import CalendarDay
from core.workdays import add_working_days, period_end, unknown_years

pytestmark = pytest.mark.django_db


def test_a_notice_spanning_national_day_ends_on_the_fifth_working_day():
    # 2026: 10-01..07 off, Saturday 10-10 worked in exchange (调休上班).
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_the_weekend_day_worked_in_exchange_counts():
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a Saturday, worked


def test_calendar_days_count_every_day():
    assert period_end(date(2026, 9, 30), 5, "calendar") == date(2026, 10, 5)


def test_zero_days_end_where_they_start():
    assert period_end(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_a_year_nobody_knows_counts_monday_to_friday_and_is_reported():
    assert unknown_years(date(2026, 12, 1), date(2027, 3, 1)) == [2027]
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)  # a Friday


def test_the_admins_table_supplies_an_unknown_year():
    CalendarDay.objects.create(date=date(2027, 1, 1), name="元旦")
    assert unknown_years(date(2026, 12, 1), date(2027, 3, 1)) == []
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_a_weekend_entered_as_worked_counts_in_an_unknown_year():
    CalendarDay.objects.create(date=date(2027, 2, 20), is_workday=True, name="春节调休")
    assert add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)


def test_an_entry_overrides_the_package():
    CalendarDay.objects.create(date=date(2026, 10, 12), name="临时调整")
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 14)
