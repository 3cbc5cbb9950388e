"""Rows are written pending and sealed after commit (``core.audit_seal``): what someone with SQL can do
to a pending row is caught as surely as what they could do to a linked one; a committed row does not
wait to be sealed without a finding, and one stream that cannot be sealed keeps neither other streams
nor ``verify_audit`` from working. Real commits (transaction=True), on SQLite and PostgreSQL."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import audit_seal, audit_sweep
from core.audit_chain import canonical, canonical_row, registered
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
    return type(row).objects.get(pk=row.pk).seq


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
    assert audit_sweep.seal_pending_all()[0] == 0
    assert _seq(note) is None and f"#{note.pk}" in " ".join(findings())


def test_a_pending_row_copied_under_another_id_is_not_sealed(loan, no_sealing):
    note = _note(loan, amount="100.00")
    copy = LoanEvent.objects.get(pk=note.pk)
    copy.pk = None
    copy.save(force_insert=True)  # same values and the same ticket, another id
    no_sealing.undo()
    assert audit_sweep.seal_pending_all()[0] == 1
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
    assert audit_sweep.seal_pending_all()[0] == 2
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
        assert audit_sweep.seal_pending_all()[0] == 1
    assert _seq(note) == 2


def test_without_the_key_a_pending_row_is_not_sealed(loan, no_sealing):
    note = _note(loan)
    no_sealing.undo()
    with override_settings(SECRET_KEY="another-deployment-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        assert audit_sweep.seal_pending_all()[0] == 0
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
    _between_commit_and_seal(monkeypatch, audit_sweep.seal_pending_all)
    first = _note(loan)
    second = _note(loan)
    assert [_seq(first), _seq(second)] == [2, 3] and findings() == []


def test_verify_audit_no_seal_writes_nothing_and_counts_the_waiting_rows(loan, no_sealing):
    note = _note(loan)
    no_sealing.undo()
    code, out = run_verify_audit("--no-seal")
    assert code == 0 and "1 条已提交的记录仍未入链" in out and _seq(note) is None


def _repay(world, loan):
    return services.repayment_record(by=world.bank1_user, loan_id=loan.pk, date=IN_TERM,
                                     principal="1000.00", interest="10.00")


@pytest.mark.postgres
def test_verify_audit_reports_committed_rows_it_cannot_seal_while_a_head_is_held(loan, no_sealing):
    """A head held by someone else (a stuck sealing, an SQL session keeping ``SELECT … FOR UPDATE``
    open): the sweep gives up after its lock timeout, and the rows that wait are findings, not a pass."""
    note = _note(loan, amount="100.00")
    no_sealing.setattr(verify_audit, "SWEEP_LOCK_TIMEOUT_MS", 300)
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
    assert _seq(note) is None
    assert code == 1 and "无法将已提交的记录补入链" in out and "1 条已提交的记录仍未入链" in out


def _poison_repayment_stream(world, loan):
    """A repayment (seq 1), then an SQL row on the stream's next seq: every sealing of it now fails."""
    _repay(world, loan)
    Repayment.objects.bulk_create([Repayment(loan=loan, date=IN_TERM, principal="1.00", interest="0.00",
                                             stream=f"bank:{loan.bank_id}", seq=2, prev_hash="0" * 64,
                                             hash="f" * 64)])


def test_one_stream_that_cannot_be_sealed_does_not_keep_the_transactions_other_streams_pending(world, loan):
    """A repayment stream that cannot be sealed (an SQL row on its next seq) keeps only its own rows
    pending: the loan event of the same commit is linked, and verify_audit reports the waiting row."""
    _poison_repayment_stream(world, loan)
    second = _repay(world, loan)
    event = LoanEvent.objects.filter(loan=loan, kind="repayment").latest("pk")
    assert event.seq is not None  # the loan event of the same commit is linked all the same
    assert _seq(second) is None  # the repayment waits, valid, and verify_audit says so:
    code, out = run_verify_audit()
    assert code == 1 and "还款记录：1 条已提交的记录仍未入链" in out


def test_verify_audit_lists_findings_even_if_sealing_a_stream_fails(world, loan):
    """The same stream: verify_audit's sweep fails on it, and the command still lists every finding."""
    _poison_repayment_stream(world, loan)
    _repay(world, loan)
    try:
        code, out = run_verify_audit()
    except IntegrityError:
        pytest.fail("verify_audit crashed in seal_pending_all before listing any finding")
    assert code != 0 and "还款记录" in out
    assert findings()  # the forged row is a finding either way


@pytest.mark.postgres
def test_the_sealing_transaction_locks_the_heads_and_commits_without_waiting_for_the_disk(loan):
    """``_lock_heads`` turns ``synchronous_commit`` off for its transaction only, in the locking
    statement itself (one round trip), and still returns the locked heads."""
    chain = next(c for c in registered() if c.name == "loan_event")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    with transaction.atomic():
        heads = audit_seal._lock_heads(AuditChainHead, [(chain, f"bank:{loan.bank_id}")])
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
            cursor.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                           "WHERE l.pid = pg_backend_pid() AND c.relname = %s AND l.mode = 'RowShareLock'",
                           [AuditChainHead._meta.db_table])
            assert cursor.fetchone()[0] == 1
    assert list(heads) == [("loan_event", f"bank:{loan.bank_id}")]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_the_row_part_of_the_canonical_bytes_is_what_sql_is_given():
    """``audit_chain.canonical`` is the row's ``canonical_row`` between the prev hash and the seq: the
    identity the one-statement sealing (PostgreSQL's ``sha256``) relies on, for odd values too."""
    row = {"detail": {"说明": "引号\"、反斜杠\\、换行\n、\x00、😀", "amount": Decimal("1.10")},
           "at": dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC), "n": 3, "ok": True, "none": None, "list": [1, "二"]}
    expected = f'{{"prev":"{"a" * 64}","row":{canonical_row(row)},"seq":17}}'.encode()
    assert canonical(17, "a" * 64, row) == expected


@pytest.mark.postgres
@pytest.mark.parametrize("text", ["普通说明", "引号\"与反斜杠\\", "换行\n制表\t", "😀 emoji 与 \u3000 全角空格", "\u2028 行分隔符 \u00e9"])
def test_a_row_sealed_in_one_statement_hashes_as_python_does(loan, text):
    """The sealing after commit links a lone row with PostgreSQL's sha256 in one statement, no
    transaction of its own; the verifier recomputes every hash in Python and finds nothing."""
    with CaptureQueriesContext(connection) as seen:
        note = _note(loan, text=text)
    sealing = [q["sql"] for q in seen.captured_queries if "sha256" in q["sql"]]
    assert len(sealing) == 1
    assert not any(q["sql"].startswith("SELECT id, chain") for q in seen.captured_queries)
    assert _seq(note) == 2 and findings() == []


@pytest.mark.postgres
def test_a_repayment_seals_its_two_chains_in_one_statement(world, loan):
    with CaptureQueriesContext(connection) as seen:
        _repay(world, loan)
    assert sum("sha256" in q["sql"] for q in seen.captured_queries) == 1
    assert Repayment.objects.filter(loan=loan, seq__isnull=True).count() == 0
    assert LoanEvent.objects.filter(loan=loan, seq__isnull=True).count() == 0
    assert findings() == []
