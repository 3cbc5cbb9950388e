"""What each transition does besides changing state, as two tables beside the workflow.

``PREPARE[name](app, data, by) -> Prepared``: validates the body, takes the locks the money needs
(applicant for the yearly cap, budget) and settles the amounts, before the state changes.
``EFFECTS[name]``: run in order after the fsm transition, the save and the audit row, in the same
transaction, each given the acting user: the ledger entries and the handlers' hooks.

    submit             freeze the rules, re-derive the request, check the yearly cap
    send_to_review     a new review round, experts assigned (named, drawn at random, or all eligible)
    publish            the bound, read (not locked)            → the proposed amount, the notice's end
    approve            the bound (funding.bounds)              → commit
    disburse           tranche limit (funding.tranches), voucher, date → pay, complete_when_paid
    revoke / terminate the unpaid commitment                   → release
    submit_completion  the outcomes;  pass_completion  the grade

Lock order: application → applicant → the handler's rows (loan) → budget → audit chain heads.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import User
from core.errors import Conflict, Invalid
from core.money import ZERO, format_money, parse_money
from core.text import clean_text, iso_date

from . import bounds, case_numbers, experts, integrity_pledge, ledger, rule_versions
from .clawbacks import check_not_barred
from .models import Application, Budget, EntryKind, LedgerEntry, Objection, ReviewAssignment
from .programs import handler_for
from .rules import money
from .tranches import payable_now
from .workflow import State, Transition

GRADES = {"excellent": _("优秀"), "good": _("良好"), "pass": _("合格")}


# --- what each transition needs before it runs, and what it does after (one table each) --------

@dataclass
class Prepared:
    """What a transition's preparation settled: the fsm method's arguments and the money involved."""

    kwargs: dict = field(default_factory=dict)
    amount: Decimal | None = None
    voucher: str | None = None
    budget: Budget | None = None
    detail: dict | None = None  # what the audit row records besides money (outcomes, grade)
    booked_on: dt.date | None = None  # the ledger entry's date (a payment's date), default today


def _prepare_submit(app: Application, data: dict, by: User) -> Prepared:
    # The integrity pledge (承诺书): the pages require it; the API may send it (optional, recorded).
    pledged = data.get("pledge_accepted", False)
    if not isinstance(pledged, bool):
        raise Invalid(_("pledge_accepted 应为 true 或 false"), field="pledge_accepted")
    check_not_barred(app.applicant_id, app.program.region_id)
    if app.frozen_rules is None:  # a resubmission after a return keeps the rules of the first submission
        rules, version = rule_versions.rules_on(app.program)  # 409 program_ended: no new cases
        app.frozen_rules = rules.as_json()
        app.rule_version = version
    handler = handler_for(app.program.code)
    if handler.formula:  # re-derived under the rules frozen now
        rule = handler.rule_amount(app) or ZERO
        app.requested_amount = min(app.requested_amount, rule)
        if app.requested_amount <= 0:
            raise Conflict(_("按提交时的规则计算，可申请金额为 0"), code="above_rule_amount")
    bounds.check_request_within_year(app)
    case_no = case_numbers.assign(app)  # the first submission's number, kept on resubmission
    # The chained submit row records the request and the rules it is judged by (verify_audit compares
    # ``rules``), the case number, and the pledge: the version in force and whether it was accepted.
    return Prepared(amount=app.requested_amount,
                    detail={"rules": app.frozen_rules, "rule_version": app.rule_version_id, "case_no": case_no, "pledge": integrity_pledge.VERSION,
                            "pledge_accepted": pledged})


def _prepare_send_to_review(app: Application, data: dict, by: User) -> Prepared:
    """A new round with the experts named, drawn at random (``draw``) or, neither given, every eligible
    one; the audit row records who and how (with a draw, the pool drawn from)."""
    app.review_round += 1  # each entry to review is a new round; only its reviews count
    return Prepared(detail=_assign_experts(app, data.get("experts"), draw=data.get("draw", False)))


def _prepare_publish(app: Application, data: dict, by: User) -> Prepared:
    """The amount the notice proposes is the approval bound now (funding.bounds), recorded on the
    publish row; approval later commits at most the bound of its own moment."""
    proposed = bounds.preview(app).amount
    return Prepared(kwargs={"proposed_amount": proposed}, amount=proposed)


def _prepare_approve(app: Application, data: dict, by: User) -> Prepared:
    asked = money(data.get("approved_amount"), "approved_amount", required=False)
    budget = _budget_locked(app)
    available = ledger.budget_figures(budget).available
    amount = bounds.approval_amount(app, asked=asked, available=available, year=budget.year,
                                    partial_by_budget=handler_for(app.program.code).cap_by_budget_room)
    return Prepared(kwargs={"amount": amount}, amount=amount, budget=budget)


def _prepare_disburse(app: Application, data: dict, by: User) -> Prepared:
    amount = money(data.get("amount"), "amount")
    voucher = clean_text(data.get("voucher_no"), "voucher_no", max_length=40, required=True, label=_("凭证号"))
    paid_on = _payment_date(app, data.get("date"))
    if amount > app.outstanding_amount:
        raise Conflict(_("拨付金额 %(amount)s 超过未拨付的批准金额 %(left)s")
                       % {"amount": format_money(amount), "left": format_money(app.outstanding_amount)},
                       code="over_disbursement")
    payable = payable_now(app)
    if amount > payable.amount:
        raise Conflict(payable.message, code=payable.limit_code or "over_disbursement")
    if LedgerEntry.objects.filter(voucher_no=voucher).exists():
        raise Conflict(_("凭证号 %(no)s 已使用") % {"no": voucher}, code="duplicate_voucher")
    return Prepared(kwargs={"amount": amount}, amount=amount, voucher=voucher, budget=_budget_locked(app),
                    detail={"date": paid_on.isoformat()} if paid_on != timezone.localdate() else None,
                    booked_on=paid_on)


def _payment_date(app: Application, value) -> dt.date:
    """The day the money left (default today): not before the approval, not in the future."""
    today = timezone.localdate()
    if value in (None, ""):
        return today
    value = iso_date(value, "date")
    if not isinstance(value, dt.date):
        raise Invalid(_("日期应为 YYYY-MM-DD"), field="date")
    approved_on = timezone.localtime(app.decided_at).date() if app.decided_at else today
    if not approved_on <= value <= today:
        raise Invalid(_("拨付日期应在批准日 %(start)s 至今天之间") % {"start": approved_on.isoformat()}, field="date")
    return value


def _prepare_release(app: Application, data: dict, by: User) -> Prepared:
    """Revoke and terminate: what is still committed goes back to the budget (paid stays paid)."""
    # The budget is locked before the audit row: application → budget → chain heads, as everywhere.
    budget = _budget_locked(app)
    return Prepared(amount=ledger.application_balances(app.pk)["committed"], budget=budget)


def _count(value: object, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit() \
            or not str(value).strip().isascii():
        raise Invalid(_("%(label)s应为非负整数") % {"label": label}, field=field)
    return int(str(value).strip())


def _prepare_submit_completion(app: Application, data: dict, by: User) -> Prepared:
    """The outcomes the project reports (industrialization: output value, jobs, patents implemented)."""
    raw = data.get("outcomes") or {}
    if not isinstance(raw, dict):
        raise Invalid(_("outcomes 应为对象：{\"output_value\", \"jobs\", \"patents_implemented\"}"), field="outcomes")
    unknown = sorted(set(raw) - {"output_value", "jobs", "patents_implemented"})
    if unknown:
        raise Invalid(errors={f"outcomes.{key}": [_("未知字段")] for key in unknown})
    outcomes: dict[str, str | int] = {}
    if raw.get("output_value") is not None:
        outcomes["output_value"] = format(parse_money(raw["output_value"], "outcomes.output_value",
                                                      allow_zero=True), "f")
    for key, label in (("jobs", _("新增就业")), ("patents_implemented", _("实施专利数"))):
        if raw.get(key) is not None:
            outcomes[key] = _count(raw[key], f"outcomes.{key}", label)
    if app.program.code == "industrialization" and set(outcomes) != {"output_value", "jobs", "patents_implemented"}:
        raise Invalid(_("产业化项目验收须填写实际产值、新增就业和实施专利数"), field="outcomes")
    app.completion_outcomes = outcomes
    return Prepared(detail={"outcomes": outcomes})


def _prepare_uphold_objection(app: Application, data: dict, by: User) -> Prepared:
    """The objection named is the open one being upheld; with experts, the new review round starts."""
    objection = Objection.objects.select_for_update().filter(pk=data.get("objection"), application=app,
                                                             resolved_at__isnull=True).first()
    if objection is None:
        raise Invalid(_("请指定本申请一项待处理的异议"), field="objection")
    if app.rules.expert_review:
        app.review_round += 1
        _assign_experts(app, None)
    return Prepared(detail={"objection": objection.pk})


def _prepare_pass_completion(app: Application, data: dict, by: User) -> Prepared:
    grade = data.get("grade")
    if grade not in GRADES:
        raise Invalid(_("验收等级应为 excellent（优秀）、good（良好）或 pass（合格）"), field="grade")
    app.completion_grade = grade
    return Prepared(detail={"grade": grade})


PREPARE = {
    Transition.SUBMIT: _prepare_submit,
    Transition.SEND_TO_REVIEW: _prepare_send_to_review,
    Transition.PUBLISH: _prepare_publish,
    Transition.APPROVE: _prepare_approve,
    Transition.DISBURSE: _prepare_disburse,
    Transition.REVOKE: _prepare_release,
    Transition.TERMINATE: _prepare_release,
    Transition.SUBMIT_COMPLETION: _prepare_submit_completion,
    Transition.PASS_COMPLETION: _prepare_pass_completion,
    Transition.UPHOLD_OBJECTION: _prepare_uphold_objection,
}


def _commit(app: Application, step: Prepared, by: User) -> None:
    ledger.post(budget=step.budget, kind=EntryKind.COMMIT, amount=step.amount, by=by, application=app,
                memo=_("批准 #%(id)s") % {"id": app.pk})


def _pay(app: Application, step: Prepared, by: User) -> None:
    ledger.post(budget=step.budget, kind=EntryKind.PAYMENT, amount=step.amount, by=by, application=app,
                voucher_no=step.voucher, memo=_("拨付 #%(id)s") % {"id": app.pk}, booked_on=step.booked_on)


def _complete_when_paid(app: Application, step: Prepared, by: User) -> None:
    if app.state == State.DISBURSED:
        handler_for(app.program.code).on_disbursed(app, by=by)


def _objection_upheld(app: Application, step: Prepared, by: User) -> None:
    Objection.objects.filter(pk=step.detail["objection"]).update(upheld=True, resolved_by=by,
                                                                 resolved_at=timezone.now())


def _release(app: Application, step: Prepared, by: User) -> None:
    if step.amount and step.amount > 0:
        memo = _("终止项目 #%(id)s") if app.state == State.TERMINATED else _("撤销批准 #%(id)s")
        ledger.post(budget=step.budget, kind=EntryKind.RELEASE, amount=step.amount, by=by, application=app,
                    memo=memo % {"id": app.pk})


EFFECTS = {
    Transition.APPROVE: (_commit,),
    Transition.DISBURSE: (_pay, _complete_when_paid),
    Transition.REVOKE: (_release,),
    Transition.TERMINATE: (_release,),
    Transition.UPHOLD_OBJECTION: (_objection_upheld,),
}


# Transitions that count against the applicant's yearly cap: the applicant row is locked first.
COUNTS_AGAINST_YEARLY_CAP = frozenset({Transition.SUBMIT, Transition.APPROVE})


def lock(app: Application, name: str) -> None:
    """The locks after the application's, in the one order: applicant → the handler's rows → (budget)."""
    if name in COUNTS_AGAINST_YEARLY_CAP and app.rules.cap_per_applicant_year is not None:
        bounds.lock_applicant(app)
    handler_for(app.program.code).lock_related(app)


def prepare(app: Application, name: str, data: dict, by: User) -> Prepared:
    return PREPARE.get(name, _nothing)(app, data, by)


def _nothing(app: Application, data: dict, by: User) -> Prepared:
    return Prepared()


def run_effects(app: Application, name: str, prepared: Prepared, by: User) -> None:
    for effect in EFFECTS.get(name, ()):
        effect(app, prepared, by)
    handler_for(app.program.code).after_effects(app, name, prepared.amount, by=by)



def _budget_locked(app: Application) -> Budget:
    budget = Budget.objects.select_for_update().filter(program_id=app.program_id, year=app.fiscal_year).first()
    if budget is None:
        raise Conflict(_("%(year)s 年度「%(program)s」尚无预算") % {"year": app.fiscal_year, "program": app.program.name_zh},
                       code="no_budget")
    return budget


def _assign_experts(app: Application, usernames, *, draw: bool = False) -> dict:
    """The round's experts (``funding.experts``: the region's active ones, less the conflicted): those
    named, ``min_reviews`` drawn at random, or all eligible; returns what the audit row records."""
    if not isinstance(draw, bool):
        raise Invalid(_("draw 应为 true 或 false"), field="draw")
    if usernames and draw:
        both = _("指定专家（experts）与随机抽取（draw）只能选其一")
        raise Invalid(both, errors={"experts": [both], "draw": [both]})
    region = list(experts.region_experts(app))
    eligible = [u for u in region if not experts.conflict_of(u, app)]
    need = app.rules.min_reviews
    if usernames:
        if not isinstance(usernames, list | tuple) or not all(isinstance(u, str) for u in usernames):
            raise Invalid(_("experts 应为专家用户名列表"), field="experts")
        by_name = {u.username: u for u in region}
        unknown = sorted(set(usernames) - set(by_name))
        if unknown:
            raise Invalid(_("不是本地区的在职评审专家：%(names)s") % {"names": "、".join(unknown)}, field="experts")
        chosen = [by_name[name] for name in dict.fromkeys(usernames)]
        tied = [u.username for u in chosen if experts.conflict_of(u, app)]
        if tied:
            raise Invalid(_("专家与申请单位存在关联，须回避：%(names)s") % {"names": "、".join(tied)}, field="experts")
    elif draw and len(eligible) >= need:
        chosen = experts.draw(eligible, need)
    else:
        chosen = eligible
    if len(chosen) < need:
        raise Conflict(_("可分配的评审专家 %(have)d 名，少于所需的 %(need)d 名")
                       % {"have": len(chosen), "need": need}, code="not_enough_experts")
    for expert in chosen:
        ReviewAssignment.objects.get_or_create(application=app, expert=expert, round=app.review_round)
    detail: dict = {"experts": [u.username for u in chosen], "draw": draw}
    if draw:
        detail["pool"] = [u.username for u in eligible]
    return detail
