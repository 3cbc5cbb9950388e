"""The one-statement sealing (``core.audit_seal._seal_in_one_statement``) under concurrency on
PostgreSQL, beside sweeps and the other sealing paths, and its SQL hash against Python's for odd values.
Written by a reviewer told to break the change; kept as its tests."""

import threading
import time

import pytest
from django.db import DatabaseError, DataError, connection, transaction

from core import audit_seal, audit_sweep
from core.audit_chain import GENESIS, registered, row_hash
from funding.models import AuditChainHead
from pledges import services
from pledges.audit import record_loan_event
from pledges.models import LoanEvent, Repayment
from tests import factories
from tests.audit.helpers import findings
from tests.pledges.helpers import IN_TERM, register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    factories.ensure_role_groups()
    return factories.build_world()


@pytest.fixture
def loan(world):
    return register(world.bank1_user)


@pytest.fixture
def outcomes(monkeypatch):
    """Wrap _seal_in_one_statement: what each call did (True / 'guard' / other error)."""
    seen, lock = [], threading.Lock()
    real = audit_seal._seal_in_one_statement

    def wrapped(head_model, pairs, written):
        try:
            real(head_model, pairs, written)
            result = True  # sealed in its one statement
        except DataError:
            with lock:
                seen.append(("guard", list(written)))
            raise
        except DatabaseError as exc:
            with lock:
                seen.append((f"error {exc!r}", list(written)))
            raise
        with lock:
            seen.append((result, list(written)))

    monkeypatch.setattr(audit_seal, "_seal_in_one_statement", wrapped)
    return seen


def _note(loan, **detail):
    with transaction.atomic():
        return record_loan_event(loan, kind="note", detail=detail)


def _chain_ok(stream):
    rows = list(LoanEvent.objects.filter(stream=stream).order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert all(seq is not None for seq, _p, _h in rows), "pending rows left"
    assert [seq for seq, _p, _h in rows] == list(range(1, len(rows) + 1))
    prev = GENESIS
    for _seq, p, h in rows:
        assert p == prev
        prev = h
    head = AuditChainHead.objects.get(chain="loan_event", stream=stream)
    assert (head.seq, head.hash) == (len(rows), prev)


def _sweep(stop, errors):
    """Sweep every stream (as ``verify_audit`` does) until ``stop``; errors are collected."""
    try:
        while not stop.is_set():
            audit_sweep.seal_pending_all()
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


def test_many_writers_and_a_sweeper_on_one_stream(loan, outcomes):
    stream = f"bank:{loan.bank_id}"
    errors, stop = [], threading.Event()

    def writer(i):
        try:
            for j in range(12):
                _note(loan, i=i, j=j, text="并发 \"引号\" \\ 😀")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    sweep = threading.Thread(target=_sweep, args=(stop, errors))
    sweep.start()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    sweep.join(60)
    assert errors == []
    kinds = [k for k, _w in outcomes]
    assert not [k for k in kinds if isinstance(k, str) and k.startswith("error")], kinds
    assert kinds.count(True) > 0, kinds
    _chain_ok(stream)
    assert findings() == []


def _capture_pending(monkeypatch):
    captured = []

    def capture():
        conn = transaction.get_connection()
        captured.extend(conn.__dict__.get("_ipfund_pending", []))
        conn.__dict__["_ipfund_pending"] = []

    monkeypatch.setattr(audit_seal, "_flush", capture)
    return captured


def _wait_for_lock_waiter(timeout=10):
    with connection.cursor() as cursor:
        end = time.time() + timeout
        while time.time() < end:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND query LIKE %s AND pid <> pg_backend_pid() "
                           "AND datname = current_database()", ["%sha256%"])  # not another xdist worker's
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.parametrize("holder_does", ["links_its_own_row", "sweeps_the_stream"])
def test_a_sealer_waiting_on_the_head_sees_the_head_as_the_holder_left_it(loan, monkeypatch, outcomes, holder_does):
    """B's one statement waits on the head held by A; A moves the head (linking its own row, or
    sweeping the stream, which links B's row too) and commits: B links after A's head, or does nothing."""
    chain = next(c for c in registered() if c.name == "loan_event")
    stream = f"bank:{loan.bank_id}"
    real_flush = audit_seal._flush
    captured = _capture_pending(monkeypatch)
    ra = _note(loan, who="A")  # pending, not sealed
    monkeypatch.setattr(audit_seal, "_flush", real_flush)
    assert LoanEvent.objects.get(pk=ra.pk).seq is None and len(captured) == 1
    locked, go, errors = threading.Event(), threading.Event(), []
    result = {}

    def holder():
        try:
            with transaction.atomic():
                audit_seal._lock_heads(AuditChainHead, [(chain, stream)])
                locked.set()
                go.wait(10)
                if holder_does == "links_its_own_row":
                    audit_seal.seal_written(captured)
                else:
                    audit_seal.seal_streams([(chain, stream)])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def writer():
        try:
            result["b"] = _note(loan, who="B")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=holder)
    a.start()
    assert locked.wait(10)
    b = threading.Thread(target=writer)
    b.start()
    try:
        assert _wait_for_lock_waiter(), "B's sealing never waited on the head"
    finally:
        go.set()
        a.join(30)
        b.join(30)
    assert errors == []
    _chain_ok(stream)
    seqs = {pk: seq for pk, seq in LoanEvent.objects.filter(pk__in=[ra.pk, result["b"].pk]).values_list("pk", "seq")}
    assert seqs == {ra.pk: 2, result["b"].pk: 3}
    assert findings() == []
    b_outcome = [k for k, w in outcomes if any(e[2] == result["b"].pk for e in w)]
    # linking its own row leaves B's row to B's statement; a sweep links it first (B's guard trips)
    assert b_outcome == ([True] if holder_does == "links_its_own_row" else ["guard"]), outcomes


ODD = [
    {"f": 0.1, "g": 1e100, "h": -0.0, "k": 1e-7, "n": 2 ** 70, "neg": -(2 ** 63)},
    {"nested": {"b": [1, 2.5, {"z": None, "a": True}], "a": "é\u0301"}, "1": "数字键"},
    {"ctl": "\x01\x1f\x7f\u0085\u2028\u2029\ufeff", "astral": "𠀀😀", "bs": "\\u0041", "q": "'\"`"},
    {"pct": "%s %(x)s %%", "sql": "'); DROP TABLE x; --", "long": "长" * 3000},
]


@pytest.mark.parametrize("detail", ODD)
def test_sql_hash_equals_python_hash(loan, outcomes, detail):
    note = _note(loan, **detail)
    mine = [(k, w) for k, w in outcomes if any(e[2] == note.pk for e in w)]
    assert [k for k, _w in mine] == [True], mine
    entry = next(e for e in mine[0][1] if e[2] == note.pk)
    row = LoanEvent.objects.get(pk=note.pk)
    assert row.hash == row_hash(row.seq, row.prev_hash, entry[4])


def _deadlocks() -> int:
    """PostgreSQL's count of deadlocks in this database (a backend's count is flushed when it exits)."""
    time.sleep(0.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("warm", [True, False], ids=["heads_exist", "first_use_of_the_repayment_stream"])
def test_two_chain_writers_single_chain_writers_and_multi_row_writers_together(world, outcomes, warm):
    """Repayments (two chains, one statement), notes (one chain), transactions writing two notes of
    one stream (the old path), all on bank1's streams, and a sweeper: every chain stays whole, and no
    deadlock — also when the race is the repayment stream's first use (its head created during it)."""
    loans = [register(world.bank1_user) for _ in range(3)]
    deadlocks = _deadlocks()
    if warm:  # every head exists before the race (no first use of a stream during it)
        services.repayment_record(by=world.bank1_user, loan_id=loans[0].pk, date=IN_TERM,
                                  principal="100.00", interest="1.00")
    outcomes.clear()
    errors, stop = [], threading.Event()

    def repay(loan):
        try:
            for _ in range(6):
                services.repayment_record(by=world.bank1_user, loan_id=loan.pk, date=IN_TERM,
                                          principal="100.00", interest="1.00")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def notes(loan):
        try:
            for j in range(8):
                with transaction.atomic():
                    record_loan_event(loan, kind="note", detail={"j": j})
                    if j % 2:
                        record_loan_event(loan, kind="note", detail={"j": j, "second": True})
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    sweep = threading.Thread(target=_sweep, args=(stop, errors))
    sweep.start()
    threads = ([threading.Thread(target=repay, args=(loan,)) for loan in loans]
               + [threading.Thread(target=notes, args=(loan,)) for loan in loans])
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    stop.set()
    sweep.join(60)
    assert errors == []
    kinds = [k for k, _w in outcomes]
    assert not [k for k in kinds if isinstance(k, str) and k.startswith("error")], kinds
    assert kinds.count(True) > 0
    assert not Repayment.objects.filter(seq__isnull=True).exists()
    _chain_ok(f"bank:{world.bank1_user.bank_id}")
    assert findings() == []
    assert _deadlocks() == deadlocks
