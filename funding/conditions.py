"""Conditions of the workflow's transitions. Each is a predicate on an application with a code
and a Chinese explanation, so a refused transition says exactly which condition failed."""

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from core.workdays import period_end

from .programs import handler_for
from .workflow import State, reached_finance, workflow_for


def condition(code: str, message: Callable[[object], str], *, hides: bool = False):
    """``hides``: when unmet, the step does not apply to this case at all (another path of the
    workflow), so the page leaves it out rather than showing it disabled with the message."""
    def wrap(predicate):
        predicate.code = code
        predicate.message = message
        predicate.hides = hides
        return predicate

    return wrap


def _missing_message(app) -> str:
    missing = handler_for(app.program.code).missing_requirements(app)
    return _("尚缺：%(items)s") % {"items": "、".join(missing)}


@condition("requirements_missing", _missing_message)
def requirements_met(app) -> bool:
    return not handler_for(app.program.code).missing_requirements(app)


@condition("no_expert_review", lambda app: _("该项目不需要专家评审"), hides=True)
def program_uses_experts(app) -> bool:
    return app.rules.expert_review


@condition("no_public_notice", lambda app: _("该项目不公示，可直接审批"), hides=True)
def has_public_notice(app) -> bool:
    return workflow_for(app.program.code).public_notice


def _reviews_message(app) -> str:
    if app.state == State.ACCEPTED:
        return _("该项目需先送专家评审")
    return _("第 %(round)d 轮专家评审尚未完成：需要 %(need)d 份，已有 %(have)d 份") % {
        "round": app.review_round,
        "need": app.rules.min_reviews,
        "have": current_round_reviews(app),
    }


def current_round_reviews(app) -> int:
    """Reviews of the current round: only they count (a return or re-entry starts a new round)."""
    return app.reviews.filter(round=app.review_round).count()


@condition("reviews_incomplete", _reviews_message)
def review_stage_done(app) -> bool:
    if app.state == State.ACCEPTED:
        return not app.rules.expert_review
    if app.state == State.UNDER_REVIEW:
        return current_round_reviews(app) >= app.rules.min_reviews
    return True


@condition("public_notice_required", lambda app: _("该项目须先公示，公示期满后方可批准"), hides=True)
def ready_for_decision(app) -> bool:
    # Straight from intake to approval only for programs without a public notice.
    return reached_finance(app)


def publicity_ends_on(app):
    """The notice's end, fixed when it was published (computed for notices published before that)."""
    if app.publicity_ends_on is not None:
        return app.publicity_ends_on
    if app.publicity_started_on is None:
        return None
    return period_end(app.publicity_started_on, app.rules.publicity_days, app.rules.publicity_day_kind)


@condition(
    "publicity_not_elapsed",
    lambda app: _("公示期未满：公示期 %(start)s 至 %(end)s，结束后方可批准")
    % {"start": app.publicity_started_on, "end": publicity_ends_on(app)},
)
def publicity_elapsed(app) -> bool:
    """The notice has run out: objections may be raised through its last day, so approval waits for
    the day after (a notice of 0 days ends when it starts)."""
    if app.state != State.PUBLICITY:
        return True
    ends = publicity_ends_on(app)
    return ends is None or ends == app.publicity_started_on or timezone.localdate() > ends


@condition("already_paid", lambda app: _("已有拨付，不能撤销批准；可终止项目，未拨付部分将释放"))
def nothing_paid_yet(app) -> bool:
    return app.disbursed_amount == 0


@condition("no_acceptance_stage", lambda app: _("该项目一次性拨付，无需验收"), hides=True)
def paid_in_tranches(app) -> bool:
    """Programs paid in tranches (``first_tranche_share`` < 1) are checked on completion (验收)."""
    return app.rules.first_tranche_share < 1


@condition("objection_pending", lambda app: _("公示期间有尚未处理的异议，处理后方可批准"))
def no_open_objection(app) -> bool:
    return not app.objections.filter(resolved_at__isnull=True).exists()


@condition("no_open_objection", lambda app: _("没有待处理的异议"), hides=True)
def objection_open(app) -> bool:
    return app.objections.filter(resolved_at__isnull=True).exists()


COMPLETION_REPORT = "验收报告"


@condition("completion_report_missing",
           lambda app: _("请先上传材料「%(kind)s」，再提交验收") % {"kind": COMPLETION_REPORT})
def completion_report_attached(app) -> bool:
    return app.documents.filter(kind=COMPLETION_REPORT).exists()
