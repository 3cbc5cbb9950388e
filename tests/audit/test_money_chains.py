"""Issue #10: every money row is in an audit chain, and a direct SQL insert, edit or delete of one
is reported by verify_audit (the ledger balances after each of these, so verify_ledger cannot)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from core import audit_chain
from funding import audit, ledger, services
from funding.models import EntryKind, LedgerEntry, Program, ProgramRuleChange, TransitionLog
from funding.program_rules import program_update
from funding.verify import ledger_violations
from tests.audit.helpers import approved_subsidy, findings, run_verify_audit
from tests.funding.helpers import step

pytestmark = pytest.mark.django_db


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def test_money_tables_are_chained(world):
    approved_subsidy(world)
    names = {chain.name for chain in audit_chain.registered()}
    assert {"transition_log", "ledger_entry", "program_rule", "loan_event"} <= names
    assert LedgerEntry.objects.filter(seq__isnull=True).count() == 0
    assert findings() == []


def test_an_allocation_raised_in_sql_is_found(world):
    allocation = LedgerEntry.objects.filter(kind="allocation").order_by("id").first()
    _sql(f"UPDATE {_table(LedgerEntry)} SET amount = amount + 3000000 WHERE id = %s", [allocation.pk])
    assert ledger_violations() == []  # still balanced: only the chain can tell
    code, out = run_verify_audit()
    assert code == 1 and f"#{allocation.pk}" in out and "篡改" in out


def test_a_ledger_entry_deleted_in_sql_is_found(world):
    app = approved_subsidy(world)
    commit = LedgerEntry.objects.get(application=app, kind="commit")
    _sql(f"DELETE FROM {_table(LedgerEntry)} WHERE id = %s", [commit.pk])
    assert any("删除" in finding for finding in findings())


def test_a_ledger_entry_inserted_in_sql_is_found(world):
    budget = world.budgets["application_subsidy"]
    _sql(f"INSERT INTO {_table(LedgerEntry)} (budget_id, kind, debit_account, credit_account, amount, memo, "
         "booked_on, created_at) VALUES (%s, 'allocation', 'available', 'source', 3000000, '', '2026-01-01', "
         "'2026-01-01 00:00:00')", [budget.pk])
    assert any("未入链" in finding for finding in findings())


def test_transition_rows_carry_their_money_and_an_edit_of_it_is_found(world):
    app = approved_subsidy(world)
    step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "PZ-77"})
    rows = {row.transition: row for row in TransitionLog.objects.filter(application=app)}
    assert rows["approve"].amount == Decimal("1000.00")
    assert (rows["disburse"].amount, rows["disburse"].voucher_no) == (Decimal("1000.00"), "PZ-77")
    assert findings() == []
    TransitionLog.objects.filter(pk=rows["disburse"].pk).update(voucher_no="PZ-78")
    assert any(f"#{rows['disburse'].pk}" in finding for finding in findings())


def test_a_rule_change_rewritten_in_sql_is_found(world):
    program_update(by=world.admin, code="industrialization", changes={"cap_per_project": "450000.00"})
    change = ProgramRuleChange.objects.get()
    assert findings() == []
    ProgramRuleChange.objects.filter(pk=change.pk).update(new_value="4500000.00")
    assert any(f"#{change.pk}" in finding for finding in findings())


def test_the_acceptance_check_is_a_chained_audit_row_with_its_grade(world):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(first_tranche_share="0.5000")
    app = approved_subsidy(world)
    services.document_attach(application_id=app.pk, by=world.applicant1, kind="验收报告",
                             uploaded_file=SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%x\n"))
    step(app, "submit_completion", world.applicant1)
    step(app, "pass_completion", world.clerk, data={"grade": "good"})
    row = TransitionLog.objects.get(application=app, transition="pass_completion")
    assert (row.by, row.to_state, row.detail) == (world.clerk, "completed", {"grade": "good"})
    assert row.seq is not None and findings() == []
    TransitionLog.objects.filter(pk=row.pk).update(detail={"grade": "excellent"})
    assert any(f"#{row.pk}" in finding for finding in findings())


def test_chain_heads_are_taken_in_lock_order(world, settings):
    settings.IPFUND_CHECK_LOCK_ORDER = True
    app = approved_subsidy(world)
    with pytest.raises(RuntimeError, match="LOCK_ORDER"), transaction.atomic():
        ledger.post(budget=world.budgets["application_subsidy"], kind=EntryKind.ADJUSTMENT, amount=Decimal("1.00"))
        audit.record(app, transition="approve", from_state="approved", to_state="approved", by=world.finance)
