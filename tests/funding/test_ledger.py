from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applicants.errors import Conflict
from funding import ledger, services
from funding.models import Application, EntryKind, LedgerEntry
from funding.verify import ledger_violations
from tests.funding.helpers import step, subsidy_app, to_approved


def test_allocation_shows_as_available(world):
    figures = ledger.budget_figures(world.budgets["application_subsidy"])
    assert figures.allocated == Decimal("1000000.00")
    assert figures.available == Decimal("1000000.00")
    assert figures.committed == figures.disbursed == Decimal("0.00")


def test_approval_commits_and_payment_pays(world):
    app = to_approved(world, subsidy_app(world))
    step(app, "disburse", world.finance, data={"amount": "400.00", "voucher_no": "PZ-1"})
    figures = ledger.budget_figures(world.budgets["application_subsidy"])
    assert (figures.committed, figures.disbursed) == (Decimal("600.00"), Decimal("400.00"))
    assert figures.available == Decimal("999000.00")


def test_verify_ledger_is_clean_after_a_full_cycle(world, capsys):
    app = to_approved(world, subsidy_app(world))
    step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "PZ-2"})
    assert ledger_violations() == []
    call_command("verify_ledger")
    assert "无误" in capsys.readouterr().out


def _fails_with(fragment: str, capsys) -> None:
    with pytest.raises(CommandError) as exc:
        call_command("verify_ledger")
    assert exc.value.returncode == 1
    assert fragment in capsys.readouterr().out


def test_verify_ledger_detects_negative_available(world, capsys):
    budget = world.budgets["patent_award"]
    LedgerEntry.objects.create(budget=budget, kind=EntryKind.COMMIT, debit_account="committed",
                               credit_account="available", amount=Decimal("2000000.00"))
    _fails_with("可用余额为负", capsys)


def test_verify_ledger_detects_negative_committed(world, capsys):
    budget = world.budgets["patent_award"]
    LedgerEntry.objects.create(budget=budget, kind=EntryKind.RELEASE, debit_account="available",
                               credit_account="committed", amount=Decimal("10.00"))
    _fails_with("已承诺为负", capsys)


def test_verify_ledger_detects_an_unbalanced_entry(world, capsys):
    entry = LedgerEntry.objects.filter(budget=world.budgets["patent_award"]).first()
    LedgerEntry.objects.filter(pk=entry.pk).update(debit_account="bogus")
    _fails_with("不平衡", capsys)


def test_verify_ledger_detects_paid_cache_drift(world, capsys):
    app = to_approved(world, subsidy_app(world))
    Application.objects.filter(pk=app.pk).update(disbursed_amount=Decimal("10.00"))
    _fails_with("申请记录的已拨付", capsys)


def test_verify_ledger_detects_commitment_not_matching_approval(world, capsys):
    app = to_approved(world, subsidy_app(world))
    Application.objects.filter(pk=app.pk).update(approved_amount=Decimal("900.00"))
    _fails_with("≠ 批准金额", capsys)


def test_verify_ledger_detects_money_held_by_a_rejected_application(world, capsys):
    app = to_approved(world, subsidy_app(world))
    Application.objects.filter(pk=app.pk).update(state="rejected")
    _fails_with("应为 0", capsys)


def test_verify_ledger_detects_payment_beyond_approval(world, capsys):
    app = to_approved(world, subsidy_app(world))
    LedgerEntry.objects.create(budget=world.budgets["application_subsidy"], application=app,
                               kind=EntryKind.PAYMENT, debit_account="paid", credit_account="committed",
                               amount=Decimal("1500.00"))
    _fails_with("超过批准金额", capsys)


def test_cut_below_committed_and_paid_is_a_conflict(world):
    with pytest.raises(Conflict) as exc:
        services.budget_adjust(by=world.finance, program_code="patent_award", year=world.year,
                               amount=Decimal("-1000000.01"), reason="调减")
    assert exc.value.code == "budget_cut_too_deep"


def test_revocation_releases_the_commitment(world):
    app = to_approved(world, subsidy_app(world))
    step(app, "revoke", world.finance, comment="材料造假")
    figures = ledger.budget_figures(world.budgets["application_subsidy"])
    assert figures.committed == Decimal("0.00") and figures.available == Decimal("1000000.00")
    assert ledger_violations() == []
