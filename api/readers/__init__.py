"""Readers: the busiest GET endpoints' rows in one SQL statement each, straight into the contract's dicts.

At 100,000 applications the ORM's query building and model instances and DRF's field objects were
three quarters of a list request (bench/RESULTS.md, issue 15). On PostgreSQL a reader answers
``GET /api/v1/pledges/``, ``GET /api/v1/pledges/{id}/`` (and the loan in the bank's POST responses)
and ``GET /api/v1/applications/`` with one statement: the page, its nested rows as JSON and its
``count`` together. The serializers stay the definition of every shape (the OpenAPI schema, SQLite,
filters a reader does not take); ``tests/api/test_readers.py`` asserts that a reader gives exactly
the serializer's JSON and the selectors' rows, for every kind of user. The visibility rules are the
selectors' own, in their SQL form beside the ORM form (``pledges.selectors.loans_visible_sql``,
``funding.selectors.visibility_sql``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_filters import utils as filter_utils
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

# DRF's own formatting of a timestamp (the current time zone, ISO 8601), so both paths agree.
_DATETIME = serializers.DateTimeField()


def enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "IPFUND_SQL_READERS", True)


def datetime_text(value) -> str | None:
    """DRF's text of a timestamp; an aware one (every column here) without DRF's field machinery,
    which was a tenth of a list page's time (``tests/api/test_reader_datetime.py`` compares the two)."""
    if value is None:
        return None
    if value.tzinfo is None or not settings.USE_TZ or api_settings.DATETIME_FORMAT != ISO_8601:
        return _DATETIME.to_representation(value)
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def page_hint(request, page_size: int) -> tuple[int, int]:
    """(offset, limit) of the page the request asks for, so its rows come with the count in one
    statement; a page number Django's paginator refuses just leaves the hint at the first page."""
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:  # "last", "abc", "²" (a digit to str.isdigit, not to int)
        page = 1
    page = page if 0 < page < 10**9 else 1
    return (page - 1) * page_size, page_size


class SqlRows:
    """What Django's paginator pages through: ``count()`` runs the statement for the hinted page
    (rows and total together) and a slice of that page returns its rows; any other slice runs the
    statement again at that offset. ``fetch(offset, limit)`` returns (total, rows)."""

    def __init__(self, fetch, hint: tuple[int, int]) -> None:
        self._fetch, self._hint = fetch, hint
        self._total: int | None = None
        self._rows: list = []

    def count(self) -> int:
        if self._total is None:
            self._total, self._rows = self._fetch(*self._hint)
        return self._total

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("SqlRows is sliced by the paginator only")
        start, stop = item.start or 0, item.stop
        offset, limit = self._hint
        if self._total is not None and start == offset and stop is not None and stop - start <= limit:
            return self._rows[: stop - start]
        return self._fetch(start, (stop - start) if stop is not None else limit)[1]


def filtered(visible: tuple[str, list], filters: dict, conditions: dict) -> tuple[str, list]:
    """The visibility condition AND each given filter's: ``conditions`` maps a filter to its SQL and
    the conversion of its cleaned value to the parameter."""
    where, params = [visible[0]], list(visible[1])
    for name, (sql, convert) in conditions.items():
        value = filters.get(name)
        if value not in (None, ""):
            where.append(sql)
            params.append(convert(value))
    return " AND ".join(where), params


def page_sql(count: str, columns: str, table: str, condition: str, ordering: str):
    """One statement for a page and its count: the count (a scalar subquery) on every row, and one
    row of NULLs beside it when the page is empty. Returns ``at(offset, limit)``, the statement for
    that page; its parameters: the count's, then the condition's.

    The page's LIMIT and OFFSET are written into the statement as whole numbers, not parameters: with
    them as parameters PostgreSQL cannot cost a generic plan, so a prepared statement was planned
    again on every call (30 custom plans of 30; written in, generic from the sixth, 1.5 → 0.8 ms)."""
    head = (f"SELECT ({count}), page.* FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT {columns} FROM {table}"
            f" WHERE {condition} ORDER BY {ordering}")

    def at(offset: int, limit: int) -> str:
        return f"{head} LIMIT {int(limit)} OFFSET {int(offset)}) page ON TRUE"

    return at


def fetch_all(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def taken_filters(filterset_class, request, taken: frozenset, model) -> dict | None:
    """The request's filters cleaned by the view's FilterSet (a 400 as the ORM path gives it) when a
    reader takes every one of them; None sends the request down the ORM path."""
    present = {name for name in filterset_class.base_filters if request.query_params.get(name) not in (None, "")}
    if not present:
        return {}
    if not present <= taken:
        return None
    filterset = filterset_class(request.query_params, queryset=model.objects.none(), request=request)
    if not filterset.is_valid():
        raise filter_utils.translate_validation(filterset.errors)
    return filterset.form.cleaned_data


def paginated(view, request, rows_for):
    """``view``'s paginated response of a reader's rows: ``rows_for(page_size)`` gives the SqlRows."""
    paginator = view.paginator
    page = paginator.paginate_queryset(rows_for(paginator.get_page_size(request)), request)
    return view.get_paginated_response(page)
