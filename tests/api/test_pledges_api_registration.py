"""The bank API for pledge loans: registration (shapes, validation, conflicts) and who sees which loan."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledges.models import PledgedRight, PledgeLoan
from tests.clients import api_client
from tests.factories import PatentFactory, make_credit_code
from tests.pledges.helpers import IN_TERM, loan_body, register

pytestmark = pytest.mark.django_db
URL = "/api/v1/pledges/"


def test_registration_returns_the_normalized_loan(world):
    body = loan_body(borrower_credit_code=" 91500237ma5u52604e ", annual_rate="0.038500")
    body["rights"][0]["number"] = body["rights"][0]["number"].removeprefix("ZL").replace(".", "")
    response = api_client(world.bank1_user).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "active"
    assert data["bank"] == "ABC-WS"
    assert data["borrower_credit_code"] == "91500237MA5U52604E"
    assert data["principal"] == "3000000.00"
    assert data["outstanding_principal"] == "3000000.00"
    assert data["annual_rate"] == "0.0385"
    assert data["rights"][0]["number"].startswith("ZL") and "." in data["rights"][0]["number"]
    assert data["rights"][0]["valuation"] == "4500000.00"
    assert data["repayments"] == []


def test_unknown_borrower_is_registered_in_the_banks_region(world):
    code = make_credit_code()
    response = api_client(world.bank1_user).post(URL, loan_body(borrower_credit_code=code), format="json")
    assert response.status_code == 201
    loan = PledgeLoan.objects.get(pk=response.json()["id"])
    assert loan.borrower.credit_code == code and loan.borrower.region_id == world.bank1.region_id


def test_unknown_borrower_without_name_is_400_on_borrower_name(world):
    body = loan_body()
    del body["borrower_name"]
    response = api_client(world.bank1_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert "borrower_name" in response.json()
    assert not PledgeLoan.objects.exists()


def test_known_borrower_needs_no_name(world):
    body = loan_body(borrower_credit_code=world.enterprise1.credit_code)
    del body["borrower_name"]
    response = api_client(world.bank1_user).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["borrower_name"] == world.enterprise1.name


def test_patent_in_the_registry_is_linked(world):
    patent = PatentFactory(owner=world.enterprise1)
    body = loan_body(borrower_credit_code=world.enterprise1.credit_code,  # its owner borrows (right_owned_by_other)
                     rights=[{"kind": "patent", "number": patent.number, "valuation": "100.00"}])
    response = api_client(world.bank1_user).post(URL, body, format="json")
    assert response.status_code == 201
    assert PledgedRight.objects.get(number=patent.number).ip_asset_id == patent.pk


def test_registration_uses_a_fixed_number_of_queries_whatever_the_rights(world):
    serial = itertools.count(1)

    def count(n_rights):
        rights = [{"kind": "trademark", "number": str(7000000 + next(serial)), "valuation": "1.00"}
                  for _ in range(n_rights)]
        rights.append({"kind": "patent", "number": PatentFactory(owner=world.enterprise1).number, "valuation": "1.00"})
        body = loan_body(rights=rights, borrower_credit_code=world.enterprise1.credit_code)  # the patent's owner
        with CaptureQueriesContext(connection) as ctx:
            response = api_client(world.bank1_user).post(URL, body, format="json")
        assert response.status_code == 201
        return len(ctx)

    count(1)  # warm caches
    assert count(1) == count(8)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("borrower_credit_code", "91500237MA5U52604F"),
        ("borrower_credit_code", ""),
        ("annual_rate", "3.85"),
        ("annual_rate", "0"),
        ("annual_rate", "abc"),
        ("start_date", "2026-02-30"),
        ("start_date", "not a date"),
        ("maturity_date", "2000-01-01"),
        ("principal", "0"),
        ("principal", "-5.00"),
        ("principal", "100.001"),
        ("principal", "NaN"),
        ("pledge_registration_no", ""),
        ("pledge_registration_no", "12345"),
        ("pledge_registration_no", "X" * 41),
        ("rights", []),
        ("rights", [{"kind": "copyright", "number": "1", "valuation": "1.00"}]),
        ("rights", [{"kind": "patent", "number": "ZL201710601862.4", "valuation": "1.00"}]),
        ("rights", [{"kind": "trademark", "number": "12AB", "valuation": "1.00"}]),
        ("rights", [{"kind": "trademark", "number": "123", "valuation": "0"}]),
        ("rights", [{"kind": "trademark", "number": "123", "valuation": "1.00"},
                    {"kind": "trademark", "number": "123", "valuation": "2.00"}]),
        ("contract_no", ""),
    ],
)
def test_bad_field_is_400_keyed_by_field_and_stores_nothing(world, field, value):
    response = api_client(world.bank1_user).post(URL, loan_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not PledgeLoan.objects.exists()


def test_rate_given_as_percent_is_explained(world):
    response = api_client(world.bank1_user).post(URL, loan_body(annual_rate="3.85"), format="json")
    assert response.json()["annual_rate"] == ["年利率应为小数，例如 0.0385，而不是 3.85"]


def test_credit_code_error_is_the_identifier_message(world):
    response = api_client(world.bank1_user).post(URL, loan_body(borrower_credit_code="91500237MA5U52604F"), format="json")
    assert "校验码" in response.json()["borrower_credit_code"][0]


def test_newer_alphanumeric_registration_number_is_accepted(world):
    response = api_client(world.bank1_user).post(URL, loan_body(pledge_registration_no="Y2026500000123a"), format="json")
    assert response.status_code == 201
    assert response.json()["pledge_registration_no"] == "Y2026500000123A"


def test_body_that_is_not_an_object_is_400(world):
    response = api_client(world.bank1_user).post(URL, [1, 2], format="json")
    assert response.status_code == 400


def test_malformed_json_is_400(world):
    response = api_client(world.bank1_user).post(URL, "{bad", content_type="application/json")
    assert response.status_code == 400


def test_duplicate_contract_number_for_the_bank_is_409(world):
    register(world.bank1_user, contract_no="WS-1")
    response = api_client(world.bank1_user).post(URL, loan_body(contract_no="WS-1"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_contract"


def test_same_contract_number_at_another_bank_is_fine(world):
    register(world.bank1_user, contract_no="WS-1")
    response = api_client(world.bank2_user).post(URL, loan_body(contract_no="WS-1"), format="json")
    assert response.status_code == 201


def test_right_under_a_live_pledge_is_409_naming_it(world):
    first = register(world.bank1_user)
    number = first.rights.filter(kind="patent").get().number
    body = loan_body(rights=[{"kind": "patent", "number": number, "valuation": "1.00"}])
    response = api_client(world.bank2_user).post(URL, body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "right_already_pledged"
    assert number in response.json()["detail"]


def test_settled_loan_releases_its_rights_for_a_new_pledge(world):
    first = register(world.bank1_user)
    number = first.rights.filter(kind="patent").get().number
    assert api_client(world.bank1_user).post(f"{URL}{first.pk}/settle/", {}, format="json").status_code == 200
    body = loan_body(rights=[{"kind": "patent", "number": number, "valuation": "1.00"}])
    response = api_client(world.bank2_user).post(URL, body, format="json")
    assert response.status_code == 201


# --- visibility ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "repayments/", {"date": IN_TERM, "principal": "1.00", "interest": "1.00"}),
        ("post", "settle/", {}),
        ("post", "default/", {"date": IN_TERM, "outstanding_principal": "1.00"}),
        ("post", "recoveries/", {"date": IN_TERM, "amount": "1.00"}),
    ],
)
def test_another_banks_loan_is_404(world, method, suffix, body):
    loan = register(world.bank1_user)
    client = api_client(world.bank2_user)
    response = getattr(client, method)(f"{URL}{loan.pk}/{suffix}", body, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bank_lists_only_its_own_loans(world):
    mine = register(world.bank1_user)
    register(world.bank2_user)
    data = api_client(world.bank1_user).get(URL).json()
    assert [row["id"] for row in data["results"]] == [mine.pk]


def test_anonymous_is_401(world):
    assert api_client().get(URL).status_code == 401
    assert api_client().post(URL, loan_body(), format="json").status_code == 401


def test_non_bank_role_may_not_register(world):
    for user in (world.fincenter, world.applicant1, world.finance, world.clerk):
        assert api_client(user).post(URL, loan_body(), format="json").status_code == 403


def test_fin_center_reads_every_loan_of_its_region(world):
    register(world.bank1_user)
    register(world.bank2_user)
    assert api_client(world.fincenter).get(URL).json()["count"] == 2


def test_applicant_may_not_list_loans(world):
    assert api_client(world.applicant1).get(URL).status_code == 403


def test_list_filters(world):
    a = register(world.bank1_user, start_date="2024-05-01", maturity_date="2026-05-01")
    b = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code)
    api_client(world.bank1_user).post(f"{URL}{a.pk}/settle/", {}, format="json")
    client = api_client(world.bank1_user)
    assert [r["id"] for r in client.get(URL, {"status": "settled"}).json()["results"]] == [a.pk]
    code = world.enterprise1.credit_code.lower()
    assert [r["id"] for r in client.get(URL, {"borrower_credit_code": code}).json()["results"]] == [b.pk]
    assert [r["id"] for r in client.get(URL, {"start_date_before": "2024-12-31"}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get(URL, {"start_date_after": "2025-01-01"}).json()["results"]] == [b.pk]


def test_bad_list_filter_is_400(world):
    assert api_client(world.bank1_user).get(URL, {"start_date_after": "nope"}).status_code == 400
    assert api_client(world.bank1_user).get(URL, {"status": "weird"}).status_code == 400


def test_list_uses_a_fixed_number_of_queries(world):
    for _ in range(6):
        register(world.bank1_user)
    client = api_client(world.bank1_user)
    client.get(URL)  # warm caches (content types, roles)

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": size})
        assert len(response.json()["results"]) == size
        return len(ctx)

    assert count(2) == count(6)
