"""Issue #15: writes of unrelated programs (regions) and banks never wait on each other's chain
heads, and a stream that is written concurrently still forms one valid chain."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from funding import audit, counts
from pledges.audit import record_loan_event
from tests import factories
from tests.audit.helpers import findings
from tests.pledges.helpers import register

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


def test_the_same_program_waits_for_the_head(world):
    program = world.programs["industrialization"]
    assert not _holds_while_other_writes(_rule_change(program), _rule_change(program))
    assert findings() == []


def test_two_banks_append_loan_events_at_once(world):
    loan1, loan2 = register(world.bank1_user), register(world.bank2_user)
    assert _holds_while_other_writes(lambda: record_loan_event(loan1, kind="note"),
                                     lambda: record_loan_event(loan2, kind="note"))
    assert findings() == []


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
