"""Every write of the funding app: one use case per function, one transaction each.

Lock order is always application → budget. Budget services live in ``funding.budgets`` and
documents in ``funding.documents``; both are re-exported here so callers need one import.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid, NotAllowed, NotFound
from applicants.models import Applicant, Bank, Role, User

from . import audit, ledger, notify
from .budgets import budget_adjust, budget_allocate, program_update  # noqa: F401  re-exported
from .documents import document_attach  # noqa: F401  re-exported
from .models import Application, Budget, EntryKind, LedgerEntry, PatentClaim, Program, Review, ReviewAssignment
from .programs import handler_for
from .rules import money
from .selectors import is_visible
from .workflow import COMMENT_REQUIRED, RELEASING_STATES, State, Transition, may_take, workflow_for


def _program_for(applicant: Applicant, code: str) -> Program:
    program = Program.objects.filter(region_id=applicant.region_id, code=code).select_related("region").first()
    if program is None:
        raise Invalid(_("本地区没有代码为 %(code)s 的资金项目") % {"code": code}, field="program")
    return program


def application_create(*, by: User, program_code: str, title: str, requested_amount: Decimal | None = None,
                       details: dict, fiscal_year: int | None = None, applicant: Applicant | None = None,
                       claimant_bank: Bank | None = None) -> Application:
    applicant = applicant or by.applicant
    if applicant is None:
        raise NotAllowed(_("当前账号未关联申请主体，不能申报"))
    program = _program_for(applicant, program_code)
    workflow = workflow_for(program.code)
    if workflow.claimant == "bank":
        if claimant_bank is None:
            raise Invalid(_("该项目须由合作银行申请"), field="claimant_bank")
        if not (by.has_role(Role.ADMIN, Role.FIN_CENTER) or (by.has_role(Role.BANK) and by.bank_id == claimant_bank.pk)):
            raise NotAllowed(_("只有该银行的用户可以提出此申请"))
    else:
        claimant_bank = None
        if not (by.has_role(Role.ADMIN) or (by.has_role(Role.APPLICANT) and by.applicant_id == applicant.pk)):
            raise NotAllowed(_("只有申请主体本身可以申报"))
    if not program.is_open:
        raise Conflict(_("资金项目「%(name)s」目前不接受申报") % {"name": program.name_zh}, code="program_closed")
    title = (title or "").strip()
    if not title:
        raise Invalid(_("请填写项目名称"), field="title")
    requested = money(requested_amount, "requested_amount", required=False)
    handler = handler_for(program.code)
    year = fiscal_year or timezone.localdate().year
    with transaction.atomic():
        app = Application.objects.create(
            program=program, applicant=applicant, claimant_bank=claimant_bank, fiscal_year=year, title=title[:200],
            requested_amount=requested or Decimal("0.01"), created_by=by if by.pk else None,
        )
        _store_details(app, handler, details or {}, requested, by=by)
    return app


def _store_details(app: Application, handler, details: dict, requested: Decimal | None, *, by) -> None:
    app.requested_by_claimant = requested  # transient: what the claimant asked for (None = leave it to the rule)
    handler.create_details(app, dict(details), by=by)
    computed = handler.computed_amount(app)
    if computed is not None:
        if computed <= 0:
            raise Invalid(_("按规则计算的资助金额为 0，不能申请"), field="requested_amount")
        app.requested_amount = computed
    elif requested is None:
        raise Invalid(_("请填写申请金额"), field="requested_amount")
    Application.objects.filter(pk=app.pk).update(requested_amount=app.requested_amount)


def application_update_draft(*, application_id: int, by: User, title: str | None = None,
                             requested_amount: Decimal | None = None, details: dict | None = None) -> Application:
    with transaction.atomic():
        app = _locked(application_id, by)
        if not may_take(Transition.SUBMIT, app, by):
            raise NotAllowed(_("只有申请人可以修改申请"))
        if app.state not in (State.DRAFT, State.RETURNED):
            raise Conflict(_("只有草稿或退回补正的申请可以修改"), code="invalid_state")
        requested = money(requested_amount, "requested_amount", required=False)
        if title is not None:
            if not title.strip():
                raise Invalid(_("请填写项目名称"), field="title")
            app.title = title.strip()[:200]
        if requested is not None:
            app.requested_amount = requested
        Application.objects.filter(pk=app.pk).update(title=app.title, requested_amount=app.requested_amount)
        if details is not None:
            _store_details(app, handler_for(app.program.code), details, requested, by=by)
    return app


def _locked(application_id: int, by: User) -> Application:
    app = Application.objects.select_for_update().filter(pk=application_id).first()
    if app is None or not is_visible(by, app):
        raise NotFound(_("申请不存在"))
    return app


def _check_may(app: Application, name: str, by: User):
    """403 for the role (before any state check), then 409 for the state, then 409 for conditions."""
    if name not in Transition.values:
        raise NotFound(_("没有名为 %(name)s 的操作") % {"name": name})
    method = getattr(app, name)
    if not may_take(name, app, by):
        raise NotAllowed(_("您的角色不能执行「%(name)s」") % {"name": Transition(name).label})
    meta = method._django_fsm
    if not meta.has_transition(app.state):
        raise Conflict(_("当前状态「%(state)s」不允许「%(name)s」")
                       % {"state": State(app.state).label, "name": Transition(name).label}, code="invalid_state")
    if not meta.has_transition_perm(app, app.state, by):  # django-fsm's permission= for this state
        raise NotAllowed(_("您的角色不能在此阶段执行「%(name)s」") % {"name": Transition(name).label})
    return method, meta


def _check_conditions(app: Application, meta) -> None:
    for condition in meta.get_transition(app.state).conditions or []:
        if not condition(app):
            raise Conflict(str(condition.message(app)), code=condition.code)


def application_transition(*, application_id: int, name: str, by: User, comment: str = "",
                           data: dict | None = None) -> Application:
    data = data or {}
    comment = (comment or "").strip()
    with transaction.atomic():
        app = _locked(application_id, by)
        method, meta = _check_may(app, name, by)
        if name in COMMENT_REQUIRED and not comment:
            raise Invalid(_("请填写意见（退回、不予通过、撤销须说明理由）"), field="comment")
        _check_conditions(app, meta)
        from_state = app.state
        handler = handler_for(app.program.code)
        if name == Transition.APPROVE:
            budget, amount = _approval_amount(app, data, handler)
            method(amount=amount)
        elif name == Transition.DISBURSE:
            budget, amount, voucher = _disbursement(app, data)
            method(amount=amount)
        else:
            if name == Transition.SEND_TO_REVIEW:
                _assign_experts(app, data.get("experts"))
            method()
        app.save()
        audit.record(app, transition=name, from_state=from_state, to_state=app.state, by=by, comment=comment)
        if name == Transition.APPROVE:
            ledger.post(budget=budget, kind=EntryKind.COMMIT, amount=amount, by=by, application=app,
                        memo=_("批准 #%(id)s") % {"id": app.pk})
        elif name == Transition.DISBURSE:
            ledger.post(budget=budget, kind=EntryKind.PAYMENT, amount=amount, by=by, application=app,
                        voucher_no=voucher, memo=_("拨付 #%(id)s") % {"id": app.pk})
            if app.state == State.DISBURSED:
                handler.on_disbursed(app)
        elif name == Transition.REVOKE:
            outstanding = ledger.application_balances(app.pk)["committed"]
            if outstanding > 0:
                ledger.post(budget=_budget_locked(app), kind=EntryKind.RELEASE, amount=outstanding, by=by,
                            application=app, memo=_("撤销批准 #%(id)s") % {"id": app.pk})
        if app.state in RELEASING_STATES:
            PatentClaim.objects.filter(application=app).update(live=False)
            handler.on_released(app)
        notify.after_commit(app, Transition(name).label, comment)
    return app


def _budget_locked(app: Application) -> Budget:
    budget = Budget.objects.select_for_update().filter(program_id=app.program_id, year=app.fiscal_year).first()
    if budget is None:
        raise Conflict(_("%(year)s 年度「%(program)s」尚无预算") % {"year": app.fiscal_year, "program": app.program.name_zh},
                       code="no_budget")
    return budget


def _approval_amount(app: Application, data: dict, handler) -> tuple[Budget, Decimal]:
    amount = money(data.get("approved_amount"), "approved_amount", required=False) or app.requested_amount
    if amount > app.requested_amount:
        raise Invalid(_("批准金额不能超过申请金额 %(req)s 元") % {"req": app.requested_amount}, field="approved_amount")
    cap = app.program.cap_per_project
    if cap is not None and amount > cap:
        raise Invalid(_("批准金额不能超过单项上限 %(cap)s 元") % {"cap": cap}, field="approved_amount")
    budget = _budget_locked(app)
    available = ledger.budget_figures(budget).available
    if handler.cap_by_budget_room:
        amount = min(amount, available)
        if amount <= 0:
            raise Conflict(_("预算已用尽：可用余额 0 元"), code="budget_exhausted")
    elif amount > available:
        raise Conflict(_("预算余额不足：%(year)s 年度可用 %(available)s 元，不足以批准 %(amount)s 元")
                       % {"year": budget.year, "available": available, "amount": amount}, code="budget_exhausted")
    return budget, amount


def _disbursement(app: Application, data: dict) -> tuple[Budget, Decimal, str]:
    amount = money(data.get("amount"), "amount")
    voucher = str(data.get("voucher_no") or "").strip()
    if not voucher:
        raise Invalid(_("请填写凭证号"), field="voucher_no")
    if len(voucher) > 40:
        raise Invalid(_("凭证号最多 40 个字符"), field="voucher_no")
    outstanding = app.outstanding_amount
    if amount > outstanding:
        raise Conflict(_("拨付金额 %(amount)s 元超过未拨付的批准金额 %(left)s 元") % {"amount": amount, "left": outstanding},
                       code="over_disbursement")
    share = app.program.first_tranche_share
    if share < 1 and not app.accepted_after_completion:
        limit = (app.approved_amount * share).quantize(Decimal("0.01"))
        if app.disbursed_amount + amount > limit:
            raise Conflict(
                _("验收前最多拨付批准金额的 %(pct)s%%（%(limit)s 元），已拨付 %(paid)s 元；其余须验收后拨付")
                % {"pct": (share * 100).normalize(), "limit": limit, "paid": app.disbursed_amount},
                code="tranche_limit")
    if LedgerEntry.objects.filter(voucher_no=voucher).exists():
        raise Conflict(_("凭证号 %(no)s 已使用") % {"no": voucher}, code="duplicate_voucher")
    return _budget_locked(app), amount, voucher


def _assign_experts(app: Application, usernames) -> None:
    experts = User.objects.filter(groups__name=Role.EXPERT, is_active=True, region_id=app.program.region_id)
    if usernames:
        if not isinstance(usernames, list | tuple) or not all(isinstance(u, str) for u in usernames):
            raise Invalid(_("experts 应为专家用户名列表"), field="experts")
        chosen = list(experts.filter(username__in=usernames))
        unknown = sorted(set(usernames) - {u.username for u in chosen})
        if unknown:
            raise Invalid(_("不是本地区的在职评审专家：%(names)s") % {"names": "、".join(unknown)}, field="experts")
        tied = [u.username for u in chosen if u.applicant_id == app.applicant_id]
        if tied:
            raise Invalid(_("专家与申请单位存在关联，须回避：%(names)s") % {"names": "、".join(tied)}, field="experts")
    else:
        chosen = list(experts.exclude(applicant_id=app.applicant_id).distinct())
    if len(chosen) < app.program.min_reviews:
        raise Conflict(_("可分配的评审专家 %(have)d 名，少于所需的 %(need)d 名")
                       % {"have": len(chosen), "need": app.program.min_reviews}, code="not_enough_experts")
    for expert in chosen:
        ReviewAssignment.objects.get_or_create(application=app, expert=expert)


def review_submit(*, application_id: int, by: User, score: int, recommended_amount: Decimal,
                  comment: str = "") -> Review:
    with transaction.atomic():
        app = _locked(application_id, by)
        if not by.has_role(Role.EXPERT):
            raise NotAllowed(_("只有评审专家可以评审"))
        if by.applicant_id is not None and by.applicant_id == app.applicant_id:
            raise NotAllowed(_("您与申请单位存在关联，须回避"))
        if not ReviewAssignment.objects.filter(application=app, expert=by).exists():
            raise NotAllowed(_("该申请未分配给您评审"))
        if app.state != State.UNDER_REVIEW:
            raise Conflict(_("该申请当前不在专家评审阶段"), code="invalid_state")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            raise Invalid(_("评分应为 0–100 的整数"), field="score")
        amount = money(recommended_amount, "recommended_amount", allow_zero=True)
        if amount > app.requested_amount:
            raise Invalid(_("建议金额不能超过申请金额 %(req)s 元") % {"req": app.requested_amount},
                          field="recommended_amount")
        if Review.objects.filter(application=app, expert=by).exists():
            raise Conflict(_("您已评审过该申请"), code="already_reviewed")
        try:
            with transaction.atomic():
                return Review.objects.create(application=app, expert=by, score=score, recommended_amount=amount,
                                             comment=comment or "")
        except IntegrityError:
            raise Conflict(_("您已评审过该申请"), code="already_reviewed") from None


def application_mark_completed(*, application_id: int, by: User) -> Application:
    """验收: an approved project passed its acceptance check; later tranches may be paid."""
    with transaction.atomic():
        app = _locked(application_id, by)
        if not may_take(Transition.DISBURSE, app, by):
            raise NotAllowed(_("只有财政局可以登记验收"))
        if app.state != State.APPROVED:
            raise Conflict(_("只有已批准的项目可以验收"), code="invalid_state")
        Application.objects.filter(pk=app.pk).update(accepted_after_completion=True)
        app.accepted_after_completion = True
    return app
