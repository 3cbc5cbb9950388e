"""Budget and program services: allocation, adjustments (追加/调减), program rules."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid, NotAllowed
from applicants.models import Role, User
from core.money import format_money

from . import ledger
from .models import Budget, EntryKind, LedgerEntry, Program
from .program_rules import _program, program_update, require_rule_editor  # noqa: F401  re-exported
from .rules import money
from .ruleset import EDITABLE_PROGRAM_FIELDS  # noqa: F401  re-exported


def budget_allocate(*, by: User | None, program: Program, year: int, amount: Decimal, memo: str = "") -> Budget:
    """The year's opening allocation (年初预算); creates the budget if needed."""
    amount = money(amount, "amount")
    with transaction.atomic():
        budget, _created = Budget.objects.get_or_create(program=program, year=year)
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        ledger.post(budget=budget, kind=EntryKind.ALLOCATION, amount=amount, by=by, memo=memo or _("年初预算"))
    return budget


def require_budget_adjuster(user: User) -> None:
    """Who adjusts budgets (403 before anything else is looked at): finance and the fund administrator."""
    if not user.has_role(Role.FINANCE, Role.ADMIN):
        raise NotAllowed(_("只有财政局或资金管理员可以调整预算"))


def budget_adjust(*, by: User, program_code: str, year: int, amount: Decimal, reason: str) -> LedgerEntry:
    """A top-up (positive) or a cut (negative); a cut may not make the available balance negative."""
    require_budget_adjuster(by)
    amount = money(amount, "amount", positive=False)
    if amount == 0:
        raise Invalid(_("调整金额不能为 0"), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请填写调整理由"), field="reason")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid(_("年度应为 2000–2100 之间的整数"), field="year")
    program = _program(by, program_code)
    with transaction.atomic():
        budget, _created = Budget.objects.get_or_create(program=program, year=year)
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        if amount < 0:
            figures = ledger.budget_figures(budget)
            if -amount > figures.available:
                raise Conflict(
                    _("调减 %(cut)s 超过可用余额 %(available)s（已分配 %(allocated)s，已承诺 %(committed)s，"
                      "已拨付 %(paid)s）") % {"cut": format_money(-amount), "available": format_money(figures.available),
                                           "allocated": format_money(figures.allocated),
                                           "committed": format_money(figures.committed),
                                           "paid": format_money(figures.disbursed)},
                    code="budget_cut_too_deep")
        return ledger.post(budget=budget, kind=EntryKind.ADJUSTMENT, amount=amount, by=by, memo=reason)
