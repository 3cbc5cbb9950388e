"""The bank API for pledge loans after registration: repayments, settlement, idempotency, and the
interest subsidy claimed over the applications API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pledges import services
from pledges.idempotency import purge_expired
from pledges.models import IdempotencyRecord, LoanStatus, PledgeLoan
from tests.clients import api_client
from tests.pledges.helpers import IN_TERM, THIS_YEAR, loan_body, register

pytestmark = pytest.mark.django_db
URL = "/api/v1/pledges/"


# --- repayments, settlement ------------------------------------------------------------------

def test_repayment_lowers_outstanding(world):
    loan = register(world.bank1_user)
    client = api_client(world.bank1_user)
    response = client.post(f"{URL}{loan.pk}/repayments/",
                           {"date": f"{loan.start_date.year}-06-01", "principal": "1000000.00", "interest": "9625.00"},
                           format="json")
    assert response.status_code == 201
    assert response.json() == {"date": f"{loan.start_date.year}-06-01", "principal": "1000000.00",
                               "interest": "9625.00"}
    detail = client.get(f"{URL}{loan.pk}/").json()
    assert detail["outstanding_principal"] == "2000000.00"
    assert detail["repayments"][0]["interest"] == "9625.00"


def test_repayment_beyond_outstanding_is_400_on_principal(world):
    loan = register(world.bank1_user)
    response = api_client(world.bank1_user).post(
        f"{URL}{loan.pk}/repayments/", {"date": IN_TERM, "principal": "3000000.01", "interest": "0"},
        format="json")
    assert response.status_code == 400
    assert "principal" in response.json()
    assert PledgeLoan.objects.get(pk=loan.pk).outstanding_principal == Decimal("3000000.00")


@pytest.mark.parametrize("body", [{"date": "x", "principal": "1", "interest": "1"},
                                  {"date": IN_TERM, "principal": "-1", "interest": "1"},
                                  {"date": IN_TERM, "principal": "0", "interest": "0"},
                                  {"date": IN_TERM, "principal": "1"}])
def test_bad_repayment_is_400(world, body):
    loan = register(world.bank1_user)
    response = api_client(world.bank1_user).post(f"{URL}{loan.pk}/repayments/", body, format="json")
    assert response.status_code == 400
    assert not loan.repayments.exists()


def test_repayment_on_settled_loan_is_409(world):
    loan = register(world.bank1_user)
    client = api_client(world.bank1_user)
    client.post(f"{URL}{loan.pk}/settle/", {}, format="json")
    response = client.post(f"{URL}{loan.pk}/repayments/",
                           {"date": IN_TERM, "principal": "1.00", "interest": "1.00"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_settling_twice_is_409(world):
    loan = register(world.bank1_user)
    client = api_client(world.bank1_user)
    assert client.post(f"{URL}{loan.pk}/settle/", {}, format="json").json()["status"] == LoanStatus.SETTLED
    assert client.post(f"{URL}{loan.pk}/settle/", {}, format="json").status_code == 409


def test_recovery_before_compensation_is_409(world):
    loan = register(world.bank1_user)
    response = api_client(world.bank1_user).post(f"{URL}{loan.pk}/recoveries/",
                                                 {"date": IN_TERM, "amount": "1.00"}, format="json")
    assert response.status_code == 409


# --- idempotency -------------------------------------------------------------------------------

def test_same_key_and_body_replays_the_original_response(world):
    client = api_client(world.bank1_user)
    body = loan_body()
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert PledgeLoan.objects.count() == 1


def test_same_key_with_another_body_is_409(world):
    client = api_client(world.bank1_user)
    client.post(URL, loan_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = client.post(URL, loan_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert PledgeLoan.objects.count() == 1


def test_keys_are_scoped_per_bank(world):
    body = loan_body()
    assert api_client(world.bank1_user).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    body2 = loan_body()
    assert api_client(world.bank2_user).post(URL, body2, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_a_refused_request_is_replayed_too(world):
    client = api_client(world.bank1_user)
    body = loan_body(annual_rate="3.85")
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()


def test_repayment_retry_with_the_key_is_recorded_once(world):
    loan = register(world.bank1_user)
    client = api_client(world.bank1_user)
    body = {"date": IN_TERM, "principal": "100.00", "interest": "5.00"}
    for _ in range(3):
        assert client.post(f"{URL}{loan.pk}/repayments/", body, format="json",
                           HTTP_IDEMPOTENCY_KEY="r-1").status_code == 201
    assert loan.repayments.count() == 1


def test_expired_keys_are_purged(world):
    api_client(world.bank1_user).post(URL, loan_body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=49))
    assert purge_expired(force=True) == 1


def test_schema_documents_the_error_responses(world):
    response = api_client(world.admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    post = response.json()["paths"]["/api/v1/pledges/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(post["responses"])


# --- interest subsidy over the applications API ------------------------------------------------

def _loan_with_interest(world, enterprise, interest="8000.00"):
    loan = register(world.bank1_user, borrower_credit_code=enterprise.credit_code)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{THIS_YEAR - 1}-06-01", "principal": "0", "interest": interest})
    return loan


def _apply(user, loans, year=THIS_YEAR - 1):
    return api_client(user).post("/api/v1/applications/", {
        "program": "interest_subsidy", "title": "质押贷款贴息", "loans": loans, "year": year,
    }, format="json")


def test_enterprise_applies_for_interest_subsidy_over_the_api(world):
    loan = _loan_with_interest(world, world.enterprise1)
    response = _apply(world.applicant1, [loan.pk])
    assert response.status_code == 201, response.json()
    assert response.json()["requested_amount"] == "4000.00"


def test_interest_subsidy_for_another_enterprises_loan_is_400_on_loans(world):
    loan = _loan_with_interest(world, world.enterprise2)
    response = _apply(world.applicant1, [loan.pk])
    assert response.status_code == 400
    assert str(loan.pk) in response.json()["loans"][0]


def test_interest_subsidy_twice_for_a_loan_year_is_409(world):
    loan = _loan_with_interest(world, world.enterprise1)
    assert _apply(world.applicant1, [loan.pk]).status_code == 201
    response = _apply(world.applicant1, [loan.pk])
    assert response.status_code == 409
    assert response.json()["code"] == "interest_already_claimed"


@pytest.mark.parametrize("loans", [[], "1", [True], ["x"], None])
def test_interest_subsidy_with_bad_loans_is_400(world, loans):
    response = _apply(world.applicant1, loans)
    assert response.status_code == 400
    assert "loans" in response.json()
