"""Issue #10, item 9 (pledge part): in the Django admin, loans, rights, repayments, recoveries, loan events
and claims are read-only, cannot be added and cannot be deleted — superusers included."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledges import services
from pledges.models import (
    InterestSubsidyClaim,
    LoanEvent,
    PledgedRight,
    PledgeLoan,
    Recovery,
    Repayment,
    RiskCompensationClaim,
)
from tests.pledges.helpers import IN_TERM, compensated, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    """One row of every pledge model (a repaid, compensated loan with a recovery)."""
    loan = compensated(world)
    services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                             **{"date": timezone.localdate().isoformat(), "amount": "1000.00"})
    repaid = register(world.bank1_user)
    services.repayment_record(by=world.bank1_user, loan_id=repaid.pk,
                              **{"date": IN_TERM, "principal": "1000.00", "interest": "100.00"})
    return {
        PledgeLoan: loan, PledgedRight: loan.rights.first(), Repayment: repaid.repayments.get(),
        Recovery: loan.recoveries.get(), LoanEvent: loan.events.first(), RiskCompensationClaim: loan.risk_claim,
    }


def _url(model, action, *args):
    return reverse(f"admin:pledges_{model._meta.model_name}_{action}", args=args)


def test_a_post_changing_a_repayments_interest_changes_nothing(admin_client, rows):
    repayment = rows[Repayment]
    response = admin_client.post(_url(Repayment, "change", repayment.pk), {
        "loan": repayment.loan_id, "date": IN_TERM, "principal": "1000.00", "interest": "99999.00"})
    assert response.status_code == 403
    repayment.refresh_from_db()
    assert repayment.interest == Decimal("100.00")


def test_a_post_changing_a_loans_amounts_and_state_changes_nothing(admin_client, rows):
    loan = rows[PledgeLoan]
    response = admin_client.post(_url(PledgeLoan, "change", loan.pk), {
        "contract_no": loan.contract_no, "pledge_registration_no": loan.pledge_registration_no,
        "principal": "1.00", "outstanding_principal": "0.00", "status": "active"})
    assert response.status_code == 403
    loan.refresh_from_db()
    assert loan.principal == Decimal("3000000.00") and loan.status == "compensated"


def test_a_post_changing_a_recoverys_pool_share_changes_nothing(admin_client, rows):
    recovery = rows[Recovery]
    admin_client.post(_url(Recovery, "change", recovery.pk), {"pool_share": "0.00", "amount": "1000.00"})
    recovery.refresh_from_db()
    assert recovery.pool_share == Decimal("400.00")


@pytest.mark.parametrize("model", [PledgeLoan, PledgedRight, Repayment, Recovery, LoanEvent, RiskCompensationClaim])
def test_delete_is_403(admin_client, rows, model):
    row = rows[model]
    assert admin_client.get(_url(model, "delete", row.pk)).status_code == 403
    assert admin_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", [PledgeLoan, PledgedRight, Repayment, Recovery, LoanEvent, RiskCompensationClaim,
                                   InterestSubsidyClaim])
def test_add_is_403(admin_client, world, model):
    assert admin_client.get(_url(model, "add")).status_code == 403


def test_the_changelist_has_no_delete_action(admin_client, rows):
    response = admin_client.post(_url(Repayment, "changelist"), {
        "action": "delete_selected", "_selected_action": [rows[Repayment].pk], "post": "yes"})
    assert Repayment.objects.filter(pk=rows[Repayment].pk).exists()
    assert response.status_code in (200, 302, 403)


def test_rows_can_still_be_looked_at(admin_client, rows):
    for model, row in rows.items():
        assert admin_client.get(_url(model, "change", row.pk)).status_code == 200, model
        assert admin_client.get(_url(model, "changelist")).status_code == 200, model
