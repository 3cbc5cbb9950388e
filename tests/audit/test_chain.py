"""The audit hash chains: written by the services, and every kind of tampering is found."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core import audit_chain
from funding.audit import CHAIN as TRANSITION_CHAIN
from funding.ledger import CHAIN as LEDGER_CHAIN
from funding.models import Application, AuditChainHead, TransitionLog
from pledges.models import LoanEvent
from tests.audit.helpers import approved_subsidy, findings, loan_with_events
from tests.funding.helpers import step

pytestmark = pytest.mark.django_db


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def test_transitions_and_loan_events_form_gapless_chains_that_verify(world):
    approved_subsidy(world)
    loan_with_events(world)
    logs = list(TransitionLog.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    events = list(LoanEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert [s for s, _p, _h in logs] == list(range(1, len(logs) + 1))
    assert logs[0][1] == audit_chain.GENESIS
    assert all(logs[i][1] == logs[i - 1][2] for i in range(1, len(logs)))
    assert events == [1, 2]
    assert findings() == []


def test_head_holds_the_last_seq_and_hash(world):
    app = approved_subsidy(world)
    last = TransitionLog.objects.order_by("-seq").first()
    assert last.stream == f"program:{app.program_id}"
    assert audit_chain.head_of(TRANSITION_CHAIN, last.stream) == (last.seq, last.hash)


def test_each_program_and_each_bank_is_its_own_stream(world):
    approved_subsidy(world)
    loan_with_events(world)
    assert set(TransitionLog.objects.values_list("stream", flat=True)) == {
        f"program:{world.programs['application_subsidy'].pk}"}
    assert set(LoanEvent.objects.values_list("stream", flat=True)) == {f"bank:{world.bank1.pk}"}
    assert {h.stream for h in AuditChainHead.objects.filter(chain="ledger_entry").exclude(stream="")} == {
        f"program:{p.pk}" for p in world.programs.values()}


def test_a_row_moved_to_another_stream_in_sql_is_found(world):
    approved_subsidy(world)
    row = TransitionLog.objects.get(seq=2)
    other = f"program:{world.programs['industrialization'].pk}"
    TransitionLog.objects.filter(pk=row.pk).update(stream=other)
    problems = findings()
    assert any(f"#{row.pk}" in p and "篡改" in p for p in problems)
    assert any("缺少序号 2–2" in p for p in problems)


def test_edited_transition_comment_is_found(world):
    approved_subsidy(world)
    row = TransitionLog.objects.get(seq=3)
    TransitionLog.objects.filter(pk=row.pk).update(comment="事后补写的意见")
    problems = findings()
    assert len(problems) == 1
    assert f"#{row.pk}" in problems[0] and "篡改" in problems[0]


def test_edited_transition_with_recomputed_own_hash_breaks_the_next_link(world):
    approved_subsidy(world)
    row = TransitionLog.objects.get(seq=2)
    values = {name: getattr(row, name) for name in TRANSITION_CHAIN.fields} | {"to_state": "approved"}
    forged = audit_chain.row_hash(row.seq, row.prev_hash, values)
    TransitionLog.objects.filter(pk=row.pk).update(to_state="approved", hash=forged)
    problems = findings()
    assert any("前序哈希" in p and "序号 3" in p for p in problems)


def test_edited_loan_event_detail_is_found(world):
    loan_with_events(world)
    event = LoanEvent.objects.get(seq=2)
    LoanEvent.objects.filter(pk=event.pk).update(detail=event.detail | {"principal": "999999.00"})
    problems = findings()
    assert len(problems) == 1 and "贷款事件记录" in problems[0] and "篡改" in problems[0]


def test_row_deleted_by_raw_sql_is_found_as_a_gap(world):
    approved_subsidy(world)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(TransitionLog)} WHERE seq = %s", [2])
    problems = findings()
    assert any("缺少序号 2–2" in p for p in problems)
    assert any("前序哈希" in p for p in problems)


def test_last_row_deleted_is_found_by_the_head(world):
    approved_subsidy(world)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(TransitionLog)} WHERE seq = (SELECT MAX(seq) FROM {_table(TransitionLog)})")
    problems = findings()
    assert "链头" in problems[0]
    # The case's state no longer matches its (shortened) history either: the cross-check says so.
    assert problems[1:] == [f"申请 #{Application.objects.get().pk}：状态为 approved，而最后一条流转记录为 publicity，"
                            "状态被绕过流程改动"]


def test_forged_row_inserted_without_a_link_is_found(world):
    app = approved_subsidy(world)
    forged = TransitionLog.objects.bulk_create([
        TransitionLog(application=app, transition="disburse", from_state="approved", to_state="disbursed",
                      by=world.finance, comment="伪造"),
    ])[0]
    problems = findings()
    assert "未入链" in problems[0] and f"#{forged.pk}" in problems[0]
    assert problems[1:] == [f"申请 #{app.pk}：状态为 approved，而最后一条流转记录为 disbursed，状态被绕过流程改动"]


def test_forged_row_appended_with_the_next_seq_is_found(world):
    app = approved_subsidy(world)
    stream = f"program:{app.program_id}"
    head_seq, head_hash = audit_chain.head_of(TRANSITION_CHAIN, stream)
    TransitionLog.objects.bulk_create([
        TransitionLog(application=app, transition="disburse", from_state="approved", to_state="disbursed",
                      by=world.finance, seq=head_seq + 1, prev_hash=head_hash, hash="f" * 64, stream=stream),
    ])
    problems = findings()
    assert any("篡改" in p for p in problems)
    assert any("链头" in p for p in problems)


def test_forged_row_slipped_in_with_a_shifted_seq_is_found(world):
    approved_subsidy(world)
    last = TransitionLog.objects.order_by("-seq").first()
    TransitionLog.objects.filter(pk=last.pk).update(seq=last.seq + 1)  # make room in the middle…
    TransitionLog.objects.bulk_create([TransitionLog(  # …and fill it with a plausible row
        application_id=last.application_id, transition="reject", from_state="publicity", to_state="rejected",
        by=world.clerk, seq=last.seq, prev_hash=last.prev_hash, hash="0" * 64, stream=last.stream)])
    problems = findings()
    assert any("篡改" in p for p in problems)
    assert any("前序哈希" in p for p in problems)


def test_hash_is_over_canonical_values():
    at = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    row = {"at": at, "amount": Decimal("1.50"), "detail": {"b": 1, "a": [Decimal("2.00")]}, "by_id": None}
    text = audit_chain.canonical(7, audit_chain.GENESIS, row).decode()
    assert '"at":"2026-03-01T10:30:00.000000+00:00"' in text
    assert '"amount":"1.50"' in text and '"detail":{"a":["2.00"],"b":1}' in text
    assert audit_chain.row_hash(7, audit_chain.GENESIS, row) == audit_chain.row_hash(
        7, audit_chain.GENESIS, dict(reversed(list(row.items()))))


def test_seal_unchained_links_bulk_loaded_rows_in_id_order(world):
    app = approved_subsidy(world)
    TransitionLog.objects.bulk_create([
        TransitionLog(application=app, transition="disburse", from_state="approved", to_state="approved",
                      by=world.finance, at=timezone.now()) for _ in range(3)
    ])
    assert audit_chain.seal_unchained(TRANSITION_CHAIN) == 3
    # Bulk-loaded rows carry no stream: they form the chain of stream "" in id order.
    assert list(TransitionLog.objects.filter(stream="").order_by("pk").values_list("seq", flat=True)) == [1, 2, 3]
    assert list(TransitionLog.objects.exclude(stream="").order_by("pk").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert findings() == []


def test_missing_head_is_reported_then_rebuilt_from_the_table_tail_on_the_next_append(world):
    app = approved_subsidy(world)
    AuditChainHead.objects.all().delete()
    streams = {chain: set(chain.model.objects.values_list("stream", flat=True)) for chain in (TRANSITION_CHAIN, LEDGER_CHAIN)}
    assert sorted(findings()) == sorted(f"{chain.label}：链头记录缺失，无法确认末尾记录是否完整{audit_chain.stream_note(stream)}"
                                        for chain, names in streams.items() for stream in names)
    step(app, "disburse", world.finance, data={"amount": str(app.approved_amount), "voucher_no": "PZ-1"})
    assert TransitionLog.objects.order_by("-seq").values_list("seq", flat=True)[0] == 5
    # The streams written to again have their heads back; the others still say theirs is missing.
    stream = f"program:{app.program_id}"
    assert not any(audit_chain.stream_note(stream) in finding for finding in findings())
    assert all("链头记录缺失" in finding for finding in findings())
