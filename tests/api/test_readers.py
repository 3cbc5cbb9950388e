"""Issue #15: the API's readers (api.readers) give exactly what the serializers and selectors give.

On PostgreSQL ``GET /api/v1/pledges/``, ``GET /api/v1/pledges/{id}/`` and ``GET /api/v1/applications/``
answer from one hand-written statement. Each test here asks the same question both ways — the
reader, and the ORM path with ``IPFUND_SQL_READERS = False`` — for every kind of user, page and
filter, and asserts the same JSON (and the same visible rows, straight from the two forms of each
visibility rule)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding import selectors as funding_selectors
from funding.models import Application
from funding.workflow import ProgramCode
from pledges import selectors as pledge_selectors
from pledges.models import PledgeLoan
from tests.api.readers_data import both, loan_users
from tests.clients import api_client, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_every_loan_detail_is_the_serializers_for_every_user(loans, settings):
    world, other = loans
    for user in loan_users(world, other):
        for loan_id in PledgeLoan.objects.values_list("pk", flat=True):
            fast, orm = both(settings, user, f"/api/v1/pledges/{loan_id}/")
            assert fast == orm, (user.username, loan_id)


def test_the_detail_shows_pool_shares_coverage_and_repayments_as_the_serializer(loans, settings):
    world, _other = loans
    shown = [both(settings, world.bank1_user, f"/api/v1/pledges/{pk}/")[0][1]
             for pk in PledgeLoan.objects.filter(bank=world.bank1).values_list("pk", flat=True)]
    assert any(body["pool_shares"] for body in shown)
    assert any(body["risk_coverage"]["covered"] is False for body in shown)
    assert any(len(body["repayments"]) == 3 and body["ip_share"] != "1.0000" for body in shown)


@pytest.mark.parametrize("query", ["", "?page_size=2", "?page_size=2&page=2", "?page_size=2&page=last",
                                   "?page_size=3&page=9", "?page=abc", "?page_size=0", "?page_size=500",
                                   "?status=settled", "?status=defaulted&page_size=1", "?status=bogus",
                                   "?start_date_after=2000-01-01&start_date_before=2100-01-01",
                                   "?start_date_after=not-a-date", "?unknown=1"])
def test_loan_list_pages_are_the_orm_paths_for_every_user(loans, settings, query):
    world, other = loans
    for user in loan_users(world, other):
        fast, orm = both(settings, user, f"/api/v1/pledges/{query}")
        assert fast == orm, (user.username, query)


def test_the_credit_code_filter_is_normalised_as_the_orm_path_does(loans, settings):
    world, _other = loans
    code = world.enterprise1.credit_code.lower()
    fast, orm = both(settings, world.bank1_user, f"/api/v1/pledges/?borrower_credit_code={code}")
    assert fast == orm and fast[1]["count"] == 1


def test_loans_visible_sql_is_loans_visible_to(loans):
    world, other = loans
    for user in loan_users(world, other):
        condition, params = pledge_selectors.loans_visible_sql(user)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT l.id FROM pledges_pledgeloan l WHERE {condition}", params)
            by_sql = {row[0] for row in cursor.fetchall()}
        assert by_sql == set(pledge_selectors.loans_visible_to(user).values_list("pk", flat=True)), user.username


def test_a_loan_list_page_is_one_statement_beside_the_token_whatever_its_size(loans):
    world, _other = loans
    client = token_client(world.bank1_user)
    for size in (1, 8):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/pledges/?page_size={size}").json()["results"]
        reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
        assert len(reads) == 2 and "api_apitoken" in reads[0]  # the token with its user's roles, the page


# --- applications --------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "?page_size=2", "?page_size=2&page=2", "?page_size=3&page=last",
                                   "?page=99", "?page=0", "?state=submitted", "?state=draft", "?state=nope",
                                   f"?program={ProgramCode.APPLICATION_SUBSIDY}", "?program=nope",
                                   "?year=2026", "?year=abc", "?year=2026.5",
                                   f"?program={ProgramCode.INDUSTRIALIZATION}&state=submitted&page_size=1",
                                   "?q=专利", "?unknown=x"])
def test_application_list_pages_are_the_orm_paths_for_every_user(cases, settings, query):
    _world, users = cases
    for user in users:
        fast, orm = both(settings, user, f"/api/v1/applications/{query}")
        assert fast == orm, (user.username, query)


def test_visibility_sql_is_visibility_filter(cases):
    _world, users = cases
    for user in users:
        condition, params = funding_selectors.visibility_sql(user)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT a.id FROM funding_application a WHERE {condition}", params)
            by_sql = {row[0] for row in cursor.fetchall()}
        expected = set(Application.objects.filter(funding_selectors.visibility_filter(user)).values_list("pk", flat=True))
        assert by_sql == expected, user.username


def test_an_application_list_page_is_one_statement_whatever_its_size(cases):
    world, _users = cases
    for size in (1, 5):
        world.clerk._role_cache = None
        with CaptureQueriesContext(connection) as ctx:
            assert api_client(world.clerk).get(f"/api/v1/applications/?page_size={size}").status_code == 200
        assert len(ctx.captured_queries) == 2  # the roles (a token reads them with the user) and the page


def test_a_token_reads_the_users_roles_with_the_user(world):
    client = token_client(world.clerk)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/applications/").status_code == 200
    assert not any("auth_group" in q["sql"] and "api_apitoken" not in q["sql"] for q in ctx.captured_queries)


def test_a_role_taken_away_applies_to_the_next_request(world):
    client = token_client(world.bank1_user)
    assert client.get("/api/v1/pledges/").status_code == 200
    world.bank1_user.groups.clear()
    assert client.get("/api/v1/pledges/").status_code == 403
