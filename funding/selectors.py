"""Every non-trivial read of the funding app: visibility per role, queues, budgets with figures."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from applicants.errors import NotAllowed, NotFound
from applicants.models import Role

from . import ledger
from .models import Application, Budget, Clawback, EntryKind, Program, ProgramRuleChange, Review, ReviewAssignment
from .workflow import INTAKE, WORKFLOWS, State, Transition, reached_finance_q, sources_of

STAFF_WITH_REGION = (Role.IP_OFFICE, Role.FINANCE, Role.FIN_CENTER, Role.ADMIN)


def visibility_filter(user) -> Q:
    """Applicants their own; banks their own claims; experts what was sent to them; staff their region."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.is_superuser and user.region_id is None:
        return Q()
    q = Q(pk__in=[])
    if user.has_role(Role.APPLICANT) and user.applicant_id:
        q |= Q(applicant_id=user.applicant_id, claimant_bank__isnull=True)
    if user.has_role(Role.BANK) and user.bank_id:
        q |= Q(claimant_bank_id=user.bank_id)
    if user.has_role(Role.EXPERT):
        q |= Q(Exists(ReviewAssignment.objects.filter(application_id=OuterRef("pk"), expert_id=user.pk)))
    if user.has_role(*STAFF_WITH_REGION) and user.region_id:
        # A subquery on the region's few programs, not a join: counts then read the application table alone.
        staff = Q(program_id__in=Program.objects.filter(region_id=user.region_id).values("pk"))
        if not user.has_role(Role.ADMIN):
            staff &= ~Q(state=State.DRAFT)  # drafts stay private until submitted
        q |= staff
    return q


def applications_visible_to(user) -> QuerySet[Application]:
    return (
        Application.objects.filter(visibility_filter(user))
        .select_related("program", "applicant", "claimant_bank")
        .order_by("-id")
    )


def is_visible(user, application: Application) -> bool:
    return Application.objects.filter(visibility_filter(user), pk=application.pk).exists()


def application_for(user, application_id: int) -> Application:
    app = applications_visible_to(user).filter(pk=application_id).first()
    if app is None:
        raise NotFound(_("申请不存在"))
    return app


def available_transitions(application: Application, user) -> list[str]:
    """Transition names the user may take now (django-fsm's own check: source, permission, conditions)."""
    names = {t.name for t in application.get_available_user_state_transitions(user)}
    return [name for name in Transition.values if name in names]


def application_history(application: Application):
    return application.history.select_related("by").order_by("id")


def application_payments(application: Application):
    return application.ledger_entries.filter(kind=EntryKind.PAYMENT).order_by("id")


BUDGET_READERS = (Role.IP_OFFICE, Role.FINANCE, Role.FIN_CENTER, Role.ADMIN)  # the budgets page's roles too


def require_budget_reader(user) -> None:
    """Who sees budgets (pages and API alike): staff but experts."""
    if not user.has_role(*BUDGET_READERS):
        raise NotAllowed(_("只有知识产权局、财政局、金融中心和资金管理员可以查看预算"))


REVIEW_READERS = (Role.IP_OFFICE, Role.FINANCE, Role.FIN_CENTER, Role.ADMIN)


def reviews_visible_to(user, application: Application) -> QuerySet[Review]:
    """Every round's reviews for the staff who decide; an expert sees only their own (pages and API)."""
    reviews = application.reviews.select_related("expert").order_by("-round", "id")
    if user.has_role(*REVIEW_READERS):
        return reviews
    return reviews.filter(expert_id=user.pk)


def clawbacks_of(user, application: Application) -> QuerySet[Clawback]:
    """A case's clawbacks, for staff of its region (the claimant sees them in its history)."""
    if not user.has_role(*REVIEW_READERS):
        raise NotAllowed(_("只有工作人员可以查看追回记录"))
    return application.clawbacks.select_related("by", "bar").order_by("id")


def objections_of(user, application: Application):
    """A case's objections, for the staff of its region (names and phones are personal data)."""
    if not user.has_role(*REVIEW_READERS):
        raise NotAllowed(_("只有工作人员可以查看异议"))
    return application.objections.select_related("resolved_by").order_by("id")


def budgets_for(user, year: int | None) -> QuerySet[Budget]:
    qs = Budget.objects.select_related("program")
    if not (user.is_superuser and user.region_id is None):
        qs = qs.filter(program__region_id=user.region_id)
    if year:
        qs = qs.filter(year=year)
    return ledger.budgets_with_figures(qs).order_by("-year", "program_id")


def programs_for(user) -> QuerySet[Program]:
    region_id = getattr(user, "region_id", None) or getattr(getattr(user, "applicant", None), "region_id", None)
    qs = Program.objects.select_related("region")
    return qs.filter(region_id=region_id) if region_id else qs


# --- queues per role (pages and home-page task counts) ---

def intake_queue(user) -> QuerySet[Application]:
    """Cases in a state where the program's intake role has something to do (derived from the workflow)."""
    codes = [code for code, wf in WORKFLOWS.items() if user.has_role(wf.intake_role, Role.ADMIN)]
    return applications_visible_to(user).filter(state__in=sources_of(Application, INTAKE), program__code__in=codes)


def review_queue(user) -> QuerySet[Application]:
    """Cases under review assigned to this expert in their current round and not yet reviewed in it."""
    assigned = ReviewAssignment.objects.filter(application_id=OuterRef("pk"), expert_id=user.pk,
                                               round=OuterRef("review_round"))
    reviewed = Review.objects.filter(application_id=OuterRef("pk"), expert_id=user.pk, round=OuterRef("review_round"))
    return applications_visible_to(user).filter(Exists(assigned), state=State.UNDER_REVIEW).exclude(Exists(reviewed))


def payable_states() -> frozenset[str]:
    """Where ``disburse`` may start (approved: the first tranche; completed: the rest)."""
    return frozenset(t.source for t in Application._meta.get_field("state").get_all_transitions(Application)
                     if t.name == Transition.DISBURSE)


def finance_queue(user) -> QuerySet[Application]:
    """Cases awaiting finance's decision (``reached_finance``) or a payment."""
    return applications_visible_to(user).filter(reached_finance_q() | Q(state__in=payable_states()))


def public_notices() -> QuerySet[Application]:
    return Application.objects.filter(state=State.PUBLICITY).select_related("program", "applicant").order_by(
        "-publicity_started_on", "-id")


def program_rule_history(user, code: str) -> QuerySet[ProgramRuleChange]:
    """Every change of a program's rules (newest first), for staff of the program's region."""
    if not user.has_role(*STAFF_WITH_REGION) and not user.is_superuser:
        raise NotFound(_("资金项目不存在"))
    program = programs_for(user).filter(code=code).first()
    if program is None:
        raise NotFound(_("资金项目不存在"))
    return ProgramRuleChange.objects.filter(program=program).select_related("by").order_by("-id")
