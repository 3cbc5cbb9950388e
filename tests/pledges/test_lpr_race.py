"""A loan registered while the admin adds its LPR month (``pledges.lpr_lock``): the registration
either reads the new month or the save chains it on the loan — never a loan that recorded the month
missing while the table holds it (which verify_audit reports as an SQL insert). Found by a review:
before the month locks, this race made a legitimate save look like tampering."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from core import audit_chain
from pledges import registration
from pledges.lpr import lpr_save
from pledges.models import LoanEvent, LoanPrimeRate, PledgeLoan
from tests import factories
from tests.pledges.helpers import register
from tests.pledges.test_programs import LAST_YEAR

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    factories.ensure_role_groups()  # a transaction=True test flushes the tables, the migration's groups included
    return factories.build_world()


def _in_thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_month_added_while_a_loan_registers_is_chained_on_it(world, monkeypatch):
    read, go = threading.Event(), threading.Event()
    real = registration.registered_facts

    def paused(*args, **kwargs):  # the registration has read the month (missing) and not committed
        facts = real(*args, **kwargs)
        read.set()
        go.wait(10)
        return facts

    monkeypatch.setattr(registration, "registered_facts", paused)
    errors: list[Exception] = []
    registering = _in_thread(lambda: register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01"), errors)
    assert read.wait(10)
    saving = _in_thread(lambda: lpr_save(LoanPrimeRate(month=dt.date(LAST_YEAR, 2, 1), one_year=Decimal("0.0345"),
                                                       five_year=Decimal("0.0395")), by=world.admin), errors)
    time.sleep(0.5)
    assert saving.is_alive()  # the save waits for the registration's month lock
    go.set()
    registering.join(20)
    saving.join(20)
    assert not errors, errors
    loan = PledgeLoan.objects.get()
    assert LoanEvent.objects.get(loan=loan, kind="registered").detail["lpr"] is None
    assert LoanEvent.objects.get(loan=loan, kind="lpr").detail["lpr"] == "0.0345"
    assert [f for f in audit_chain.verify_all(audit_chain.registered()) if f"贷款 #{loan.pk}" in f] == []


def test_a_registration_during_a_save_of_its_month_reads_the_saved_rate(world, monkeypatch):
    import pledges.lpr as lpr_module  # noqa: PLC0415  the save paused inside its transaction

    locked, go = threading.Event(), threading.Event()
    real = lpr_module._record

    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        locked.set()
        go.wait(10)
        return result

    monkeypatch.setattr(lpr_module, "_record", paused)
    errors: list[Exception] = []
    saving = _in_thread(lambda: lpr_save(LoanPrimeRate(month=dt.date(LAST_YEAR, 2, 1), one_year=Decimal("0.0345"),
                                                       five_year=Decimal("0.0395")), by=world.admin), errors)
    assert locked.wait(10)
    registering = _in_thread(lambda: register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01"), errors)
    time.sleep(0.5)
    assert registering.is_alive()  # waits for the save's month lock
    go.set()
    saving.join(20)
    registering.join(20)
    assert not errors, errors
    loan = PledgeLoan.objects.get()
    assert LoanEvent.objects.get(loan=loan, kind="registered").detail["lpr"] == "0.034500"
    assert [f for f in audit_chain.verify_all(audit_chain.registered()) if f"贷款 #{loan.pk}" in f] == []
