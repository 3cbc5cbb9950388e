"""Working days as China counts them: public holidays and the weekend days worked in exchange (调休).

The maintained ``chinese-calendar`` package knows each year once the State Council has published its
schedule; for a year it does not know yet, the admin enters the schedule (``core.models.CalendarDay``).
An admin entry for a date overrides the package. With neither, the days count as Monday–Friday and
``unknown_years`` tells the caller so that staff can be warned.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

DAY = timedelta(days=1)
WORKING, CALENDAR = "working", "calendar"


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _entered(start: date, end: date) -> dict[date, bool]:
    from core.models import CalendarDay  # noqa: PLC0415  the model module imports this one's callers

    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def _entered_years(years: set[int]) -> set[int]:
    from core.models import CalendarDay  # noqa: PLC0415

    return {day.year for day in CalendarDay.objects.filter(date__year__in=years).dates("date", "year")}


class Calendar:
    """Working-day arithmetic over a window of dates, with the admin's entries read once."""

    def __init__(self, start: date, end: date):
        self.entered = _entered(start, end)

    def is_workday(self, day: date) -> bool:
        if day in self.entered:
            return self.entered[day]
        if _package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day a period of ``days`` working days begun on ``start`` ends (``start`` itself not counted)."""
    if days <= 0:
        return start
    # A generous window: the longest run of holidays (Spring Festival) is 9 days.
    calendar = Calendar(start, start + timedelta(days=days * 2 + 30))
    current, remaining = start, days
    while remaining > 0:
        current += DAY
        if calendar.is_workday(current):
            remaining -= 1
    return current


def period_end(start: date, days: int, kind: str = WORKING) -> date:
    """The end of a period of ``days`` days of ``kind`` (working days, or calendar days) from ``start``."""
    if kind == CALENDAR:
        return start + timedelta(days=days)
    return add_working_days(start, days)


def unknown_years(start: date, end: date) -> list[int]:
    """The years between ``start`` and ``end`` whose holidays neither the package nor the admin knows:
    periods in them count Monday–Friday only."""
    years = {year for year in range(start.year, end.year + 1) if not _package_knows(year)}
    if not years:
        return []
    return sorted(years - _entered_years(years))
