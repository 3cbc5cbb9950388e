"""The one bound on money committed to a case, computed when it is committed.

    bound = min(requested, the rule amount re-derived from the case's details under its frozen
                rules, the cap per project, the experts' mean recommendation of the current round
                (programs with expert review), the applicant's remaining yearly room, the budget's
                available)

Each term is a ``Limit`` with the 409 ``code`` that names it when an amount goes above it. The
yearly room counts what the applicant *holds* in the program and fiscal year: approved amounts of
approved or paid cases plus the requests of cases under way (submitted … publicity), other cases
only. Callers lock the applicant row first (``lock_applicant``): that serialises every submission
and approval of one applicant, so concurrent ones can never together exceed the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from applicants.models import Applicant
from core.errors import Conflict
from core.money import ZERO, format_money, quantize

from .ledger import budget_figures
from .models import Application, Budget, Review
from .programs import handler_for
from .workflow import HOLDING_STATES, State

# States whose approved amount the applicant holds (workflow.HOLDING_STATES), whose paid amount it
# keeps (terminated), and whose request it holds.
PENDING_STATES = (State.SUBMITTED, State.RETURNED, State.ACCEPTED, State.UNDER_REVIEW, State.PUBLICITY)
_SUM = DecimalField(max_digits=16, decimal_places=2)


@dataclass(frozen=True)
class Limit:
    code: str
    amount: Decimal
    label: str


def lock_applicant(application: Application) -> None:
    """The row lock that makes the yearly cap race-proof (lock order: application → applicant → … )."""
    Applicant.objects.select_for_update().filter(pk=application.applicant_id).values_list("pk", flat=True).first()


def held_by_others(application: Application) -> Decimal:
    """What the applicant holds in this program and fiscal year, other cases."""
    total = (
        Application.objects.filter(applicant_id=application.applicant_id, program_id=application.program_id,
                                   fiscal_year=application.fiscal_year)
        .exclude(pk=application.pk)
        .aggregate(t=Coalesce(Sum(Case(
            When(state__in=HOLDING_STATES, then=Coalesce("approved_amount", Value(ZERO), output_field=_SUM)),
            When(state=State.TERMINATED, then="disbursed_amount"),
            When(state__in=PENDING_STATES, then="requested_amount"),
            default=Value(ZERO), output_field=_SUM)), Value(ZERO), output_field=_SUM))["t"]
    )
    return quantize(total or ZERO)


def yearly_limit(application: Application) -> Limit | None:
    cap = application.rules.cap_per_applicant_year
    if cap is None:
        return None
    held = held_by_others(application)
    room = max(ZERO, cap - held)
    return Limit("above_yearly_cap", room,
                 _("本年度每主体上限 %(cap)s 的剩余额度 %(room)s（其他申请已占用 %(held)s）")
                 % {"cap": format_money(cap), "room": format_money(room), "held": format_money(held)})


def expert_limit(application: Application) -> Limit | None:
    if not application.rules.expert_review:
        return None
    # Summed in Python: a handful of rows, and SQLite would average in binary floating point.
    amounts = list(Review.objects.filter(application=application, round=application.review_round)
                   .values_list("recommended_amount", flat=True))
    mean = quantize(sum(amounts, ZERO) / len(amounts)) if amounts else ZERO
    return Limit("above_expert_recommendation", mean,
                 _("第 %(round)d 轮 %(n)d 份专家评审的建议金额平均值 %(mean)s")
                 % {"round": application.review_round, "n": len(amounts), "mean": format_money(mean)})


def case_limits(application: Application) -> list[Limit]:
    """Every limit but the budget's, in the order they are reported."""
    rules = application.rules
    limits = [Limit("above_requested_amount", application.requested_amount,
                    _("申请金额 %(x)s") % {"x": format_money(application.requested_amount)})]
    rule_amount = handler_for(application.program.code).rule_amount(application)
    if rule_amount is not None:
        limits.append(Limit("above_rule_amount", quantize(rule_amount),
                            _("按规则计算的金额 %(x)s") % {"x": format_money(rule_amount)}))
    if rules.cap_per_project is not None:
        limits.append(Limit("above_project_cap", rules.cap_per_project,
                            _("单项上限 %(x)s") % {"x": format_money(rules.cap_per_project)}))
    for extra in (expert_limit(application), yearly_limit(application)):
        if extra is not None:
            limits.append(extra)
    return limits


def budget_limit(available: Decimal, year: int) -> Limit:
    return Limit("budget_exhausted", available,
                 _("%(year)s 年度预算可用余额 %(x)s") % {"year": year, "x": format_money(available)})


def binding(limits: list[Limit]) -> Limit:
    """The smallest limit (the first of equals, so the report order breaks ties)."""
    return min(limits, key=lambda limit: limit.amount)


def approval_amount(application: Application, *, asked: Decimal | None, available: Decimal, year: int,
                    partial_by_budget: bool) -> Decimal:
    """The amount to commit now, or ``Conflict`` naming the limit it would break.

    ``asked`` is finance's ``approved_amount`` (None: take the bound). ``partial_by_budget``: the
    program may be paid what the budget still holds (risk compensation); others are refused.
    """
    limits = case_limits(application)
    budget = budget_limit(available, year)
    case_bound = binding(limits)
    if asked is None:
        amount = case_bound.amount
        if amount <= 0:
            raise Conflict(_("可批准金额为 0：%(limit)s") % {"limit": case_bound.label}, code=case_bound.code)
        if amount > available:
            if not partial_by_budget or available <= 0:
                raise Conflict(_("预算余额不足：%(budget)s，不足以批准 %(x)s")
                               % {"budget": budget.label, "x": format_money(amount)}, code=budget.code)
            amount = available
        return amount
    broken = [limit for limit in [*limits, budget] if asked > limit.amount]
    if broken:
        limit = binding(broken)
        bound = binding([*limits, budget]).amount
        raise Conflict(_("批准金额 %(x)s 超过%(limit)s；最多可批准 %(bound)s")
                       % {"x": format_money(asked), "limit": limit.label, "bound": format_money(max(bound, ZERO))},
                       code=limit.code)
    return asked


def check_request_within_year(application: Application) -> None:
    """At submission: the request fits in the applicant's yearly room (409 ``above_yearly_cap``)."""
    limit = yearly_limit(application)
    if limit is not None and application.requested_amount > limit.amount:
        raise Conflict(_("申请金额 %(x)s 超过%(limit)s") % {"x": format_money(application.requested_amount),
                                                        "limit": limit.label}, code=limit.code)


def preview(application: Application) -> Limit:
    """The bound as it stands, read without locks: the amount a public notice proposes and a
    confirmation page repeats. The approval itself recomputes it under the locks."""
    limits = case_limits(application)
    budget = Budget.objects.filter(program_id=application.program_id, year=application.fiscal_year).first()
    if budget is not None:
        limits.append(budget_limit(budget_figures(budget).available, budget.year))
    limit = binding(limits)
    return limit if limit.amount >= 0 else Limit(limit.code, ZERO, limit.label)
