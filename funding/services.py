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
from core.money import CENT, format_money
from core.text import clean_text

from . import audit, bounds, clawbacks, effects, experts, inbox, notify, rule_versions
from .budgets import (  # noqa: F401  re-exported: callers need one import
    budget_adjust,
    budget_allocate,
    program_update,
    require_budget_adjuster,
    require_rule_editor,
)
from .documents import document_attach  # noqa: F401  re-exported
from .models import Application, PatentClaim, Program, Review, ReviewAssignment
from .programs import handler_for
from .rules import money
from .selectors import visibility_filter
from .workflow import (
    RELEASING_STATES,
    State,
    Transition,
    comment_required,
    fields_of,
    may_take,
    transition_named,
    workflow_for,
)


def _program_for(applicant: Applicant, code: str) -> Program:
    program = Program.objects.filter(region_id=applicant.region_id, code=code).select_related("region").first()
    if program is None:
        raise Invalid(_("本地区没有代码为 %(code)s 的资金项目") % {"code": code}, field="program")
    return program


def application_create(*, by: User, program_code: str, title: str, requested_amount: Decimal | None = None,
                       details: dict, fiscal_year: int | None = None, applicant: Applicant | None = None,
                       claimant_bank: Bank | None = None, auto_opened: bool = False,
                       auto_direct: bool = False) -> Application:
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
        # 免申即享 (pledges.auto_subsidy): the system opens the case for the enterprise, run by its intake role.
        opener = auto_opened and by.has_role(workflow.intake_role) and by.region_id == applicant.region_id
        if not (opener or by.has_role(Role.ADMIN) or (by.has_role(Role.APPLICANT) and by.applicant_id == applicant.pk)):
            raise NotAllowed(_("只有申请主体本身可以申报"))
    if not program.is_open:
        raise Conflict(_("资金项目「%(name)s」目前不接受申报") % {"name": program.name_zh}, code="program_closed")
    rule_versions.require_in_force(program)  # 409 program_ended, naming the basis and the date
    clawbacks.check_not_barred(applicant.pk, program.region_id)
    title = clean_text(title, "title", max_length=200, required=True, label=_("项目名称"))
    requested = money(requested_amount, "requested_amount", required=False)
    handler = handler_for(program.code)
    year = fiscal_year or handler.default_fiscal_year(dict(details or {})) or timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid(_("资金年度应为 2000–2100 之间的整数"), field="fiscal_year")
    with transaction.atomic():
        app = Application.objects.create(
            program=program, applicant=applicant, claimant_bank=claimant_bank, fiscal_year=year, title=title,
            requested_amount=requested or CENT, created_by=by if by.pk else None, auto_opened=auto_opened,
            auto_direct=auto_opened and auto_direct,
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
        if app.rules.cap_per_applicant_year is not None:
            bounds.lock_applicant(app)  # edits of returned cases count against the yearly room: serialise them
        if details:
            handler.create_details(app, dict(details), by=by)
        _settle_request(app, handler, requested, current=app.requested_amount)
    return app


def _locked(application_id: int, by: User) -> Application:
    """The case, locked, with its program, applicant and claiming bank (what its API body shows), if
    ``by`` may see it (404 otherwise): one query, the case's row alone locked."""
    app = (Application.objects.select_for_update(of=("self",))
           .select_related("program", "applicant", "claimant_bank")
           .filter(visibility_filter(by), pk=application_id).first())
    if app is None:
        raise NotFound(_("申请不存在"))
    return app


def _check_may(app: Application, name: str, by: User):
    """403 for the role (before any state check), then 409 for the state, then 409 for conditions."""
    transition_named(name)
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


def _check_comment(app: Application, name: str, comment: str) -> None:
    if comment_required(app, name) and not comment:
        raise Invalid(_("请填写意见：「%(name)s」须说明理由") % {"name": Transition(name).label}, field="comment")


def check_transition(*, application: Application, name: str, by: User, comment: str = "") -> None:
    """The checks of ``application_transition`` without taking it, nothing locked (a page's
    confirmation step): 403 for the role, 409 for the state, 400 for a missing comment, 409 for the
    conditions. The transition itself checks all of them again under its locks."""
    _, meta = _check_may(application, name, by)
    _check_comment(application, name, clean_text(comment, "comment", max_length=2000))
    _check_conditions(application, meta)
    handler_for(application.program.code).refuse_transition(application, name)


def _check_conditions(app: Application, meta) -> None:
    for condition in meta.get_transition(app.state).conditions or []:
        if not condition(app):
            raise Conflict(str(condition.message(app)), code=condition.code)


def application_transition(*, application_id: int, name: str, by: User, comment: str = "",
                           data: dict | None = None) -> Application:
    """The one way a case changes state: checks (403, 409, conditions), then in one transaction the
    fsm transition, the save, the chained audit row with its money, the effects and hooks.

    Lock order: application → applicant (yearly cap) → the handler's rows (loan) → budget → chain heads.
    """
    data = dict(data or {})
    comment = clean_text(comment, "comment", max_length=2000)
    with transaction.atomic():
        app = _locked(application_id, by)
        method, meta = _check_may(app, name, by)
        extra = sorted(set(data) - fields_of(app, name))
        if extra:
            raise Invalid(errors={key: [_("「%(name)s」不接受此字段") % {"name": Transition(name).label}]
                                  for key in extra})
        _check_comment(app, name, comment)
        _check_conditions(app, meta)
        handler = handler_for(app.program.code)
        effects.lock(app, name)
        handler.refuse_transition(app, name)  # the program's own refusals, under the locks
        prepared = effects.prepare(app, name, data, by)
        from_state = app.state
        method(**prepared.kwargs)
        app.save()
        audit.record(app, transition=name, from_state=from_state, to_state=app.state, by=by, comment=comment,
                     amount=prepared.amount, voucher_no=prepared.voucher, detail=prepared.detail)
        effects.run_effects(app, name, prepared, by)
        if app.state in RELEASING_STATES:
            PatentClaim.objects.filter(application=app).update(live=False)
            handler.on_released(app, by=by)
        people = inbox.after_transition(app, Transition(name).label, by)
        notify.after_commit(app, Transition(name).label, comment, claimant_emails=people.claimant_emails)
    return app


def review_submit(*, application_id: int, by: User, score: int | None = None, recommended_amount: Decimal,
                  comment: str = "", item_scores: dict[str, int] | None = None) -> Review:
    """An expert's review of the current round. Under a case's 评分细则 (``rules.scoring_criteria``) the
    expert scores each item (0–its maximum) and the score is their sum, derived here: a ``score`` sent
    with them must equal it. Without criteria, one 0–100 ``score``."""
    with transaction.atomic():
        app = _locked(application_id, by)
        if not by.has_role(Role.EXPERT):
            raise NotAllowed(_("只有评审专家可以评审"))
        if experts.conflict_of(by, app):
            raise NotAllowed(_("您与申请单位存在关联，须回避"))
        if not ReviewAssignment.objects.filter(application=app, expert=by, round=app.review_round).exists():
            raise NotAllowed(_("该申请本轮未分配给您评审"))
        if app.state != State.UNDER_REVIEW:
            raise Conflict(_("该申请当前不在专家评审阶段"), code="invalid_state")
        items = _item_scores(app.rules.scoring_criteria, item_scores)
        if items is not None:
            total = sum(items.values())
            if score is not None and (isinstance(score, bool) or score != total):
                raise Invalid(_("总分 %(score)s 与各评分项之和 %(sum)d 不符（总分由各项相加得出，可不填）")
                              % {"score": score, "sum": total}, field="score")
            score = total
        elif isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
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
                return audit.record_review(app, expert=by, round=app.review_round, score=score,
                                           recommended_amount=amount, comment=comment, item_scores=items)
        except IntegrityError:
            raise Conflict(_("您已评审过本轮"), code="already_reviewed") from None


def _item_scores(criteria: list, given) -> dict[str, int] | None:
    """Each item's points under the case's criteria, in their order (None: the case has none); a 400
    naming the item that is missing, unknown or outside 0–its maximum."""
    if not criteria:
        if given:
            raise Invalid(_("本项目未设评分细则，请只填写评分"), field="item_scores")
        return None
    if not isinstance(given, dict):
        raise Invalid(_("本项目按评分细则逐项评分，请填写各评分项的得分"), field="item_scores")
    known = {item["key"] for item in criteria}
    unknown = sorted(str(key) for key in given if key not in known)
    if unknown:
        raise Invalid(errors={f"item_scores.{key[:40]}": [_("不是本项目的评分项")] for key in unknown})
    items: dict[str, int] = {}
    for item in criteria:
        key, label, top = item["key"], item["label"], item["max"]
        value = given.get(key)
        if value is None:
            raise Invalid(_("请填写评分项「%(label)s」的得分") % {"label": label}, field=f"item_scores.{key}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise Invalid(_("评分项「%(label)s」的得分应为 0–%(max)d 的整数") % {"label": label, "max": top},
                          field=f"item_scores.{key}")
        items[key] = value
    return items
