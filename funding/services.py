"""Every write of the funding app: one use case per function, one transaction each.

Lock order is always application → budget. Budget services live in ``funding.budgets`` and
documents in ``funding.documents``; both are re-exported here so callers need one import.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid, NotAllowed, NotFound
from applicants.models import Applicant, Bank, Role, User
from core.money import CENT, ZERO, format_money, format_percent, quantize
from core.text import clean_text

from . import audit, bounds, ledger, notify
from .budgets import budget_adjust, budget_allocate, program_update  # noqa: F401  re-exported
from .documents import document_attach  # noqa: F401  re-exported
from .models import Application, Budget, EntryKind, LedgerEntry, PatentClaim, Program, Review, ReviewAssignment
from .programs import handler_for
from .rules import money
from .ruleset import RuleSet
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
    title = clean_text(title, "title", max_length=200, required=True, label=_("项目名称"))
    requested = money(requested_amount, "requested_amount", required=False)
    handler = handler_for(program.code)
    year = fiscal_year or timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid(_("资金年度应为 2000–2100 之间的整数"), field="fiscal_year")
    with transaction.atomic():
        app = Application.objects.create(
            program=program, applicant=applicant, claimant_bank=claimant_bank, fiscal_year=year, title=title,
            requested_amount=requested or CENT, created_by=by if by.pk else None,
        )
        handler.create_details(app, dict(details or {}), by=by)
        _settle_request(app, handler, requested, current=None)
    return app


def _settle_request(app: Application, handler, requested: Decimal | None, *, current: Decimal | None) -> None:
    """After every edit of a draft: store only a request the rules would give (400 otherwise).

    ``requested`` is what the claimant sent now (None: not sent); ``current`` the stored request
    (None at creation). Formula programs take the rule amount (a request above it is a 400: the
    rule wins); others must ask, and the rule and caps bound the request.
    """
    rules = app.rules
    rule = handler.rule_amount(app)
    yearly = bounds.yearly_limit(app)
    if handler.formula:
        if rule is None or rule <= 0:
            raise Invalid(_("按规则计算的资助金额为 0，不能申请"), field="requested_amount")
        if requested is not None and requested > rule:
            raise Invalid(_("申请金额 %(x)s 超过按规则计算的金额 %(rule)s") % {"x": format_money(requested),
                                                                    "rule": format_money(rule)},
                          field="requested_amount")
        amount = rule
        if rules.cap_per_project is not None:
            amount = min(amount, rules.cap_per_project)
        if yearly is not None:
            if yearly.amount <= 0:
                raise Conflict(_("已达到本项目每主体每年上限 %(cap)s，本年度不能再申请")
                               % {"cap": format_money(rules.cap_per_applicant_year)}, code="above_yearly_cap")
            amount = min(amount, yearly.amount)
    else:
        amount = requested if requested is not None else current
        if amount is None:
            raise Invalid(_("请填写申请金额"), field="requested_amount")
        if rules.cap_per_project is not None and amount > rules.cap_per_project:
            raise Invalid(_("申请金额 %(x)s 超过单项上限 %(cap)s") % {"x": format_money(amount),
                                                             "cap": format_money(rules.cap_per_project)},
                          field="requested_amount")
        if rule is not None and amount > rule:
            raise Invalid(_("申请金额 %(x)s 不得超过总投资减自筹资金（%(gap)s）")
                          % {"x": format_money(amount), "gap": format_money(rule)}, field="requested_amount")
        if yearly is not None and amount > yearly.amount:
            raise Invalid(_("申请金额超过本年度每主体上限的剩余额度：%(limit)s") % {"limit": yearly.label},
                          field="requested_amount")
    app.requested_amount = amount
    Application.objects.filter(pk=app.pk).update(requested_amount=amount)


def application_update_draft(*, application_id: int, by: User, title: str | None = None,
                             requested_amount: Decimal | None = None, details: dict | None = None) -> Application:
    """Edit a draft or a returned case; the program's handler runs again on every edit."""
    with transaction.atomic():
        app = _locked(application_id, by)
        if not may_take(Transition.SUBMIT, app, by):
            raise NotAllowed(_("只有申请人可以修改申请"))
        if app.state not in (State.DRAFT, State.RETURNED):
            raise Conflict(_("只有草稿或退回补正的申请可以修改"), code="invalid_state")
        requested = money(requested_amount, "requested_amount", required=False)
        if title is not None:
            app.title = clean_text(title, "title", max_length=200, required=True, label=_("项目名称"))
            Application.objects.filter(pk=app.pk).update(title=app.title)
        handler = handler_for(app.program.code)
        if details:
            handler.create_details(app, dict(details), by=by)
        _settle_request(app, handler, requested, current=app.requested_amount)
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


# --- what each transition needs before it runs, and what it does after (one table each) --------

@dataclass
class Step:
    """What a transition's preparation settled: the fsm method's arguments and the money involved."""

    kwargs: dict = field(default_factory=dict)
    amount: Decimal | None = None
    voucher: str | None = None
    budget: Budget | None = None


# The body fields each transition takes besides ``comment``; any other is a 400 naming it.
TRANSITION_FIELDS: dict[str, frozenset[str]] = {
    Transition.APPROVE: frozenset({"approved_amount"}),
    Transition.DISBURSE: frozenset({"amount", "voucher_no"}),
    Transition.SEND_TO_REVIEW: frozenset({"experts"}),
}


def _prepare_submit(app: Application, data: dict, by: User) -> Step:
    if app.frozen_rules is None:  # a resubmission after a return keeps the rules of the first submission
        app.frozen_rules = RuleSet.of_program(app.program).as_json()
    handler = handler_for(app.program.code)
    if app.rules.cap_per_applicant_year is not None:
        bounds.lock_applicant(app)
    if handler.formula:  # re-derived under the rules frozen now
        rule = handler.rule_amount(app) or ZERO
        app.requested_amount = min(app.requested_amount, rule)
        if app.requested_amount <= 0:
            raise Conflict(_("按提交时的规则计算，可申请金额为 0"), code="above_rule_amount")
    bounds.check_request_within_year(app)
    return Step(amount=app.requested_amount)


def _prepare_send_to_review(app: Application, data: dict, by: User) -> Step:
    app.review_round += 1  # each entry to review is a new round; only its reviews count
    _assign_experts(app, data.get("experts"))
    return Step()


def _prepare_approve(app: Application, data: dict, by: User) -> Step:
    asked = money(data.get("approved_amount"), "approved_amount", required=False)
    if app.rules.cap_per_applicant_year is not None:
        bounds.lock_applicant(app)
    budget = _budget_locked(app)
    available = ledger.budget_figures(budget).available
    amount = bounds.approval_amount(app, asked=asked, available=available, year=budget.year,
                                    partial_by_budget=handler_for(app.program.code).cap_by_budget_room)
    return Step(kwargs={"amount": amount}, amount=amount, budget=budget)


def _prepare_disburse(app: Application, data: dict, by: User) -> Step:
    amount = money(data.get("amount"), "amount")
    voucher = clean_text(data.get("voucher_no"), "voucher_no", max_length=40, required=True, label=_("凭证号"))
    outstanding = app.outstanding_amount
    if amount > outstanding:
        raise Conflict(_("拨付金额 %(amount)s 超过未拨付的批准金额 %(left)s")
                       % {"amount": format_money(amount), "left": format_money(outstanding)}, code="over_disbursement")
    share = app.rules.first_tranche_share
    if share < 1 and not app.accepted_after_completion:
        limit = quantize(app.approved_amount * share)
        if app.disbursed_amount + amount > limit:
            raise Conflict(
                _("验收前最多拨付批准金额的 %(pct)s（%(limit)s），已拨付 %(paid)s；其余须验收后拨付")
                % {"pct": format_percent(share), "limit": format_money(limit),
                   "paid": format_money(app.disbursed_amount)},
                code="tranche_limit")
    if LedgerEntry.objects.filter(voucher_no=voucher).exists():
        raise Conflict(_("凭证号 %(no)s 已使用") % {"no": voucher}, code="duplicate_voucher")
    return Step(kwargs={"amount": amount}, amount=amount, voucher=voucher, budget=_budget_locked(app))


def _prepare_revoke(app: Application, data: dict, by: User) -> Step:
    # The budget is locked before the audit row: application → budget → chain heads, as everywhere.
    budget = _budget_locked(app)
    return Step(amount=ledger.application_balances(app.pk)["committed"], budget=budget)


PREPARE = {
    Transition.SUBMIT: _prepare_submit,
    Transition.SEND_TO_REVIEW: _prepare_send_to_review,
    Transition.APPROVE: _prepare_approve,
    Transition.DISBURSE: _prepare_disburse,
    Transition.REVOKE: _prepare_revoke,
}


def _commit(app: Application, step: Step, by: User) -> None:
    ledger.post(budget=step.budget, kind=EntryKind.COMMIT, amount=step.amount, by=by, application=app,
                memo=_("批准 #%(id)s") % {"id": app.pk})


def _pay(app: Application, step: Step, by: User) -> None:
    ledger.post(budget=step.budget, kind=EntryKind.PAYMENT, amount=step.amount, by=by, application=app,
                voucher_no=step.voucher, memo=_("拨付 #%(id)s") % {"id": app.pk})


def _complete_when_paid(app: Application, step: Step, by: User) -> None:
    if app.state == State.DISBURSED:
        handler_for(app.program.code).on_disbursed(app, by=by)


def _release(app: Application, step: Step, by: User) -> None:
    if step.amount and step.amount > 0:
        ledger.post(budget=step.budget, kind=EntryKind.RELEASE, amount=step.amount, by=by, application=app,
                    memo=_("撤销批准 #%(id)s") % {"id": app.pk})


EFFECTS = {
    Transition.APPROVE: (_commit,),
    Transition.DISBURSE: (_pay, _complete_when_paid),
    Transition.REVOKE: (_release,),
}


def application_transition(*, application_id: int, name: str, by: User, comment: str = "",
                           data: dict | None = None) -> Application:
    """The one way a case changes state: checks (403, 409, conditions), then in one transaction the
    fsm transition, the save, the chained audit row with its money, the ledger effects and hooks.

    Lock order: application → applicant (yearly cap) → the handler's rows (loan) → budget → chain heads.
    """
    data = dict(data or {})
    comment = clean_text(comment, "comment", max_length=2000)
    with transaction.atomic():
        app = _locked(application_id, by)
        method, meta = _check_may(app, name, by)
        extra = sorted(set(data) - TRANSITION_FIELDS.get(name, frozenset()))
        if extra:
            raise Invalid(errors={key: [_("「%(name)s」不接受此字段") % {"name": Transition(name).label}]
                                  for key in extra})
        if name in COMMENT_REQUIRED and not comment:
            raise Invalid(_("请填写意见（退回、不予通过、撤销须说明理由）"), field="comment")
        _check_conditions(app, meta)
        handler = handler_for(app.program.code)
        handler.lock_related(app)
        step = PREPARE.get(name, lambda *_args: Step())(app, data, by)
        from_state = app.state
        method(**step.kwargs)
        app.save()
        audit.record(app, transition=name, from_state=from_state, to_state=app.state, by=by, comment=comment,
                     amount=step.amount, voucher_no=step.voucher)
        for effect in EFFECTS.get(name, ()):
            effect(app, step, by)
        if app.state in RELEASING_STATES:
            PatentClaim.objects.filter(application=app).update(live=False)
            handler.on_released(app, by=by)
        notify.after_commit(app, Transition(name).label, comment)
    return app


def _budget_locked(app: Application) -> Budget:
    budget = Budget.objects.select_for_update().filter(program_id=app.program_id, year=app.fiscal_year).first()
    if budget is None:
        raise Conflict(_("%(year)s 年度「%(program)s」尚无预算") % {"year": app.fiscal_year, "program": app.program.name_zh},
                       code="no_budget")
    return budget


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
    need = app.rules.min_reviews
    if len(chosen) < need:
        raise Conflict(_("可分配的评审专家 %(have)d 名，少于所需的 %(need)d 名")
                       % {"have": len(chosen), "need": need}, code="not_enough_experts")
    for expert in chosen:
        ReviewAssignment.objects.get_or_create(application=app, expert=expert, round=app.review_round)


def review_submit(*, application_id: int, by: User, score: int, recommended_amount: Decimal,
                  comment: str = "") -> Review:
    with transaction.atomic():
        app = _locked(application_id, by)
        if not by.has_role(Role.EXPERT):
            raise NotAllowed(_("只有评审专家可以评审"))
        if by.applicant_id is not None and by.applicant_id == app.applicant_id:
            raise NotAllowed(_("您与申请单位存在关联，须回避"))
        if not ReviewAssignment.objects.filter(application=app, expert=by, round=app.review_round).exists():
            raise NotAllowed(_("该申请本轮未分配给您评审"))
        if app.state != State.UNDER_REVIEW:
            raise Conflict(_("该申请当前不在专家评审阶段"), code="invalid_state")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            raise Invalid(_("评分应为 0–100 的整数"), field="score")
        amount = money(recommended_amount, "recommended_amount", allow_zero=True)
        if amount > app.requested_amount:
            raise Invalid(_("建议金额不能超过申请金额 %(req)s") % {"req": format_money(app.requested_amount)},
                          field="recommended_amount")
        comment = clean_text(comment, "comment", max_length=4000)
        if Review.objects.filter(application=app, expert=by, round=app.review_round).exists():
            raise Conflict(_("您已评审过本轮"), code="already_reviewed")
        try:
            with transaction.atomic():
                return Review.objects.create(application=app, expert=by, round=app.review_round, score=score,
                                             recommended_amount=amount, comment=comment)
        except IntegrityError:
            raise Conflict(_("您已评审过本轮"), code="already_reviewed") from None


def application_mark_completed(*, application_id: int, by: User) -> Application:
    """验收: an approved project passed its acceptance check; later tranches may be paid."""
    with transaction.atomic():
        app = _locked(application_id, by)
        if not may_take(Transition.DISBURSE, app, by):
            raise NotAllowed(_("只有财政局可以登记验收"))
        if app.state != State.APPROVED:
            raise Conflict(_("只有已批准的项目可以验收"), code="invalid_state")
        if app.accepted_after_completion:
            raise Conflict(_("该项目已登记验收"), code="already_completed")
        Application.objects.filter(pk=app.pk).update(accepted_after_completion=True)
        app.accepted_after_completion = True
        audit.record(app, transition=ACCEPTANCE, from_state=app.state, to_state=app.state, by=by,
                     comment=_("验收通过"))
    return app


ACCEPTANCE = "mark_completed"  # the audit row of 验收 (a real transition in the structure issue)
