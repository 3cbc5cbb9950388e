"""The applications' list for the API in one statement (see ``api.readers``)."""

from __future__ import annotations

from funding import counts
from funding.selectors import list_ordering_sql, visibility_sql
from funding.workflow import State

from . import SqlRows, datetime_text, fetch_all, filtered, page_hint, page_sql

# Related rows through scalar subqueries, not joins: the same rows (NOT NULL foreign keys), planned
# in 0.4 ms instead of 1.3–3 ms (api.readers.pledges says more).
_COLUMNS = """a.id, a.case_no, (SELECT p.code FROM funding_program p WHERE p.id = a.program_id), a.applicant_id,
  (SELECT ap.name FROM applicants_applicant ap WHERE ap.id = a.applicant_id),
  (SELECT cb.code FROM applicants_bank cb WHERE cb.id = a.claimant_bank_id),
  a.title, a.fiscal_year, a.state, a.requested_amount, a.approved_amount, a.disbursed_amount, a.created_at"""
# ApplicationFilter's fields a reader takes (validated by it first); ``q`` stays with the ORM.
_FILTERS = {"state": ("a.state = %s", str),
            "program": ("a.program_id IN (SELECT p.id FROM funding_program p WHERE p.code = %s)", str),
            "year": ("a.fiscal_year = %s", int)}
TAKEN = frozenset(_FILTERS)


def takes(filters: dict | None) -> bool:
    """Whether the reader answers under these cleaned filters (None: a filter it does not take). A
    year that is not a whole number in range stays with the ORM path, which rounds it its own way."""
    if filters is None:
        return False
    year = filters.get("year")
    return year is None or (year == int(year) and 0 <= year < 10**6)


def application_rows(user, request, page_size: int, filters: dict) -> SqlRows:
    """``ApplicationListSerializer(selectors.application_list(user) filtered, many=True).data`` by page,
    each page and its count (the counters where they answer, as ``funding.counts`` says) in one statement."""
    condition, params = filtered(visibility_sql(user), filters, _FILTERS)
    counted = counts.visible_count_sql(user, request.query_params)
    if counted is None:
        counted = (f"SELECT count(*) FROM funding_application a WHERE {condition}", params)
    sql = page_sql(counted[0], _COLUMNS, "funding_application a", condition, list_ordering_sql(user))
    labels = dict(State.choices)

    def fetch(offset: int, limit: int):
        rows = fetch_all(sql(offset, limit), [*counted[1], *params])
        return int(rows[0][0]), [_row(row[1:], labels) for row in rows if row[1] is not None]

    return SqlRows(fetch, page_hint(request, page_size))


def _row(row, labels: dict) -> dict:
    return {
        "id": row[0], "case_no": row[1], "program": row[2], "applicant": {"id": row[3], "name": row[4]},
        "claimant_bank": row[5], "title": row[6], "fiscal_year": row[7], "state": row[8],
        "state_display": str(labels.get(row[8], row[8])), "requested_amount": format(row[9], "f"),
        "approved_amount": None if row[10] is None else format(row[10], "f"),
        "disbursed_amount": format(row[11], "f"), "created_at": datetime_text(row[12]),
    }
