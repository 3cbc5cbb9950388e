"""Rows are written pending and sealed after commit (``core.audit_seal``): what someone with SQL can do
to a pending row is caught as surely as what they could do to a linked one. Real commits (transaction=True),
on SQLite and PostgreSQL."""

import pytest
from django.db import transaction
from django.test import override_settings

from core import audit_seal
from pledges.audit import record_loan_event
from pledges.models import LoanEvent
from tests import factories
from tests.audit.helpers import findings, run_verify_audit
from tests.pledges.helpers import register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(transactional_db):
    factories.ensure_role_groups()
    return factories.build_world()


@pytest.fixture
def loan(world):
    return register(world.bank1_user)


@pytest.fixture
def no_sealing(monkeypatch):
    """The writer dies between its commit and its sealing: its rows stay pending."""
    def crash():
        transaction.get_connection().__dict__["_ipfund_pending"] = []  # what it held died with it

    monkeypatch.setattr(audit_seal, "_flush", crash)
    return monkeypatch


def _note(loan, **detail):
    with transaction.atomic():
        return record_loan_event(loan, kind="note", detail=detail)


def _seq(row):
    return LoanEvent.objects.get(pk=row.pk).seq


def test_a_committed_row_is_linked_before_the_write_returns(loan):
    note = _note(loan)
    registered = LoanEvent.objects.get(loan=loan, kind="registered")
    assert (registered.seq, _seq(note)) == (1, 2) and findings() == []


def test_a_rolled_back_write_leaves_no_pending_row(loan):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_loan_event(loan, kind="note")
        raise RuntimeError("rolled back")
    assert not LoanEvent.objects.filter(kind="note").exists()
    assert _seq(_note(loan)) == 2 and findings() == []


def test_a_row_inserted_with_sql_is_never_sealed(loan):
    forged = LoanEvent.objects.bulk_create([LoanEvent(loan=loan, kind="note", detail={"x": 1}, stream=f"bank:{loan.bank_id}",
                                                      hash="0" * 64)])[0]
    after = _note(loan)  # seals the stream's pending rows: the forged one has no valid ticket
    assert _seq(forged) is None and _seq(after) == 2
    assert findings() == [f"贷款事件记录：1 条记录未入链（绕过审计写入）：#{forged.pk}"]


def test_a_pending_row_edited_before_sealing_stays_out_of_the_chain(loan, no_sealing):
    note = _note(loan, amount="100.00")
    LoanEvent.objects.filter(pk=note.pk).update(detail={"amount": "1.00"})
    no_sealing.undo()
    assert audit_seal.seal_pending_all()[0] == 0
    assert _seq(note) is None and f"#{note.pk}" in " ".join(findings())


def test_a_pending_row_copied_under_another_id_is_not_sealed(loan, no_sealing):
    note = _note(loan, amount="100.00")
    copy = LoanEvent.objects.get(pk=note.pk)
    copy.pk = None
    copy.save(force_insert=True)  # same values and the same ticket, another id
    no_sealing.undo()
    assert audit_seal.seal_pending_all()[0] == 1
    assert _seq(note) == 2 and _seq(copy) is None
    assert findings() == [f"贷款事件记录：1 条记录未入链（绕过审计写入）：#{copy.pk}"]


def test_a_pending_row_with_a_valid_ticket_is_not_a_finding(loan, no_sealing):
    _note(loan)
    assert findings() == []


def test_rows_a_crashed_writer_left_are_sealed_by_the_sweep_and_hold_up_no_one(loan, no_sealing):
    first, second = _note(loan), _note(loan)
    no_sealing.undo()
    third = _note(loan)
    assert [_seq(first), _seq(second), _seq(third)] == [None, None, 2] and findings() == []
    assert audit_seal.seal_pending_all()[0] == 2
    assert [_seq(first), _seq(second)] == [3, 4] and findings() == []


def test_a_failing_sealer_does_not_fail_the_committed_write(loan, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("sealer down")

    monkeypatch.setattr(audit_seal, "seal_written", broken)
    note = _note(loan)  # on_commit(robust=True): logged, and the write stands
    assert LoanEvent.objects.filter(pk=note.pk).exists() and _seq(note) is None


def test_verify_audit_first_seals_committed_pending_rows(loan, no_sealing):
    note = _note(loan)
    no_sealing.undo()
    code, out = run_verify_audit()
    assert code == 0 and "1 条已提交的记录补入链" in out and _seq(note) == 2


def test_a_ticket_made_before_a_key_rotation_is_honoured_through_the_fallback(loan, no_sealing, settings):
    old = settings.SECRET_KEY
    note = _note(loan)
    no_sealing.undo()
    with override_settings(SECRET_KEY="rotated-" + "k" * 50, SECRET_KEY_FALLBACKS=[old]):
        assert audit_seal.seal_pending_all()[0] == 1
    assert _seq(note) == 2


def test_without_the_key_a_pending_row_is_not_sealed(loan, no_sealing):
    note = _note(loan)
    no_sealing.undo()
    with override_settings(SECRET_KEY="another-deployment-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        assert audit_seal.seal_pending_all()[0] == 0
    assert _seq(note) is None


def _between_commit_and_seal(monkeypatch, meddle):
    """Run ``meddle`` after the writer's commit and before its sealing."""
    real = audit_seal.seal_written

    def late(written):
        meddle()
        real(written)

    monkeypatch.setattr(audit_seal, "seal_written", late)


def test_a_row_edited_between_commit_and_sealing_is_linked_as_written_and_shows_as_tampered(loan, monkeypatch):
    _between_commit_and_seal(monkeypatch, lambda: LoanEvent.objects.filter(kind="note").update(detail={"amount": "1.00"}))
    note = _note(loan, amount="100.00")
    assert _seq(note) == 2
    assert any("已被篡改" in finding and f"#{note.pk}" in finding for finding in findings())


def test_a_row_sealed_by_a_sweep_before_its_writer_is_linked_once(loan, monkeypatch):
    _between_commit_and_seal(monkeypatch, audit_seal.seal_pending_all)
    first = _note(loan)
    second = _note(loan)
    assert [_seq(first), _seq(second)] == [2, 3] and findings() == []


def test_verify_audit_no_seal_writes_nothing_and_counts_the_waiting_rows(loan, no_sealing):
    note = _note(loan)
    no_sealing.undo()
    code, out = run_verify_audit("--no-seal")
    assert code == 0 and "1 条已提交的记录仍未入链" in out and _seq(note) is None
