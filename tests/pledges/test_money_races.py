"""Races on a loan's money, with real threads on PostgreSQL: repayments, defaults and recoveries
serialize on the loan row (locked before the budget and the chain heads), so the bounds hold and the
audit chains stay gapless."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from core.errors import DomainError
from funding import ledger
from funding import services as funding
from funding.models import Application
from funding.workflow import ProgramCode
from pledges import services
from pledges.models import LoanStatus, PledgeLoan, Recovery, Repayment
from tests.audit.helpers import run_verify_audit
from tests.factories import build_world, ensure_role_groups
from tests.pledges.helpers import IN_TERM, claim_of, compensated, defaulted, register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 8
TODAY = timezone.localdate().isoformat()


@pytest.fixture(autouse=True)
def role_groups():
    ensure_role_groups()  # a transaction=True test flushes the tables, the data migration's groups included


def _race(fns):
    """Run each callable in its own thread, all released at once; returns "ok" / the error code / the exception."""
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait()
            fn()
            return "ok"
        except DomainError as exc:
            return exc.code
        except Exception as exc:  # a deadlock or a 500 is what the test looks for
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return list(pool.map(run, fns))


def _only_domain_outcomes(outcomes):
    assert all(isinstance(o, str) for o in outcomes), outcomes


def test_concurrent_repayments_never_take_the_outstanding_below_zero_and_chain_gaplessly():
    world = build_world()
    loan = register(world.bank1_user)

    def repay():
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": IN_TERM, "principal": "1000000.00", "interest": "10.00"})

    outcomes = _race([repay] * N)
    _only_domain_outcomes(outcomes)
    assert outcomes.count("ok") == 3 and outcomes.count("invalid") == N - 3
    assert PledgeLoan.objects.get(pk=loan.pk).outstanding_principal == Decimal("0.00")
    assert sorted(Repayment.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert run_verify_audit()[0] == 0


def test_default_racing_repayments_never_exceeds_the_outstanding_after_them():
    world = build_world()
    loan = register(world.bank1_user)

    def repay():
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": IN_TERM, "principal": "300000.00", "interest": "0"})

    def default():
        services.loan_default(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": TODAY, "outstanding_principal": "2100000.00"})

    outcomes = _race([default, default] + [repay] * (N - 2))
    _only_domain_outcomes(outcomes)
    loan = PledgeLoan.objects.get(pk=loan.pk)
    repaid = loan.repayments.aggregate(total=Sum("principal"))["total"] or Decimal("0")
    assert outcomes[:2].count("ok") <= 1
    if loan.status == LoanStatus.DEFAULTED:
        assert loan.outstanding_at_default <= loan.principal - repaid
        assert Application.objects.filter(risk_claim__loan=loan).count() == 1
    assert run_verify_audit()[0] == 0


def test_concurrent_defaults_of_one_loan_open_one_claim():
    world = build_world()
    loan = register(world.bank1_user)

    def default():
        services.loan_default(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": TODAY, "outstanding_principal": "2000000.00"})

    outcomes = _race([default] * N)
    assert outcomes.count("ok") == 1 and outcomes.count("invalid_state") == N - 1, outcomes
    assert Application.objects.filter(risk_claim__loan=loan).count() == 1


def test_concurrent_recoveries_never_return_more_than_the_pool_paid():
    world = build_world()
    loan = compensated(world, "5600000.00", principal="9000000.00")  # the pool paid 1,000,000 (cap)
    paid = ledger.application_balances(claim_of(loan).pk)["paid"]

    def recover():
        services.recovery_record(by=world.bank1_user, loan_id=loan.pk, **{"date": TODAY, "amount": "1866666.66"})

    outcomes = _race([recover] * N)
    _only_domain_outcomes(outcomes)
    assert outcomes.count("ok") == 3  # a fourth would pass the outstanding at default
    returned = Recovery.objects.aggregate(total=Sum("pool_share"))["total"]
    assert returned <= paid
    assert ledger.budget_figures(world.budgets[ProgramCode.RISK_COMPENSATION]).recovered == returned
    assert sorted(Recovery.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert run_verify_audit()[0] == 0


def test_paying_a_claim_while_the_bank_settles_recovers_and_the_centre_cancels_never_deadlocks():
    world = build_world()
    loan = register(world.bank1_user)
    app = defaulted(world, loan)
    funding.application_transition(application_id=app.pk, name="accept", by=world.fincenter)
    app = funding.application_transition(application_id=app.pk, name="approve", by=world.finance)

    def pay():
        funding.application_transition(application_id=app.pk, name="disburse", by=world.finance,
                                       data={"amount": str(app.approved_amount), "voucher_no": "V-RACE-1"})

    def settle():
        services.loan_settle(by=world.bank1_user, loan_id=loan.pk)

    def cancel():
        services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="并发")

    def recover():
        services.recovery_record(by=world.bank1_user, loan_id=loan.pk, **{"date": TODAY, "amount": "1000.00"})

    outcomes = _race([pay, settle, settle, cancel, cancel, recover, recover, recover])
    _only_domain_outcomes(outcomes)
    assert outcomes[0] == "ok"
    # Before the payment commits the claim is in progress (409 claim_pending); after it, compensated.
    assert set(outcomes[1:5]) <= {"claim_pending", "invalid_state"}
    assert set(outcomes[5:]) <= {"ok", "invalid_state"}
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.COMPENSATED
    returned = Recovery.objects.aggregate(total=Sum("pool_share"))["total"] or Decimal("0.00")
    assert returned == Decimal("400.00") * outcomes[5:].count("ok")
    assert run_verify_audit()[0] == 0
