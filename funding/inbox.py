"""Who a case's change concerns, for the inbox (``core.inbox``): the claimant's users, and whoever can
act on the case next (the program's intake role, finance once the case reached it, the experts of
the current round). The acting user is told by the page itself, not by a message."""

from django.urls import reverse
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core import inbox

from .models import Application, ReviewAssignment
from .workflow import FINANCE, INTAKE, State, reached_finance, steps, workflow_for


def claimant_users(app: Application):
    """The active users who claim for the case: the bank's for a bank's claim, else the applicant's."""
    if app.claimant_bank_id:
        return User.objects.filter(bank_id=app.claimant_bank_id, is_active=True)
    return User.objects.filter(applicant_id=app.applicant_id, is_active=True)


def _claimant_ids(app: Application) -> set[int]:
    return set(claimant_users(app).values_list("pk", flat=True))


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


def concerned(app: Application) -> set[int]:
    ids = _claimant_ids(app)
    kinds = next_actor_kinds(app)
    if INTAKE in kinds:
        ids |= _staff_ids(app, workflow_for(app.program.code).intake_role)
    if FINANCE in kinds:
        ids |= _staff_ids(app, Role.FINANCE)
    if app.state == State.UNDER_REVIEW:
        ids |= set(ReviewAssignment.objects.filter(application=app, round=app.review_round)
                   .values_list("expert_id", flat=True))
    return ids


def link(app: Application) -> str:
    return reverse("funding:detail", args=[app.pk])


def after_transition(app: Application, transition_label: str, by: User | None) -> None:
    """One message per concerned user (in the transition's transaction)."""
    text = _("申请 #%(id)s「%(title)s」：%(action)s，现为%(state)s") % {
        "id": app.pk, "title": app.title[:80], "action": transition_label, "state": State(app.state).label}
    ids = concerned(app) - {getattr(by, "pk", None)}
    inbox.post(user_ids=ids, text=text, link=link(app))


def after_objection(app: Application) -> None:
    """An objection to a case in its notice: the intake role must deal with it."""
    text = _("申请 #%(id)s「%(title)s」公示期间收到异议，请处理") % {"id": app.pk, "title": app.title[:80]}
    inbox.post(user_ids=_staff_ids(app, workflow_for(app.program.code).intake_role), text=text, link=link(app))


def after_clawback(app: Application, amount_text: str, by: User | None) -> None:
    text = _("申请 #%(id)s「%(title)s」：追回资金 %(amount)s") % {"id": app.pk, "title": app.title[:80],
                                                           "amount": amount_text}
    inbox.post(user_ids=_claimant_ids(app) - {getattr(by, "pk", None)}, text=text, link=link(app))
