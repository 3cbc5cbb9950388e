"""Attacks on the sealing after commit (``core.audit_seal``), found in review: a committed row must
not wait to be sealed without a finding, and one stream that cannot be sealed must not keep other
streams, or ``verify_audit``, from working. Real commits, SQLite or PostgreSQL."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from core import audit_seal
from funding.models import AuditChainHead
from ops.management.commands import verify_audit
from pledges import services
from pledges.audit import record_loan_event
from pledges.models import LoanEvent, Repayment
from tests import factories
from tests.audit.helpers import findings, run_verify_audit
from tests.pledges.helpers import IN_TERM, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(transactional_db):
    factories.ensure_role_groups()
    return factories.build_world()


@pytest.fixture
def loan(world):
    return register(world.bank1_user)


def _note(loan, **detail):
    with transaction.atomic():
        return record_loan_event(loan, kind="note", detail=detail)


def _seq(model, row):
    return model.objects.get(pk=row.pk).seq


def _repay(world, loan):
    return services.repayment_record(by=world.bank1_user, loan_id=loan.pk, date=IN_TERM,
                                     principal="1000.00", interest="10.00")


@pytest.mark.postgres
def test_verify_audit_reports_committed_rows_it_cannot_seal_while_a_head_is_held(loan, monkeypatch):
    """A head held by someone else (a stuck sealing, an SQL session keeping ``SELECT … FOR UPDATE``
    open): the sweep gives up after its lock timeout, and the rows that wait are findings, not a pass."""
    monkeypatch.setattr(audit_seal, "_flush", lambda: transaction.get_connection().__dict__.update(_ipfund_pending=[]))
    note = _note(loan, amount="100.00")
    monkeypatch.setattr(verify_audit, "SWEEP_LOCK_TIMEOUT_MS", 300)
    held, done = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(chain="loan_event", stream=f"bank:{loan.bank_id}")
                held.set()
                done.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(timeout=5)
        code, out = run_verify_audit()
    finally:
        done.set()
        holder.join(timeout=10)
    assert _seq(LoanEvent, note) is None
    assert code == 1 and "无法将已提交的记录补入链" in out and "1 条已提交的记录仍未入链" in out


def test_one_stream_that_cannot_be_sealed_does_not_keep_the_transactions_other_streams_pending(world, loan):
    """An SQL row that takes the next seq of a bank's repayment stream makes every sealing of that
    stream raise IntegrityError (unique stream+seq). seal_streams has no per-stream isolation and
    _flush already emptied its set, so the loan_event row of the same commit (a later LOCK_ORDER
    stream) is never sealed either: both stay pending, valid, and silently deletable."""
    _repay(world, loan)  # repayment stream: seq 1
    stream = f"bank:{loan.bank_id}"
    Repayment.objects.bulk_create([Repayment(loan=loan, date=IN_TERM, principal="1.00", interest="0.00",
                                             stream=stream, seq=2, prev_hash="0" * 64, hash="f" * 64)])
    second = _repay(world, loan)
    event = LoanEvent.objects.filter(loan=loan, kind="repayment").latest("pk")
    assert event.seq is not None  # the loan event of the same commit is linked all the same
    assert _seq(Repayment, second) is None  # the repayment waits, valid, and verify_audit says so:
    code, out = run_verify_audit()
    assert code == 1 and "还款记录：1 条已提交的记录仍未入链" in out


def test_verify_audit_lists_findings_even_if_sealing_a_stream_fails(world, loan):
    """The same poisoned stream: verify_audit calls seal_pending_all before verifying, unguarded, so it
    dies with IntegrityError and prints none of the findings (the forged row, the unsealed rows)."""
    _repay(world, loan)
    stream = f"bank:{loan.bank_id}"
    Repayment.objects.bulk_create([Repayment(loan=loan, date=IN_TERM, principal="1.00", interest="0.00",
                                             stream=stream, seq=2, prev_hash="0" * 64, hash="f" * 64)])
    _repay(world, loan)
    try:
        code, out = run_verify_audit()
    except IntegrityError:
        pytest.fail("verify_audit crashed in seal_pending_all before listing any finding")
    assert code != 0 and "还款记录" in out
    assert findings()  # the forged row is a finding either way
