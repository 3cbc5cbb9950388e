"""Interest subsidy and risk compensation through the funding workflow, end to end, with the ledger."""

from decimal import Decimal

import pytest
from django.utils import timezone

from applicants.errors import Conflict, Invalid
from funding import ledger
from funding import services as funding
from funding.models import Application
from funding.workflow import ProgramCode, State
from pledges import services
from pledges.models import LoanStatus, PledgedRight, PledgeLoan
from tests.clients import api_client
from tests.pledges.helpers import IN_TERM, register

pytestmark = pytest.mark.django_db
LAST_YEAR = timezone.localdate().year - 1


def _loan_with_interest(world, enterprise, *interests, bank_user=None):
    loan = register(bank_user or world.bank1_user, borrower_credit_code=enterprise.credit_code)
    for month, interest in enumerate(interests, start=4):
        services.repayment_record(by=bank_user or world.bank1_user, loan_id=loan.pk,
                                  **{"date": f"{LAST_YEAR}-{month:02d}-01", "principal": "0",
                                        "interest": interest})
    return loan


def _subsidy_application(world, loans, *, user=None, year=LAST_YEAR):
    return funding.application_create(
        by=user or world.applicant1, program_code=ProgramCode.INTEREST_SUBSIDY, title="2025 年质押贷款贴息",
        details={"loans": [loan.pk for loan in loans], "year": year},
    )


def _step(app, name, user, **data):
    return funding.application_transition(application_id=app.pk, name=name, by=user, data=data or None)


# --- interest subsidy -----------------------------------------------------------------------

def test_interest_subsidy_is_the_ratio_of_interest_paid_in_the_year(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00", "5000.01")
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "0", "interest": "999.00"})  # the year after
    app = _subsidy_application(world, [loan])
    assert app.requested_amount == Decimal("7500.01")  # 0.5 × 15000.01 = 7500.005 → HALF_UP


def test_interest_subsidy_end_to_end_pays_from_the_budget(world):
    program = world.programs[ProgramCode.INTEREST_SUBSIDY]
    program.publicity_days = 0
    program.save()
    loan = _loan_with_interest(world, world.enterprise1, "12000.00")
    app = _subsidy_application(world, [loan])
    _step(app, "submit", world.applicant1)
    _step(app, "accept", world.fincenter)
    _step(app, "publish", world.fincenter)
    _step(app, "approve", world.finance)
    app = _step(app, "disburse", world.finance, amount="6000.00", voucher_no="V-IS-1")
    assert app.state == State.DISBURSED
    figures = ledger.budget_figures(world.budgets[ProgramCode.INTEREST_SUBSIDY])
    assert figures.disbursed == Decimal("6000.00")
    assert figures.committed == Decimal("0.00")
    assert figures.available == Decimal("2000000.00") - Decimal("6000.00")
    assert figures.allocated == figures.available + figures.committed + figures.disbursed


def test_interest_subsidy_refuses_another_enterprises_loan_naming_it(world):
    loan = _loan_with_interest(world, world.enterprise2, "1000.00")
    with pytest.raises(Invalid) as exc:
        _subsidy_application(world, [loan])
    assert exc.value.as_field_errors().keys() == {"loans"}
    assert str(loan.pk) in exc.value.message


def test_interest_subsidy_refuses_a_loan_without_interest_in_the_year(world):
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code)
    with pytest.raises(Invalid) as exc:
        _subsidy_application(world, [loan])
    assert exc.value.field == "loans"


@pytest.mark.parametrize("year", [None, "abc", 1999, 3000])
def test_interest_subsidy_needs_a_sensible_year(world, year):
    loan = _loan_with_interest(world, world.enterprise1, "1000.00")
    with pytest.raises(Invalid) as exc:
        _subsidy_application(world, [loan], year=year)
    assert exc.value.field == "year"


def test_a_loan_year_is_subsidised_once(world):
    loan = _loan_with_interest(world, world.enterprise1, "1000.00")
    _subsidy_application(world, [loan])
    with pytest.raises(Conflict) as exc:
        _subsidy_application(world, [loan])
    assert exc.value.code == "interest_already_claimed"
    assert Application.objects.filter(program__code=ProgramCode.INTEREST_SUBSIDY).count() == 1


def test_withdrawn_subsidy_frees_the_loan_year(world):
    loan = _loan_with_interest(world, world.enterprise1, "1000.00")
    app = _subsidy_application(world, [loan])
    _step(app, "withdraw", world.applicant1)
    assert _subsidy_application(world, [loan]).requested_amount == Decimal("500.00")


def test_interest_subsidy_is_capped_per_enterprise_and_year(world):
    program = world.programs[ProgramCode.INTEREST_SUBSIDY]
    program.cap_per_applicant_year = Decimal("3000.00")
    program.save()
    first = _loan_with_interest(world, world.enterprise1, "4000.00")
    second = _loan_with_interest(world, world.enterprise1, "4000.00")
    claim = _subsidy_application(world, [first])
    assert claim.requested_amount == Decimal("2000.00")
    _step(claim, "submit", world.applicant1)  # a submitted claim is held against the cap; a draft is not
    claim = _subsidy_application(world, [second])
    assert claim.requested_amount == Decimal("1000.00")
    _step(claim, "submit", world.applicant1)
    third = _loan_with_interest(world, world.enterprise1, "4000.00")
    with pytest.raises(Conflict) as err:
        _subsidy_application(world, [third])
    assert err.value.code == "above_yearly_cap"


# --- risk compensation ---------------------------------------------------------------------

def _default(world, loan, outstanding="2000000.00"):
    response = api_client(world.bank1_user).post(
        f"/api/v1/pledges/{loan.pk}/default/", {"date": IN_TERM, "outstanding_principal": outstanding},
        format="json")
    assert response.status_code == 200, response.json()
    return Application.objects.get(risk_claim__loan=loan)


def test_default_opens_a_submitted_claim_for_the_bank(world):
    loan = register(world.bank1_user)
    app = _default(world, loan)
    assert app.state == State.SUBMITTED
    assert app.claimant_bank_id == world.bank1.pk
    assert app.applicant_id == loan.borrower_id
    assert app.requested_amount == Decimal("800000.00")
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.DEFAULTED


def test_claim_is_capped_per_loan(world):
    loan = register(world.bank1_user, principal="9000000.00")
    assert _default(world, loan, "9000000.00").requested_amount == Decimal("1000000.00")


def test_default_beyond_principal_is_400_and_changes_nothing(world):
    loan = register(world.bank1_user)
    response = api_client(world.bank1_user).post(
        f"/api/v1/pledges/{loan.pk}/default/", {"date": IN_TERM, "outstanding_principal": "3000000.01"},
        format="json")
    assert response.status_code == 400 and "outstanding_principal" in response.json()
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.ACTIVE
    assert not Application.objects.exists()


def test_risk_compensation_end_to_end_then_recovery_refills_the_pool(world):
    loan = register(world.bank1_user)
    app = _default(world, loan)
    _step(app, "accept", world.fincenter)
    app = _step(app, "approve", world.finance)
    assert app.approved_amount == Decimal("800000.00")
    app = _step(app, "disburse", world.finance, amount="800000.00", voucher_no="V-RC-1")
    assert app.state == State.DISBURSED
    loan = PledgeLoan.objects.get(pk=loan.pk)
    assert loan.status == LoanStatus.COMPENSATED
    assert not PledgedRight.objects.filter(loan=loan, live=True).exists()

    budget = world.budgets[ProgramCode.RISK_COMPENSATION]
    before = ledger.budget_figures(budget)
    response = api_client(world.bank1_user).post(f"/api/v1/pledges/{loan.pk}/recoveries/",
                                                 {"date": str(timezone.localdate()), "amount": "100000.01"},
                                                 format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["pool_share"] == "40000.00"  # 0.4 × 100000.01 = 40000.004 → 40000.00
    after = ledger.budget_figures(budget)
    assert after.available - before.available == Decimal("40000.00")
    assert after.recovered == Decimal("40000.00")
    assert after.allocated == after.available + after.committed + after.disbursed


def test_partial_payment_leaves_the_loan_defaulted(world):
    loan = register(world.bank1_user)
    app = _default(world, loan)
    _step(app, "accept", world.fincenter)
    _step(app, "approve", world.finance)
    _step(app, "disburse", world.finance, amount="100.00", voucher_no="V-RC-2")
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.DEFAULTED


def test_recoveries_cannot_exceed_the_outstanding_at_default(world):
    loan = register(world.bank1_user)
    app = _default(world, loan, "1000.00")
    _step(app, "accept", world.fincenter)
    _step(app, "approve", world.finance)
    _step(app, "disburse", world.finance, amount="400.00", voucher_no="V-RC-3")
    response = api_client(world.bank1_user).post(f"/api/v1/pledges/{loan.pk}/recoveries/",
                                                 {"date": str(timezone.localdate()), "amount": "1000.01"},
                                                 format="json")
    assert response.status_code == 400 and "amount" in response.json()


def test_defaulting_twice_is_409(world):
    loan = register(world.bank1_user)
    _default(world, loan)
    response = api_client(world.bank1_user).post(
        f"/api/v1/pledges/{loan.pk}/default/", {"date": IN_TERM, "outstanding_principal": "1.00"}, format="json")
    assert response.status_code == 409


def test_an_interest_subsidy_draft_patched_above_the_rule_is_refused(world):
    """Issue #10: PATCHing a claim's request past the rule once went through; every edit re-runs the rule."""
    app = _subsidy_application(world, [_loan_with_interest(world, world.enterprise1, "4000.00")])
    assert app.requested_amount == Decimal("2000.00")
    with pytest.raises(Invalid) as err:
        funding.application_update_draft(application_id=app.pk, by=world.applicant1,
                                         requested_amount=Decimal("900000.00"))
    assert err.value.field == "requested_amount"
    app.refresh_from_db()
    assert app.requested_amount == Decimal("2000.00")
