"""Concurrent writers on PostgreSQL queue on the chain heads: one valid chain, no duplicate seq, no deadlock."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from funding import counts
from funding import services as funding_services
from funding.models import Application, TransitionLog
from funding.verify import ledger_violations
from pledges import services as pledge_services
from pledges.models import LoanEvent
from tests import factories
from tests.audit.helpers import findings
from tests.funding.helpers import no_publicity
from tests.pledges.helpers import loan_body, register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls):
    """Run each ``fn(*args)`` in its own thread and connection, released together; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, fn, args):
        try:
            close_old_connections()
            barrier.wait()
            results[i] = fn(*args)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn, args)) for i, (fn, args) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _approve(app_id, user):
    return funding_services.application_transition(application_id=app_id, name="approve", by=user).state


def _register(user):
    return pledge_services.loan_register(by=user, **loan_body()).pk


def test_concurrent_approvals_and_loan_registrations_leave_gapless_chains(role_groups):
    world = factories.build_world()
    no_publicity(world)
    apps = Application.objects.bulk_create([
        Application(program=world.programs["application_subsidy"], applicant=world.enterprise1,
                    fiscal_year=world.year, title=f"并发审批 {i}", requested_amount=Decimal("1000.00"),
                    state="publicity", publicity_started_on=timezone.localdate())
        for i in range(16)
    ])
    counts.rebuild()  # the bulk insert bypassed Application.save, as a bulk loader's does
    banks = [world.bank1_user, world.bank2_user]
    calls = [(_approve, (a.pk, world.finance)) for a in apps] + [(_register, (banks[i % 2],)) for i in range(8)]
    results = run_together(calls)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(TransitionLog.objects.values_list("seq", flat=True)) == list(range(1, 17))
    for bank in (world.bank1, world.bank2):  # one stream per bank, each gapless
        assert sorted(LoanEvent.objects.filter(stream=f"bank:{bank.pk}").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert findings() == [] and ledger_violations() == []


def _default(user, loan_id):
    return pledge_services.loan_default(by=user, loan_id=loan_id,
                                        **{"date": str(timezone.localdate()), "outstanding_principal": "100000.00"})


def _disburse(user, app_id, voucher):
    app = Application.objects.get(pk=app_id)
    return funding_services.application_transition(application_id=app_id, name="disburse", by=user,
                                                   data={"amount": str(app.approved_amount), "voucher_no": voucher})


def test_defaults_racing_compensation_payments_take_the_heads_in_one_order(role_groups):
    """A default writes a transition (claim submitted) and a loan event; a full compensation payment writes a
    transition and then (loan compensated) a loan event. Both take the heads in the same order: no deadlock."""
    world = factories.build_world()
    claims = []
    for _i in range(5):
        loan = register(world.bank1_user)
        _default(world.bank1_user, loan.pk)
        app = Application.objects.get(risk_claim__loan=loan)
        funding_services.application_transition(application_id=app.pk, name="accept", by=world.fincenter)
        funding_services.application_transition(application_id=app.pk, name="approve", by=world.finance)
        claims.append(app.pk)
    fresh = [register(world.bank2_user).pk for _i in range(5)]
    calls = [(_disburse, (world.finance, app_id, f"PZ-{i}")) for i, app_id in enumerate(claims)]
    calls += [(_default, (world.bank2_user, loan_id)) for loan_id in fresh]
    results = run_together(calls)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert findings() == [] and ledger_violations() == []
    assert LoanEvent.objects.filter(kind="compensated").count() == 5
