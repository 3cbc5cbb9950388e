"""Issue #10, item 9 (pledge part): repayments and recoveries are links of audit chains; ``verify_audit``
reports a direct SQL UPDATE, DELETE or INSERT on them; the services take the chain heads in order."""

import pytest
from django.db import connection
from django.utils import timezone

from core import audit_chain
from pledges import services
from pledges.audit import RECOVERY_CHAIN, REPAYMENT_CHAIN
from pledges.models import Recovery, Repayment
from tests.audit.helpers import run_verify_audit
from tests.pledges.helpers import IN_TERM, compensated, register

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _repaid_loan(world, times=3):
    loan = register(world.bank1_user)
    for i in range(times):
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": IN_TERM, "principal": f"{i + 1}000.00", "interest": "100.00"})
    return loan


def _recovered_loan(world, times=2):
    loan = compensated(world)
    for _ in range(times):
        services.recovery_record(by=world.bank1_user, loan_id=loan.pk, **{"date": TODAY, "amount": "1000.00"})
    return loan


def test_both_chains_are_registered_for_verify_audit():
    names = [chain.name for chain in audit_chain.registered()]
    assert "repayment" in names and "recovery" in names


def test_repayments_and_recoveries_form_gapless_chains_that_verify(world):
    _repaid_loan(world)
    _recovered_loan(world)
    assert list(Repayment.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    assert list(Recovery.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert audit_chain.verify(REPAYMENT_CHAIN) == [] and audit_chain.verify(RECOVERY_CHAIN) == []
    code, out = run_verify_audit()
    assert code == 0, out
    assert "还款记录：共 3 条" in out and "追偿回收记录：共 2 条" in out


def test_verify_audit_reports_a_repayments_interest_raised_in_sql(world):
    _repaid_loan(world)
    row = Repayment.objects.get(seq=2)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table(Repayment)} SET interest = %s WHERE id = %s", ["99999.00", row.pk])
    code, out = run_verify_audit()
    assert code == 1
    assert f"还款记录：记录 #{row.pk}（序号 2）的内容与其哈希不符，已被篡改" in out


def test_verify_audit_reports_a_recovery_deleted_in_sql(world):
    _recovered_loan(world)
    first = Recovery.objects.get(seq=1)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Recovery)} WHERE id = %s", [first.pk])
    code, out = run_verify_audit()
    assert code == 1
    assert "追偿回收记录：缺少序号 1–1 的记录，疑似被删除" in out


def test_verify_audit_reports_the_last_recovery_deleted_in_sql(world):
    _recovered_loan(world)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Recovery)} WHERE seq = 2")
    code, out = run_verify_audit()
    assert code == 1 and "追偿回收记录：链头记录为序号 2" in out


def test_verify_audit_reports_a_repayment_inserted_in_sql(world):
    loan = _repaid_loan(world, times=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(Repayment)} (loan_id, date, principal, interest, created_at) VALUES (%s, %s, %s, %s, %s)",
            [loan.pk, IN_TERM, "0.00", "50000.00", timezone.now()],
        )
    forged = Repayment.objects.get(seq__isnull=True)
    code, out = run_verify_audit()
    assert code == 1
    assert f"还款记录：1 条记录未入链（绕过审计写入）：#{forged.pk}" in out


def test_a_recovery_takes_the_chain_heads_in_lock_order(world, settings):
    # append() raises when a head is taken after a later one in LOCK_ORDER (ledger entry → recovery →
    # loan event); the recovery posts its ledger entry first and writes its loan event last.
    settings.IPFUND_CHECK_LOCK_ORDER = True
    loan = compensated(world)
    recovery = services.recovery_record(by=world.bank1_user, loan_id=loan.pk, **{"date": TODAY, "amount": "10.00"})
    assert recovery.seq == 1 and loan.events.filter(kind="recovery").exists()
