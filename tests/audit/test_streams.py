"""Issue #15: no write waits on another's chain head: not of unrelated programs (regions) or banks,
and, since rows are sealed after commit (``core.audit_seal``), not of the same program or bank
either; a stream written concurrently still forms one valid chain."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from funding import audit, counts
from funding.models import AuditChainHead, ProgramRuleChange
from pledges import services
from pledges.audit import record_loan_event
from pledges.models import LoanEvent, Repayment
from tests import factories
from tests.audit.helpers import findings
from tests.pledges.helpers import IN_TERM, register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    factories.ensure_role_groups()  # a transaction=True test's flush removes the migration's groups
    return factories.build_world()


def _holds_while_other_writes(first, second) -> bool:
    """``first`` appends and keeps its transaction open until ``second`` (another thread) has
    appended and committed, or 5 s have passed: True when ``second`` never waited on ``first``."""
    appended, done = threading.Event(), threading.Event()
    outcome = {}

    def hold():
        try:
            with transaction.atomic():
                first()
                appended.set()
                outcome["second_done_while_held"] = done.wait(timeout=3)
        finally:
            connection.close()

    def write():
        try:
            close_old_connections()
            appended.wait(timeout=5)
            with transaction.atomic():
                second()
            done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    assert done.is_set()  # and in any case it got through once the first committed
    return outcome["second_done_while_held"]


def _rule_change(program):
    return lambda: audit.record_rule_change(program, field="publicity_days", old=5, new=6, by=None)


def test_two_programs_append_to_the_rule_chain_at_once(world):
    assert _holds_while_other_writes(_rule_change(world.programs["industrialization"]),
                                     _rule_change(world.programs["patent_award"]))
    assert findings() == []


def test_the_same_program_does_not_wait_for_the_other_write(world):
    program = world.programs["industrialization"]
    assert _holds_while_other_writes(_rule_change(program), _rule_change(program))
    rows = ProgramRuleChange.objects.order_by("pk")
    assert [row.seq for row in rows] == [2, 1]  # sealed in commit order: the held one committed last
    assert findings() == []


def test_two_repayments_of_one_bank_do_not_wait_for_each_other(world):
    """Through the service, end to end: before sealing after commit, the second queued on the bank's head."""
    loan1, loan2 = register(world.bank1_user), register(world.bank1_user)

    def repay(loan):
        return lambda: services.repayment_record(by=world.bank1_user, loan_id=loan.pk, date=IN_TERM,
                                                 principal="1000.00", interest="10.00")

    assert _holds_while_other_writes(repay(loan1), repay(loan2))
    assert sorted(Repayment.objects.values_list("seq", flat=True)) == [1, 2]
    assert findings() == []


def test_a_held_head_holds_up_only_the_sealing_the_change_is_committed(world):
    """While a sealing holds the stream's head (held here on purpose), another write's change commits
    (its row is visible, pending and valid); only its sealing waits, and links the row once free."""
    loan = register(world.bank1_user)
    held, seen = threading.Event(), {}

    def hold_head():
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(chain="loan_event", stream=f"bank:{loan.bank_id}")
                held.set()
                for _ in range(50):  # up to 5 s for the other write's commit to show
                    if LoanEvent.objects.filter(loan=loan, kind="note").exists():
                        break
                    time.sleep(0.1)
                row = LoanEvent.objects.filter(loan=loan, kind="note").first()
                seen["pending"] = row is not None and row.seq is None
                seen["clean"] = findings() == []
        finally:
            connection.close()

    def write():
        try:
            held.wait(timeout=5)
            with transaction.atomic():
                record_loan_event(loan, kind="note")
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_head), threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert seen == {"pending": True, "clean": True}
    assert LoanEvent.objects.get(loan=loan, kind="note").seq == 2 and findings() == []


def test_another_regions_program_is_another_stream(world):
    other = factories.ProgramFactory(region=factories.RegionFactory(code="500238", name="奉节县"), code="industrialization")
    assert _holds_while_other_writes(_rule_change(world.programs["industrialization"]), _rule_change(other))


def _submit_moves(app):
    """The counter update a submission makes (draft → submitted), alone: what Application.save does."""
    def move():
        old = counts.key_of(app)
        counts.moved(old, (old[0], old[1], "submitted", old[3]), counts.shard_of(app))
    return move


def _drafts_in_shards(world, same: bool):
    drafts = [factories.ApplicationFactory(program=world.programs["application_subsidy"]) for _ in range(counts.SHARDS + 1)]
    first = drafts[0]
    other = next(d for d in drafts[1:] if (counts.shard_of(d) == counts.shard_of(first)) == same)
    return first, other


def test_two_cases_of_one_program_in_different_shards_update_counters_at_once(world):
    first, other = _drafts_in_shards(world, same=False)
    assert _holds_while_other_writes(_submit_moves(first), _submit_moves(other))


def test_two_cases_of_one_shard_wait_for_the_counter_row(world):
    first, other = _drafts_in_shards(world, same=True)
    assert not _holds_while_other_writes(_submit_moves(first), _submit_moves(other))
