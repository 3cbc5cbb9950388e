"""Budget and program services: allocation, adjustments (追加/调减), program rules."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid, NotAllowed
from applicants.models import Role, User

from . import ledger
from .models import Budget, EntryKind, LedgerEntry, Program
from .rules import money

# Program fields that PATCH /programs/{code}/ and the admin may change.
EDITABLE_PROGRAM_FIELDS = (
    "name_zh", "name_en", "description", "is_open", "publicity_days", "expert_review", "min_reviews",
    "cap_per_project", "cap_per_applicant_year", "subsidy_standards", "fee_share", "grant_years_back",
    "award_levels", "first_tranche_share", "interest_ratio", "risk_share", "required_documents",
)


def _program(by: User, code: str) -> Program:
    qs = Program.objects.filter(code=code)
    if by.region_id:
        qs = qs.filter(region_id=by.region_id)
    program = qs.first()
    if program is None:
        raise Invalid(_("没有代码为 %(code)s 的资金项目") % {"code": code}, field="program")
    return program


def budget_allocate(*, by: User | None, program: Program, year: int, amount: Decimal, memo: str = "") -> Budget:
    """The year's opening allocation (年初预算); creates the budget if needed."""
    amount = money(amount, "amount")
    with transaction.atomic():
        budget, _created = Budget.objects.get_or_create(program=program, year=year)
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        ledger.post(budget=budget, kind=EntryKind.ALLOCATION, amount=amount, by=by, memo=memo or _("年初预算"))
    return budget


def budget_adjust(*, by: User, program_code: str, year: int, amount: Decimal, reason: str) -> LedgerEntry:
    """A top-up (positive) or a cut (negative); a cut may not make the available balance negative."""
    if not by.has_role(Role.FINANCE, Role.ADMIN):
        raise NotAllowed(_("只有财政局或资金管理员可以调整预算"))
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
                    _("调减 %(cut)s 元超过可用余额 %(available)s 元（已分配 %(allocated)s，已承诺 %(committed)s，"
                      "已拨付 %(paid)s）") % {"cut": -amount, "available": figures.available,
                                           "allocated": figures.allocated, "committed": figures.committed,
                                           "paid": figures.disbursed},
                    code="budget_cut_too_deep")
        return ledger.post(budget=budget, kind=EntryKind.ADJUSTMENT, amount=amount, by=by, memo=reason)


def _check_rule_shapes(changes: dict) -> None:
    """JSON rules are read by the handlers: keep them in the shape they expect."""
    errors: dict[str, list[str]] = {}

    def amounts_ok(mapping) -> bool:
        if not isinstance(mapping, dict):
            return False
        for value in mapping.values():
            try:
                money(value, "x", allow_zero=True)
            except Invalid:
                return False
        return True

    if "subsidy_standards" in changes:
        value = changes["subsidy_standards"]
        if not isinstance(value, dict) or not all(amounts_ok(v) for v in value.values()):
            errors["subsidy_standards"] = [_("格式应为 {专利类型: {国家代码或\"*\": \"金额\"}}")]
    if "award_levels" in changes and not amounts_ok(changes["award_levels"]):
        errors["award_levels"] = [_("格式应为 {等级: \"金额\"}")]
    if "required_documents" in changes:
        value = changes["required_documents"]
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
            errors["required_documents"] = [_("应为材料类型名称的列表")]
    if errors:
        raise Invalid(errors=errors)


def program_update(*, by: User, code: str, changes: dict) -> Program:
    if not by.has_role(Role.ADMIN):
        raise NotAllowed(_("只有资金管理员可以修改项目规则"))
    unknown = sorted(set(changes) - set(EDITABLE_PROGRAM_FIELDS))
    if unknown:
        raise Invalid(errors={name: [_("该字段不可修改")] for name in unknown})
    _check_rule_shapes(changes)
    with transaction.atomic():
        program = _program(by, code)
        program = Program.objects.select_for_update().get(pk=program.pk)
        for name, value in changes.items():
            setattr(program, name, value)
        from django.core.exceptions import ValidationError

        try:
            program.full_clean()
        except ValidationError as exc:
            raise Invalid(errors={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
        program.save(update_fields=list(changes) or None)
    return program
