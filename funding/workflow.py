"""How each program moves: the vocabulary of the workflow and who its actors are.

The transitions themselves are declared once, on ``Application`` (``funding/models.py``), each with
django-fsm's ``custom=`` carrying a ``Step``: who takes it, whether it needs a comment, which body
fields it takes, how its button looks and whether it asks before it runs. Everything else is
derived from those declarations (``steps``, ``may_take``, ``comment_required``, ``fields_of``, the
queues' states). What differs per program is read from ``WORKFLOWS`` (who takes intake, whether there
is a public notice, who claims) and from the case's rules (``application.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from applicants.models import Role
from core.errors import NotFound


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回补正")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("专家评审中")
    PUBLICITY = "publicity", _("公示中")
    APPROVED = "approved", _("已批准")
    COMPLETION_REVIEW = "completion_review", _("验收中")
    COMPLETED = "completed", _("已验收")
    DISBURSED = "disbursed", _("已拨付")
    TERMINATED = "terminated", _("已终止")
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
    SUBMIT_COMPLETION = "submit_completion", _("提交验收")
    PASS_COMPLETION = "pass_completion", _("验收通过")
    RETURN_COMPLETION = "return_completion", _("验收退回整改")
    TERMINATE = "terminate", _("终止项目")
    UPHOLD_OBJECTION = "uphold_objection", _("异议成立，重新审查")


class ProgramCode(models.TextChoices):
    INDUSTRIALIZATION = "industrialization", _("专利产业化资金")
    APPLICATION_SUBSIDY = "application_subsidy", _("专利资助")
    PATENT_AWARD = "patent_award", _("专利奖")
    INTEREST_SUBSIDY = "interest_subsidy", _("知识产权质押贷款贴息")
    RISK_COMPENSATION = "risk_compensation", _("知识产权质押融资风险补偿")


# States in which an application no longer holds a claim on its patents (a rejected or withdrawn
# application frees them for another claim).
RELEASING_STATES = frozenset({State.REJECTED, State.WITHDRAWN})
# States in which money is committed to the case (approved amount held, part of it paid or not).
HOLDING_STATES = (State.APPROVED, State.COMPLETION_REVIEW, State.COMPLETED, State.DISBURSED)


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

# The three kinds of actor a transition names: the claimant, the program's intake role, finance.
CLAIMANT, INTAKE, FINANCE = "claimant", "intake", "finance"


@dataclass(frozen=True)
class Step:
    """What ``custom=`` carries for one transition (the one place each of these is said)."""

    actors: frozenset[str]
    comment_required: bool = False
    fields: tuple[str, ...] = ()  # body fields besides ``comment``: the API's and the page form's
    style: str = "primary"  # the page's button: primary, outline-primary, outline-danger
    confirm: bool = False  # money or a decision moves: the page asks before it runs
    # Finance takes it only once the case has reached finance (``conditions.reached_finance``).
    finance_at_its_stage: bool = False
    extra: dict = field(default_factory=dict, compare=False)


def step(*actors: str, **options) -> dict:
    """``custom=step(INTAKE, comment_required=True)`` on a transition."""
    return {"step": Step(actors=frozenset(actors), **options)}


@cache
def steps(model) -> dict[str, Step]:
    """Every transition of ``model``'s ``state`` field, by name, with its ``Step``."""
    declared: dict[str, Step] = {}
    for item in model._meta.get_field("state").get_all_transitions(model):
        declared.setdefault(item.name, item.custom["step"])
    return declared


def step_of(application, name: str) -> Step:
    return steps(type(application))[name]


def comment_required(application, name: str) -> bool:
    return step_of(application, name).comment_required


def fields_of(application, name: str) -> frozenset[str]:
    return frozenset(step_of(application, name).fields)


def sources_of(model, actor: str) -> frozenset[str]:
    """The states from which ``actor`` may take some transition: the states of that actor's queue."""
    states: set[str] = set()
    for item in model._meta.get_field("state").get_all_transitions(model):
        if actor in item.custom["step"].actors and item.source not in ("*", "+"):
            states.add(item.source)
    return frozenset(states)


def transition_named(name: str) -> Transition:
    """The transition called ``name``, or ``NotFound`` (404): the one check that a name is real."""
    if name not in Transition.values:
        raise NotFound(_("没有名为 %(name)s 的操作") % {"name": name})
    return Transition(name)


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


def takes_directly(application, user) -> bool:
    """免申即享 taken directly (``auto_direct``, fixed when the system opened the case): the intake role
    submits it for the enterprise — only that; editing, withdrawing and the rest stay the enterprise's."""
    return bool(
        application.auto_direct and application.state in (State.DRAFT, State.RETURNED)
        and user.region_id is not None and user.region_id == application.program.region_id
        and user.has_role(workflow_for(application.program.code).intake_role)
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


def reached_finance(application) -> bool:
    """The case awaits finance's decision: in its public notice, or accepted where there is none."""
    return application.state == State.PUBLICITY or (
        application.state == State.ACCEPTED and not workflow_for(application.program.code).public_notice)


def reached_finance_q() -> models.Q:
    """``reached_finance`` as a filter, for the finance queue and its home-page count."""
    no_notice = [code for code, workflow in WORKFLOWS.items() if not workflow.public_notice]
    return models.Q(state=State.PUBLICITY) | models.Q(state=State.ACCEPTED, program__code__in=no_notice)


def may_take(name: str, application, user) -> bool:
    """The role check of a transition (its ``permission=``), read from its ``Step``."""
    declared = step_of(application, name)
    if name == Transition.SUBMIT and takes_directly(application, user):
        return True
    kinds = actor_kinds(application, user) & declared.actors
    if declared.finance_at_its_stage and kinds == {FINANCE}:
        return reached_finance(application)
    return bool(kinds)


def may(name: str):
    """``permission=may(Transition.X)``: django-fsm calls it with (instance, user)."""
    return lambda application, user: may_take(name, application, user)
