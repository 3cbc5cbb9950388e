"""Attacks on the API's SQL readers (api.readers, commit 633ecea): each test asks one question both
ways — the reader and the ORM path (``IPFUND_SQL_READERS = False``) — and asserts the same status and
JSON, never a 500 and never another tenant's rows."""

import pytest
from django.contrib.auth.models import Group

from api.models import ApiToken
from applicants.models import Role
from funding.models import Application
from funding.workflow import ProgramCode
from pledges.models import PledgedRight, PledgeLoan
from tests import factories
from tests.api.readers_data import both, loan_users, other_region
from tests.clients import api_client, token_client
from tests.pledges.helpers import register
from tests.pledges.test_risk_pool import make_pool

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _both_raw(settings, client_for, path: str, **headers):
    """(reader's, ORM path's) (status, body) with a fresh client from ``client_for()`` each time; the
    body is the JSON when there is one, else the text (so a 500 page is compared, not a crash)."""
    out = []
    for fast in (True, False):
        settings.IPFUND_SQL_READERS = fast
        response = client_for().get(path, **headers)
        try:
            body = response.json()
        except ValueError:
            body = response.content[:200]
        out.append((response.status_code, body))
    return out


def _users_with_odd_roles(world, other):
    """Multi-role and edge users: a bank user without a bank who is also fin_center; a bank user who
    is also admin; a superuser with a region; an inactive-looking superuser with a bank; a fin_center
    without a region; a bank user whose bank is in another region."""
    bank_no_bank = factories.UserFactory(role=Role.BANK, region=world.region, bank=None)
    bank_no_bank.groups.add(Group.objects.get(name=Role.FIN_CENTER))
    bank_admin = factories.UserFactory(role=Role.BANK, region=world.region, bank=world.bank2)
    bank_admin.groups.add(Group.objects.get(name=Role.ADMIN))
    super_region = factories.UserFactory(role=Role.IP_OFFICE, is_superuser=True, region=world.region)
    super_bank = factories.UserFactory(role=Role.BANK, is_superuser=True, region=None, bank=other["bank"])
    no_region = factories.UserFactory(role=Role.FIN_CENTER, region=None)
    plain = factories.UserFactory(role=Role.EXPERT, region=world.region)
    plain.groups.add(Group.objects.get(name=Role.APPLICANT))
    return [bank_no_bank, bank_admin, super_region, super_bank, no_region, plain]


# --- odd page numbers ----------------------------------------------------------------------------

ODD_PAGES = ["²", "1²", "①", "３", "٣", "𝟐", "+1", " 2", "1_0", "1e1", "2.0", "-1", "99999999999999999999",
             "1000000000", "999999999", "", "last&page=1", "1&page=last", "0002"]


@pytest.mark.parametrize("page", ODD_PAGES)
def test_odd_page_numbers_answer_as_the_orm_path_on_the_loan_list(loans, settings, page):
    world, _other = loans
    fast, orm = _both_raw(settings, lambda: api_client(world.bank1_user), f"/api/v1/pledges/?page_size=2&page={page}")
    assert fast == orm, page
    assert fast[0] != 500


@pytest.mark.parametrize("page", ODD_PAGES)
def test_odd_page_numbers_answer_as_the_orm_path_on_the_application_list(cases, settings, page):
    world, _users = cases
    fast, orm = _both_raw(settings, lambda: api_client(world.clerk), f"/api/v1/applications/?page_size=2&page={page}")
    assert fast == orm, page
    assert fast[0] != 500


@pytest.mark.parametrize("size", ["0", "-1", "1", "200", "201", "99999999999999999999", "abc", "２", "²", "1&page_size=2",
                                  "2&page_size="])
def test_odd_page_sizes_answer_as_the_orm_path(cases, settings, size):
    world, _users = cases
    for path in (f"/api/v1/applications/?page_size={size}", f"/api/v1/pledges/?page_size={size}"):
        user = world.clerk if "applications" in path else world.fincenter
        fast, orm = _both_raw(settings, lambda u=user: api_client(u), path)
        assert fast == orm, path
        assert fast[0] != 500


# --- odd filters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["year=99999999999", "year=2147483648", "year=999999", "year=1000000",
                                   "year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96", "year=%D9%A2%D9%A0%D9%A2%D9%A6",
                                   "year=%C2%B2", "year=1e3", "year=2.026e3", "year=+2026", "year=-0", "year=0",
                                   "year=-2026", "year=2026.0", "year=%202026%20", "year=1e999999", "year=NaN",
                                   "year=Infinity", "state=submitted&state=draft", "state=nope&state=submitted",
                                   "state=submitted&state=", "q=&state=submitted", "q=%20&state=submitted",
                                   "program=ZZ&program=" + ProgramCode.APPLICATION_SUBSIDY,
                                   "year=2026&year=", "state=draft&year=2026&program=" + ProgramCode.APPLICATION_SUBSIDY,
                                   "ordering=-id", "format=json", "page=1&ordering=x&sort=y"])
def test_odd_application_filters_answer_as_the_orm_path(cases, settings, query):
    _world, users = cases
    for user in users:
        fast, orm = _both_raw(settings, lambda u=user: api_client(u), f"/api/v1/applications/?{query}")
        assert fast == orm, (user.username, query)
        assert fast[0] != 500


@pytest.mark.parametrize("code", ["' OR 1=1 --", "%25", "%27%29%3B--", "%E3%80%80", "%E2%80%8B", "%F0%9F%98%80",
                                  "a" * 300, "%EF%BC%A1", "%ED%A0%80", "%s", "%25s%25s", "{visible}", "b.%20br."])
def test_odd_credit_codes_answer_as_the_orm_path(loans, settings, code):
    world, other = loans
    for user in (world.bank1_user, world.fincenter, other["bank_user"]):
        fast, orm = _both_raw(settings, lambda u=user: api_client(u), f"/api/v1/pledges/?borrower_credit_code={code}")
        assert fast == orm, (user.username, code)
        assert fast[0] != 500


def test_a_credit_code_in_full_width_lower_case_with_spaces_finds_the_loan_both_ways(loans, settings):
    world, _other = loans
    code = world.enterprise1.credit_code
    odd = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code.lower())  # full-width, lower case
    spaced = f"%E3%80%80{odd[:5]}%20{odd[5:]}%E3%80%80"
    fast, orm = both(settings, world.bank1_user, f"/api/v1/pledges/?borrower_credit_code={spaced}")
    assert fast == orm and fast[1]["count"] == 1


@pytest.mark.parametrize("query", ["start_date_after=0001-01-01", "start_date_before=9999-12-31",
                                   "start_date_after=10000-01-01", "start_date_after=2026-02-30",
                                   "start_date_after=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01",
                                   "start_date_after=2100-01-01&start_date_before=1900-01-01",
                                   "status=settled&status=active", "status=active&status=", "status=ACTIVE",
                                   "bank=ZZ", "q=WS", "status=active&unknown=1&page_size=1&page=2"])
def test_odd_loan_filters_answer_as_the_orm_path(loans, settings, query):
    world, other = loans
    for user in loan_users(world, other):
        fast, orm = _both_raw(settings, lambda u=user: api_client(u), f"/api/v1/pledges/?{query}")
        assert fast == orm, (user.username, query)
        assert fast[0] != 500


# --- who sees what -------------------------------------------------------------------------------

def test_odd_users_see_the_loans_the_orm_path_shows(loans, settings):
    world, other = loans
    for user in _users_with_odd_roles(world, other):
        for path in ["/api/v1/pledges/", "/api/v1/pledges/?page_size=1&page=2",
                     *(f"/api/v1/pledges/{pk}/" for pk in PledgeLoan.objects.values_list("pk", flat=True))]:
            fast, orm = _both_raw(settings, lambda u=user: api_client(u), path)
            assert fast == orm, (user.username, path)


def test_odd_users_see_the_applications_the_orm_path_shows(cases, settings):
    world, _users = cases
    other = other_region()
    for user in _users_with_odd_roles(world, other):
        for query in ("", "?state=draft", "?page_size=1&page=2", f"?program={ProgramCode.APPLICATION_SUBSIDY}"):
            fast, orm = _both_raw(settings, lambda u=user: api_client(u), f"/api/v1/applications/{query}")
            assert fast == orm, (user.username, query)


def test_the_token_path_gives_what_the_session_path_gives_for_every_user(loans, settings):
    """The roles read with the token (api.authentication) are the roles ``user.roles`` reads."""
    world, other = loans
    users = [*loan_users(world, other), *_users_with_odd_roles(world, other)]
    for user in users:
        _token, key = ApiToken.issue(user)
        for path in ("/api/v1/pledges/", f"/api/v1/pledges/{PledgeLoan.objects.first().pk}/",
                     "/api/v1/applications/"):
            fast, orm = _both_raw(settings, lambda k=key: token_client(key=k), path)
            forced = _both_raw(settings, lambda u=user: api_client(u), path)
            assert fast == orm == forced[1], (user.username, path)


def test_an_inactive_users_token_is_refused_both_ways(world, settings):
    _token, key = ApiToken.issue(world.bank1_user)
    world.bank1_user.is_active = False
    world.bank1_user.save(update_fields=["is_active"])
    for path in ("/api/v1/pledges/", "/api/v1/applications/"):
        fast, orm = _both_raw(settings, lambda: token_client(key=key), path)
        assert fast == orm and fast[0] == 401


def test_a_huge_loan_id_is_a_404_both_ways(loans, settings):
    world, _other = loans
    for pk in ("99999999999999999999", "9223372036854775807", "9223372036854775808", "0"):
        fast, orm = _both_raw(settings, lambda: api_client(world.bank1_user), f"/api/v1/pledges/{pk}/")
        assert fast == orm and fast[0] == 404, pk


# --- shapes --------------------------------------------------------------------------------------

def test_a_loan_without_rights_or_collateral_reads_as_the_serializer(world, settings):
    make_pool(world)
    loan = register(world.bank1_user, collateral_total=None)
    PledgedRight.objects.filter(loan=loan).delete()
    zero = register(world.bank1_user)
    PledgeLoan.objects.filter(pk=zero.pk).update(risk_pool=None, collateral_total="0.00")  # as an old row may be
    for pk in (loan.pk, zero.pk):
        fast, orm = both(settings, world.bank1_user, f"/api/v1/pledges/{pk}/")
        assert fast == orm and fast[0] == 200
    fast, orm = both(settings, world.bank1_user, "/api/v1/pledges/")
    assert fast == orm and any(row["rights"] == [] for row in fast[1]["results"])


def test_english_labels_and_notes_are_the_orm_paths(cases, settings):
    world, _users = cases
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for path in ("/api/v1/applications/", "/api/v1/applications/?state=nope", "/api/v1/applications/?page=9"):
        fast, orm = _both_raw(settings, lambda: api_client(world.clerk), path, **headers)
        assert fast == orm, path
    for pk in PledgeLoan.objects.filter(bank=world.bank1).values_list("pk", flat=True):
        fast, orm = _both_raw(settings, lambda: api_client(world.bank1_user), f"/api/v1/pledges/{pk}/", **headers)
        assert fast == orm, pk
    fast, orm = _both_raw(settings, lambda: api_client(world.bank1_user), "/api/v1/pledges/99999/", **headers)
    assert fast == orm and fast[0] == 404


def test_created_at_is_formatted_in_the_current_time_zone_as_the_serializer(cases, settings):
    world, _users = cases
    Application.objects.update(created_at="2026-06-30T16:30:00.000001+00:00")  # 00:30 the next day in Shanghai
    for zone in ("Asia/Shanghai", "UTC", "America/St_Johns"):
        settings.TIME_ZONE = zone
        fast, orm = both(settings, world.clerk, "/api/v1/applications/")
        assert fast == orm, zone



@pytest.mark.parametrize("path", ["/api/v1/pledges/?format=api", "/api/v1/pledges/?format=api&page=last&page_size=1",
                                  "/api/v1/applications/?format=api", "/api/v1/applications/?format=api&page=2&page_size=1"])
def test_the_browsable_api_renders_the_readers_pages(cases, settings, path):
    world, _users = cases
    user = world.fincenter
    statuses = []
    for fast in (True, False):
        settings.IPFUND_SQL_READERS = fast
        statuses.append(api_client(user).get(path).status_code)
    assert statuses == [200, 200]
