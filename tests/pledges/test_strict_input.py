"""Issue #10, item 5 (pledge part): money through ``core.money``, text through ``core.text``, dates in
1985-01-01…2100-12-31, terms of at most 30 years, no future repayments, defaults or recoveries."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Invalid
from pledges import services
from pledges.models import PledgeLoan, Repayment
from tests.clients import api_client
from tests.pledges.helpers import IN_TERM, compensated, defaulted, loan_body, pay_claim, register

pytestmark = pytest.mark.django_db
URL = "/api/v1/pledges/"
TODAY = timezone.localdate()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


def _post(user, url, body):
    """Raw JSON with ``\\uXXXX`` escapes, as a client would send a lone surrogate."""
    return api_client(user).post(url, data=json.dumps(body), content_type="application/json")


def _invalid(call) -> dict:
    with pytest.raises(Invalid) as exc:
        call()
    return exc.value.as_field_errors()


# --- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["principal", "annual_rate"])
def test_json_float_is_refused_at_registration(world, field):
    body = loan_body(**{field: 3000000.0 if field == "principal" else 0.0385})
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **body))
    assert field in errors and "浮点" in errors[field][0]
    assert not PledgeLoan.objects.exists()


def test_json_float_valuation_is_refused(world):
    body = loan_body(rights=[{"kind": "trademark", "number": "40000001", "valuation": 800000.0}])
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **body))
    assert "评估价值" in errors["rights"][0] and "浮点" in errors["rights"][0]


@pytest.mark.parametrize("field", ["principal", "interest"])
def test_json_float_repayment_is_refused(world, field):
    loan = register(world.bank1_user)
    data = {"date": IN_TERM, "principal": "1.00", "interest": "1.00"} | {field: 1.5}
    errors = _invalid(lambda: services.repayment_record(by=world.bank1_user, loan_id=loan.pk, **data))
    assert field in errors
    assert not Repayment.objects.exists()


def test_json_float_outstanding_at_default_is_refused(world):
    loan = register(world.bank1_user)
    errors = _invalid(lambda: services.loan_default(by=world.bank1_user, loan_id=loan.pk,
                                                    **{"date": IN_TERM, "outstanding_principal": 1000.0}))
    assert "outstanding_principal" in errors


def test_json_float_recovery_is_refused(world):
    loan = compensated(world)
    errors = _invalid(lambda: services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                                                       **{"date": TODAY.isoformat(), "amount": 100.0}))
    assert "amount" in errors


@pytest.mark.parametrize("value", ["2e5", "1_000.00", "１０００.00", "1,000.00"])
def test_money_written_other_than_plain_decimals_is_refused(world, value):
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **loan_body(principal=value)))
    assert "principal" in errors


def test_rate_with_more_than_six_places_keeps_its_message(world):
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **loan_body(annual_rate="0.0385001")))
    assert errors["annual_rate"] == ["年利率最多保留 6 位小数"]


# --- text ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("contract_no", "C\u0000NUL"),
    ("contract_no", "C\ud800X"),
    ("borrower_name", "某某\u0000公司"),
    ("pledge_registration_no", "2026500000\u0000123"),
    ("borrower_credit_code", "91500237MA5U5260\ud800"),
])
def test_forbidden_characters_in_text_are_400_naming_the_field(world, field, value):
    response = _post(world.bank1_user, URL, loan_body(**{field: value}))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not PledgeLoan.objects.exists()


def test_nul_in_a_right_number_is_400_on_rights(world):
    body = loan_body(rights=[{"kind": "trademark", "number": "4000\u00000001", "valuation": "1.00"}])
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **body))
    assert "rights" in errors and "U+0000" in errors["rights"][0]


def test_nul_in_a_cancel_reason_is_400_on_reason(world):
    loan = register(world.bank1_user)
    errors = _invalid(lambda: services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="录错\u0000"))
    assert "reason" in errors


# --- dates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["start_date", "maturity_date"])
def test_lone_surrogate_in_a_date_is_400_naming_the_field(world, field):
    response = _post(world.bank1_user, URL, loan_body(**{field: "\ud800"}))
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(("path", "body"), [
    ("repayments/", {"date": "\ud800", "principal": "1.00", "interest": "1.00"}),
    ("default/", {"date": "2026-0\udfff-01", "outstanding_principal": "1.00"}),
    ("settle/", {"date": "\ud800"}),
])
def test_lone_surrogate_in_a_loan_change_date_is_400_on_date(world, path, body):
    loan = register(world.bank1_user)
    response = _post(world.bank1_user, f"{URL}{loan.pk}/{path}", body)
    assert response.status_code == 400
    assert "date" in response.json()


@pytest.mark.parametrize(("start", "maturity", "field"), [
    ("0001-01-01", "2026-01-01", "start_date"),
    ("1984-12-31", "1990-01-01", "start_date"),
    ("2024-01-01", "9999-12-31", "maturity_date"),
    ("2024-01-01", "2101-01-01", "maturity_date"),
])
def test_dates_outside_1985_to_2100_are_400(world, start, maturity, field):
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user,
                                                     **loan_body(start_date=start, maturity_date=maturity)))
    assert field in errors and "1985-01-01" in errors[field][0]


def test_the_window_edges_are_accepted(world):
    loan = register(world.bank1_user, start_date="1985-01-01", maturity_date="2014-12-31")
    assert loan.start_date == dt.date(1985, 1, 1)


def test_a_term_over_30_years_is_400_on_maturity(world):
    errors = _invalid(lambda: services.loan_register(
        by=world.bank1_user, **loan_body(start_date="2000-02-29", maturity_date="2030-03-01")))
    assert "maturity_date" in errors and "2030-02-28" in errors["maturity_date"][0]
    assert register(world.bank1_user, start_date="2000-02-29", maturity_date="2030-02-28").pk


@pytest.mark.parametrize("value", ["2026-W01-1", "20260101", "２０２６-01-01", "2026-1-01"])
def test_only_plain_iso_dates_are_accepted(world, value):
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **loan_body(start_date=value)))
    assert "start_date" in errors


def test_a_repayment_in_the_future_is_400_on_date(world):
    loan = register(world.bank1_user)
    errors = _invalid(lambda: services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                                        **{"date": TOMORROW, "principal": "1.00", "interest": "0"}))
    assert "date" in errors
    assert not loan.repayments.exists()


def test_a_repayment_after_maturity_but_not_in_the_future_is_accepted(world):
    year = TODAY.year
    loan = register(world.bank1_user, start_date=f"{year - 3}-01-01", maturity_date=f"{year - 2}-01-01")
    repayment = services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                          **{"date": f"{year - 1}-06-01", "principal": "1.00", "interest": "0"})
    assert repayment.date.year == year - 1


def test_a_repayment_before_the_start_is_400(world):
    loan = register(world.bank1_user)
    before = (loan.start_date - dt.timedelta(days=1)).isoformat()
    errors = _invalid(lambda: services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                                        **{"date": before, "principal": "1.00", "interest": "0"}))
    assert "date" in errors


def test_a_default_in_the_future_is_400_on_date(world):
    loan = register(world.bank1_user)
    errors = _invalid(lambda: services.loan_default(by=world.bank1_user, loan_id=loan.pk,
                                                    **{"date": TOMORROW, "outstanding_principal": "1.00"}))
    assert "date" in errors


def test_a_settlement_in_the_future_or_before_the_last_repayment_is_400(world):
    loan = register(world.bank1_user)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "1.00", "interest": "0"})
    for day in (TOMORROW, (dt.date.fromisoformat(IN_TERM) - dt.timedelta(days=1)).isoformat()):
        errors = _invalid(lambda day=day: services.loan_settle(by=world.bank1_user, loan_id=loan.pk,
                                                               **{"date": day}))
        assert "date" in errors


def test_a_recovery_in_the_future_or_before_the_default_is_400(world):
    loan = register(world.bank1_user)
    pay_claim(world, defaulted(world, loan, on=IN_TERM))
    for day in (TOMORROW, (dt.date.fromisoformat(IN_TERM) - dt.timedelta(days=1)).isoformat()):
        errors = _invalid(lambda day=day: services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                                                                   **{"date": day, "amount": "1.00"}))
        assert "date" in errors
    assert not loan.recoveries.exists()
    assert services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                                    **{"date": IN_TERM, "amount": "1.00"}).pool_share == Decimal("0.40")


@pytest.mark.parametrize(("field", "value"), [
    ("contract_no", "C\u0000NUL"), ("contract_no", "C\ud800"), ("start_date", "\ud800"),
    ("maturity_date", "2027-02-2\udfff"), ("pledge_registration_no", "\ud800"),
])
def test_the_service_itself_refuses_forbidden_characters(world, field, value):
    errors = _invalid(lambda: services.loan_register(by=world.bank1_user, **loan_body(**{field: value})))
    assert field in errors
    json.dumps(errors, ensure_ascii=False).encode()  # the message itself is printable (no surrogate echoed)
