"""How each program moves, declared as data in one place.

The fsm transitions live once on ``Application``; what differs per program is read from here
(who takes intake, whether there is a public notice, who claims) and from the program's
editable rules (``expert_review``, ``min_reviews``, ``publicity_days``).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from applicants.models import Role


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回补正")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("专家评审中")
    PUBLICITY = "publicity", _("公示中")
    APPROVED = "approved", _("已批准")
    DISBURSED = "disbursed", _("已拨付")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class Transition(models.TextChoices):
    SUBMIT = "submit", _("提交")
    WITHDRAW = "withdraw", _("撤回")
    ACCEPT = "accept", _("受理")
    RETURN_FOR_REVISION = "return_for_revision", _("退回补正")
    SEND_TO_REVIEW = "send_to_review", _("送专家评审")
    PUBLISH = "publish", _("公示")
    REJECT = "reject", _("不予通过")
    APPROVE = "approve", _("批准")
    DISBURSE = "disburse", _("拨付")
    REVOKE = "revoke", _("撤销批准")


class ProgramCode(models.TextChoices):
    INDUSTRIALIZATION = "industrialization", _("专利产业化资金")
    APPLICATION_SUBSIDY = "application_subsidy", _("专利资助")
    PATENT_AWARD = "patent_award", _("专利奖")
    INTEREST_SUBSIDY = "interest_subsidy", _("知识产权质押贷款贴息")
    RISK_COMPENSATION = "risk_compensation", _("知识产权质押融资风险补偿")


# States in which an application no longer holds a claim on its patents (a rejected or withdrawn
# application frees them for another claim).
RELEASING_STATES = frozenset({State.REJECTED, State.WITHDRAWN})
COMMENT_REQUIRED = frozenset({Transition.RETURN_FOR_REVISION, Transition.REJECT, Transition.REVOKE})


@dataclass(frozen=True)
class Workflow:
    intake_role: str
    public_notice: bool = True
    claimant: str = "applicant"  # "applicant" (the enterprise's users) or "bank" (the bank's users)


WORKFLOWS: dict[str, Workflow] = {
    ProgramCode.INDUSTRIALIZATION: Workflow(intake_role=Role.IP_OFFICE),
    ProgramCode.APPLICATION_SUBSIDY: Workflow(intake_role=Role.IP_OFFICE),
    ProgramCode.PATENT_AWARD: Workflow(intake_role=Role.IP_OFFICE),
    ProgramCode.INTEREST_SUBSIDY: Workflow(intake_role=Role.FIN_CENTER),
    ProgramCode.RISK_COMPENSATION: Workflow(intake_role=Role.FIN_CENTER, public_notice=False, claimant="bank"),
}

CLAIMANT, INTAKE, FINANCE = "claimant", "intake", "finance"

# Who may take each transition: the claimant, the program's intake role, or finance.
TRANSITION_ACTORS: dict[str, frozenset[str]] = {
    Transition.SUBMIT: frozenset({CLAIMANT}),
    Transition.WITHDRAW: frozenset({CLAIMANT}),
    Transition.ACCEPT: frozenset({INTAKE}),
    Transition.RETURN_FOR_REVISION: frozenset({INTAKE}),
    Transition.SEND_TO_REVIEW: frozenset({INTAKE}),
    Transition.PUBLISH: frozenset({INTAKE}),
    Transition.REJECT: frozenset({INTAKE, FINANCE}),
    Transition.APPROVE: frozenset({FINANCE}),
    Transition.DISBURSE: frozenset({FINANCE}),
    Transition.REVOKE: frozenset({FINANCE}),
}


def workflow_for(program_code: str) -> Workflow:
    return WORKFLOWS[program_code]


def is_claimant(application, user) -> bool:
    workflow = workflow_for(application.program.code)
    if workflow.claimant == "bank":
        return (
            user.has_role(Role.BANK)
            and user.bank_id is not None
            and user.bank_id == application.claimant_bank_id
        )
    return (
        user.has_role(Role.APPLICANT)
        and user.applicant_id is not None
        and user.applicant_id == application.applicant_id
        and application.claimant_bank_id is None
    )


def actor_kinds(application, user) -> set[str]:
    """Which of CLAIMANT / INTAKE / FINANCE this user is for this application."""
    kinds: set[str] = set()
    if not getattr(user, "is_authenticated", False):
        return kinds
    if is_claimant(application, user):
        kinds.add(CLAIMANT)
    in_region = user.region_id is not None and user.region_id == application.program.region_id
    if in_region and user.has_role(workflow_for(application.program.code).intake_role):
        kinds.add(INTAKE)
    if in_region and user.has_role(Role.FINANCE):
        kinds.add(FINANCE)
    return kinds


def may_take(transition: str, application, user) -> bool:
    """The role check of a transition, independent of the current state (403 before 409)."""
    allowed = TRANSITION_ACTORS[transition]
    kinds = actor_kinds(application, user)
    if transition == Transition.REJECT and FINANCE in kinds and INTAKE not in kinds:
        # Finance rejects only at its own stage, once the case has reached it.
        return application.state in {State.PUBLICITY, State.ACCEPTED} and (
            application.state == State.PUBLICITY or not workflow_for(application.program.code).public_notice
        )
    return bool(allowed & kinds)


def add_working_days(start: date, days: int) -> date:
    """The date on which a notice of ``days`` working days (Mon–Fri) started on ``start`` ends."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
