"""Loan services beyond the API: events, cancellation, roles."""

import pytest

from applicants.errors import Conflict, Invalid, NotAllowed, NotFound
from pledges import registration, services
from pledges.models import LoanEvent, LoanStatus, PledgedRight, PledgeLoan
from tests.factories import BankFactory, RegionFactory, user_with_role
from tests.pledges.helpers import IN_TERM, loan_body, register

pytestmark = pytest.mark.django_db


def test_every_change_records_an_event(world):
    loan = register(world.bank1_user)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "1.00", "interest": "1.00"})
    services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
    events = list(LoanEvent.objects.filter(loan=loan).values_list("kind", "from_status", "to_status", "by"))
    assert events == [("registered", "", "", world.bank1_user.pk), ("repayment", "", "", world.bank1_user.pk),
                      ("settled", "active", "settled", world.bank1_user.pk)]


def test_fin_center_cancels_a_registration_made_in_error_and_frees_its_rights(world):
    loan = register(world.bank1_user)
    loan = services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="合同编号录错")
    assert loan.status == LoanStatus.CANCELLED
    assert not PledgedRight.objects.filter(loan=loan, live=True).exists()
    assert LoanEvent.objects.filter(loan=loan, kind="cancelled", detail__reason="合同编号录错").exists()


def test_cancel_needs_a_reason(world):
    loan = register(world.bank1_user)
    with pytest.raises(Invalid):
        services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason=" ")


def test_bank_may_not_cancel(world):
    loan = register(world.bank1_user)
    with pytest.raises(NotAllowed):
        services.loan_cancel(by=world.bank1_user, loan_id=loan.pk, reason="x")


def test_cancelling_a_settled_loan_is_a_conflict(world):
    loan = register(world.bank1_user)
    services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
    with pytest.raises(Conflict):
        services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="x")


def test_fin_center_of_another_region_does_not_see_the_loan(world):
    other = RegionFactory(code="500238", name="巫溪县")
    fincenter = user_with_role("fin_center", region=other, username="fc-other")
    loan = register(world.bank1_user)
    with pytest.raises(NotFound):
        services.loan_cancel(by=fincenter, loan_id=loan.pk, reason="x")


def test_bank_user_without_bank_may_not_register(world):
    user = user_with_role("bank", bank=None, username="nobank")
    with pytest.raises(NotAllowed):
        services.loan_register(by=user, **loan_body())


def test_new_borrower_gets_the_banks_region(world):
    other = RegionFactory(code="500238", name="巫溪县")
    bank = BankFactory(region=other, code="X-WX")
    user = user_with_role("bank", bank=bank, region=other, username="bank-wx")
    loan = register(user)
    assert loan.borrower.region_id == other.pk


def test_a_right_pledged_between_the_check_and_the_insert_is_a_409_naming_it(world, monkeypatch):
    """Another registration pledged the right after this one's check (the partial unique index then
    refuses the insert): the 409 names the right, asked after the rollback, and no loan is left."""
    first = loan_body()
    services.loan_register(by=world.bank1_user, **first)
    real, calls = registration._live_pledges_of, []

    def blind_first_time(rights):
        calls.append(rights)
        return [] if len(calls) == 1 else real(rights)

    monkeypatch.setattr(registration, "_live_pledges_of", blind_first_time)
    second = loan_body(borrower_credit_code=first["borrower_credit_code"], rights=first["rights"][:1])
    with pytest.raises(Conflict) as refused:
        services.loan_register(by=world.bank1_user, **second)
    assert refused.value.code == "right_already_pledged" and len(calls) == 2
    assert first["rights"][0]["number"] in str(refused.value)
    assert not PledgeLoan.objects.filter(contract_no=second["contract_no"]).exists()
