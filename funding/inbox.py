"""Who a case's change concerns, for the inbox (``core.inbox``): the claimant's users, and whoever can
act on the case next (the program's intake role, finance once the case reached it, the experts of
the current round). The acting user is told by the page itself, not by a message."""

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core import inbox

from .models import Application, ReviewAssignment
from .workflow import FINANCE, INTAKE, State, reached_finance, steps, workflow_for


def _claimant_q(app: Application) -> Q:
    """The active users who claim for the case: the bank's for a bank's claim, else the applicant's."""
    if app.claimant_bank_id:
        return Q(bank_id=app.claimant_bank_id, is_active=True)
    return Q(applicant_id=app.applicant_id, is_active=True)


def _claimant_ids(app: Application) -> set[int]:
    return set(User.objects.filter(_claimant_q(app)).values_list("pk", flat=True))


def next_actor_kinds(app: Application) -> set[str]:
    """The kinds of actor with a transition out of the case's state now."""
    kinds: set[str] = set()
    for item in type(app)._meta.get_field("state").get_all_transitions(type(app)):
        if item.source != app.state:
            continue
        declared = steps(type(app))[item.name]
        for kind in declared.actors:
            if kind == FINANCE and declared.finance_at_its_stage and not reached_finance(app):
                continue
            kinds.add(kind)
    return kinds


def _staff_ids(app: Application, role: str) -> set[int]:
    users = User.objects.filter(groups__name=role, is_active=True, region_id=app.program.region_id)
    return set(users.values_list("pk", flat=True))


def _is_claimant(app: Application, user_row: dict) -> bool:
    """``_claimant_q`` on a row already read (the row may have come in as staff or expert)."""
    if not user_row["is_active"]:
        return False
    if app.claimant_bank_id:
        return user_row["bank_id"] == app.claimant_bank_id
    return user_row["applicant_id"] == app.applicant_id


@dataclass(frozen=True)
class Concerned:
    """Who a case's state concerns now: every user to tell (inbox), and the claimant's users' emails."""

    user_ids: frozenset[int]
    claimant_emails: tuple[str, ...]


def concerned_now(app: Application) -> Concerned:
    """The claimant's users, the staff who act next and the round's experts: one query."""
    who = _claimant_q(app)
    kinds = next_actor_kinds(app)
    roles = ([workflow_for(app.program.code).intake_role] if INTAKE in kinds else []) + (
        [Role.FINANCE] if FINANCE in kinds else [])
    if roles:
        in_roles = User.groups.through.objects.filter(group__name__in=roles).values("user_id")
        who |= Q(pk__in=in_roles, is_active=True, region_id=app.program.region_id)
    if app.state == State.UNDER_REVIEW:
        who |= Q(pk__in=ReviewAssignment.objects.filter(application=app, round=app.review_round)
                 .values("expert_id"))
    rows = list(User.objects.filter(who).values("pk", "email", "is_active", "bank_id", "applicant_id"))
    return Concerned(user_ids=frozenset(row["pk"] for row in rows),
                     claimant_emails=tuple(row["email"] for row in rows if row["email"] and _is_claimant(app, row)))


def link(app: Application) -> str:
    return reverse("funding:detail", args=[app.pk])


def after_transition(app: Application, transition_label: str, by: User | None) -> Concerned:
    """One message per concerned user (in the transition's transaction); returns who they are."""
    text = _("申请 #%(id)s「%(title)s」：%(action)s，现为%(state)s") % {
        "id": app.pk, "title": app.title[:80], "action": transition_label, "state": State(app.state).label}
    people = concerned_now(app)
    inbox.post(user_ids=set(people.user_ids) - {getattr(by, "pk", None)}, text=text, link=link(app))
    return people


def after_objection(app: Application) -> None:
    """An objection to a case in its notice: the intake role must deal with it."""
    text = _("申请 #%(id)s「%(title)s」公示期间收到异议，请处理") % {"id": app.pk, "title": app.title[:80]}
    inbox.post(user_ids=_staff_ids(app, workflow_for(app.program.code).intake_role), text=text, link=link(app))


def after_clawback(app: Application, amount_text: str, by: User | None) -> None:
    text = _("申请 #%(id)s「%(title)s」：追回资金 %(amount)s") % {"id": app.pk, "title": app.title[:80],
                                                           "amount": amount_text}
    inbox.post(user_ids=_claimant_ids(app) - {getattr(by, "pk", None)}, text=text, link=link(app))
