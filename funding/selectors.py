"""Every non-trivial read of the funding app: visibility per role, queues, budgets with figures."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import NotAllowed, NotFound
from applicants.models import Role

from . import bounds, experts, ledger, queues
from .models import Application, Budget, Clawback, EntryKind, Program, ProgramRuleChange, Review, ReviewAssignment
from .models_lifecycle import ApplicantBar
from .tranches import payable_now
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
        # The application's copy of its program's region, as a range: see applications_visible_to.
        staff = Q(region_id__gte=user.region_id, region_id__lte=user.region_id)
        if not user.has_role(Role.ADMIN):
            # Drafts stay private until submitted, but for those the system opened (免申即享).
            staff &= ~Q(state=State.DRAFT) | Q(auto_opened=True)
        q |= staff
    return q


def visibility_sql(user) -> tuple[str, list]:
    """``visibility_filter`` as a SQL condition on ``a`` (the application), for the API's readers
    (api.readers); tests assert both give the same rows for every combination of roles."""
    if not getattr(user, "is_authenticated", False):
        return "FALSE", []
    if user.is_superuser and user.region_id is None:
        return "TRUE", []
    parts, params = [], []
    if user.has_role(Role.APPLICANT) and user.applicant_id:
        parts.append("(a.applicant_id = %s AND a.claimant_bank_id IS NULL)")
        params.append(user.applicant_id)
    if user.has_role(Role.BANK) and user.bank_id:
        parts.append("a.claimant_bank_id = %s")
        params.append(user.bank_id)
    if user.has_role(Role.EXPERT):
        parts.append("EXISTS (SELECT 1 FROM funding_reviewassignment ra WHERE ra.application_id = a.id"
                     " AND ra.expert_id = %s)")
        params.append(user.pk)
    if user.has_role(*STAFF_WITH_REGION) and user.region_id:
        staff = "a.region_id >= %s AND a.region_id <= %s"  # a range, as applications_visible_to says
        if not user.has_role(Role.ADMIN):
            staff += " AND (a.state <> %s OR a.auto_opened)"
            params.extend([user.region_id, user.region_id, State.DRAFT])
        else:
            params.extend([user.region_id, user.region_id])
        parts.append(f"({staff})")
    return (f"({' OR '.join(parts)})" if parts else "FALSE"), params


def list_ordering_sql(user) -> str:
    """``applications_visible_to``'s ordering, in SQL."""
    return "a.region_id DESC, a.id DESC" if _region_staff_only(user) else "a.id DESC"


def _region_staff_only(user) -> bool:
    return bool(user.region_id) and user.has_role(*STAFF_WITH_REGION) and not user.has_role(
        Role.APPLICANT, Role.BANK, Role.EXPERT)


def applications_visible_to(user) -> QuerySet[Application]:
    """Newest first. A region's staff list reads the ("region", "id") index backwards: the region as a
    range and in the ordering (the same order within one region), because with ``region_id = r`` the
    planner drops the region from the ordering, walks the primary key and filters out every newer
    case of the other counties (10,000 rows, 14 ms, behind a burst in one county; 0.2 ms this way)."""
    ordering = ("-region_id", "-id") if _region_staff_only(user) else ("-id",)
    return (
        Application.objects.filter(visibility_filter(user))
        .select_related("program", "applicant", "claimant_bank")
        # A draft's rules are the version in force today: read once per page, not per row.
        .prefetch_related("program__rule_versions")
        .order_by(*ordering)
    )


# What a row of the API's list shows (api.serializers.funding.ApplicationListSerializer), and the keys
# the counters and the workflow read: the list loads these columns only, not the program's rules.
LIST_COLUMNS = ("id", "case_no", "title", "fiscal_year", "state", "auto_opened", "requested_amount",
                "approved_amount", "disbursed_amount", "created_at", "program_id", "region_id", "applicant_id",
                "claimant_bank_id", "program__code", "applicant__name", "claimant_bank__code")


def application_list(user) -> QuerySet[Application]:
    """The API's list: what ``user`` sees, newest first, in the columns a row shows."""
    return applications_visible_to(user).prefetch_related(None).only(*LIST_COLUMNS)


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


def blocked_transitions(application: Application, user) -> list[dict]:
    """The steps this user could take from the case's state but not now, each with the reason (the
    first unmet condition's message, or what caps a payment): shown disabled, never hidden."""
    blocked: dict[str, str] = {}
    for item in application.get_all_state_transitions():
        if item.source not in (application.state, "*", "+") or not item.has_perm(application, user):
            continue
        unmet = [check for check in item.conditions if not check(application)]
        if any(getattr(check, "hides", False) for check in unmet):
            continue  # not a step of this case's path (no experts, no notice, paid in one go…)
        if unmet and item.name not in blocked:
            blocked[item.name] = unmet[0].message(application)
    if Transition.DISBURSE not in blocked and Transition.DISBURSE in available_transitions(application, user):
        payable = payable_now(application)
        if payable.amount <= 0:
            blocked[Transition.DISBURSE] = payable.message or _("没有可拨付的金额")
    return [{"name": name, "label": Transition(name).label, "reason": blocked[name]}
            for name in Transition.values if name in blocked]


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
    """Every round's reviews for the staff who decide; an expert sees only their own, of every round,
    never another expert's (pages and API)."""
    reviews = application.reviews.select_related("expert").order_by("-round", "id")
    if user.has_role(*REVIEW_READERS):
        return reviews
    return reviews.filter(expert_id=user.pk)


def reviews_by(user) -> QuerySet[Review]:
    """An expert's own reviews, of every case and round, newest first (the review queue's 我的评审)."""
    return (Review.objects.filter(expert_id=user.pk).select_related("application", "application__program")
            .order_by("-created_at", "-id"))


def with_item_rows(reviews, criteria: list) -> list[Review]:
    """The reviews, each with ``item_rows``: (label, points, maximum) per item of the case's 评分细则."""
    rows = list(reviews)
    for review in rows:
        scores = review.item_scores or {}
        review.item_rows = [(item["label"], scores.get(item["key"]), item["max"]) for item in criteria] if scores else []
    return rows


_TWO_PLACES = Decimal("0.01")


def _two(value: Decimal) -> Decimal:
    return value.quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)


def review_summary(application: Application) -> dict | None:
    """The current round's reviews in figures, for the staff who decide (None before any review): how
    many, the mean score and its spread (lowest–highest, and the population standard deviation), the
    mean recommendation (``bounds.expert_limit``: the term of the approval bound, reused, not
    recomputed) and, under 评分细则, each item's mean. Decimals to two places, ROUND_HALF_UP. Two queries."""
    rows = list(Review.objects.filter(application=application, round=application.review_round)
                .values_list("score", "item_scores"))
    if not rows:
        return None
    scores = [Decimal(score) for score, _items in rows]
    mean = sum(scores, Decimal(0)) / len(scores)
    variance = sum(((score - mean) ** 2 for score in scores), Decimal(0)) / len(scores)
    rules = application.rules
    items = []
    for item in rules.scoring_criteria:
        points = [Decimal(scored[item["key"]]) for _score, scored in rows
                  if isinstance(scored, dict) and scored.get(item["key"]) is not None]
        items.append({"key": item["key"], "label": item["label"], "max": item["max"],
                      "mean": _two(sum(points, Decimal(0)) / len(points)) if points else None})
    limit = bounds.expert_limit(application)
    return {"round": application.review_round, "count": len(rows), "need": rules.min_reviews,
            "mean": _two(mean), "min": int(min(scores)), "max": int(max(scores)), "stdev": _two(variance.sqrt()),
            "recommended": limit.amount if limit is not None else None, "criteria": items}


ROUND_EXPERT_READERS = (Role.IP_OFFICE, Role.ADMIN)


def round_experts(user, application: Application, history) -> dict | None:
    """The current review round's experts for the clerk and the administrator: each one's name and
    username, and how they were picked, as the audit row that began the round records it
    (``funding.effects._assign_experts``): ``draw`` (随机抽取; ``pool`` is how many eligible experts
    it drew from), ``choice`` (named on the page or the API; none named means every eligible one) or
    ``objection`` (a new round on an upheld objection: every eligible one). None for every other role
    (an expert does not learn who else reviews; an applicant sees no experts) and before the first
    round. One query (the assignments); ``history`` is the page's audit rows, already read."""
    if not application.review_round or not user.has_role(*ROUND_EXPERT_READERS):
        return None
    starts_round = {Transition.SEND_TO_REVIEW.value}
    if application.rules.expert_review:  # an upheld objection then starts a round too (effects)
        starts_round.add(Transition.UPHOLD_OBJECTION.value)
    start = next((row for row in reversed(list(history)) if row.transition in starts_round), None)
    detail = (start.detail if start is not None else None) or {}
    if start is not None and start.transition == Transition.UPHOLD_OBJECTION:
        method = "objection"
    elif detail.get("draw") is True:
        method = "draw"
    else:
        method = "choice"
    assigned = (ReviewAssignment.objects.filter(application=application, round=application.review_round)
                .select_related("expert").order_by("expert__username"))
    return {"round": application.review_round, "method": method,
            "pool": len(detail.get("pool") or []) if method == "draw" else None,
            "experts": [{"name": a.expert.display_name, "username": a.expert.username} for a in assigned]}


@dataclass(frozen=True)
class ExpertOption:
    """One expert of the region in the send_to_review form: ``conflict`` says why they may not (disabled)."""

    username: str
    name: str
    conflict: str
    checked: bool


def expert_choice(application: Application, chosen=()) -> dict:
    """The region's active experts for the send_to_review form, each flagged with the conflict the
    service refuses (``funding.experts``), how many are eligible and how many the rules need (one query)."""
    chosen = set(chosen)
    options = []
    for user in experts.region_experts(application):
        conflict = experts.conflict_of(user, application)
        options.append(ExpertOption(user.username, user.display_name, conflict,
                                    not conflict and user.username in chosen))
    return {"options": options, "eligible": sum(1 for option in options if not option.conflict),
            "need": application.rules.min_reviews}


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


def bars_visible_to(user) -> QuerySet[ApplicantBar]:
    """失信 bars for the staff of their region (every region for a superuser without one)."""
    if not user.has_role(*STAFF_WITH_REGION):
        return ApplicantBar.objects.none()
    bars = ApplicantBar.objects.select_related("applicant", "clawback", "lifted_by").order_by("-until", "-id")
    if user.is_superuser and user.region_id is None:
        return bars
    return bars.filter(region_id=user.region_id)


def active_bars(bars: QuerySet[ApplicantBar]) -> QuerySet[ApplicantBar]:
    return bars.filter(lifted_at__isnull=True, until__gte=timezone.localdate())


def barred_applicant_ids(user, applicant_ids) -> frozenset[int]:
    """Which of these applicants an active bar holds, for the staff who see them (one query)."""
    ids = {i for i in applicant_ids if i is not None}
    if not ids or not user.has_role(*STAFF_WITH_REGION):
        return frozenset()
    return frozenset(active_bars(bars_visible_to(user)).filter(applicant_id__in=ids)
                     .values_list("applicant_id", flat=True))


def budgets_for(user, year: int | None) -> QuerySet[Budget]:
    qs = Budget.objects.select_related("program")
    if not (user.is_superuser and user.region_id is None):
        qs = qs.filter(program__region_id=user.region_id)
    if year:
        qs = qs.filter(year=year)
    return ledger.budgets_with_figures(qs).order_by("-year", "program_id")


def programs_for(user) -> QuerySet[Program]:
    region_id = getattr(user, "region_id", None) or getattr(getattr(user, "applicant", None), "region_id", None)
    qs = Program.objects.select_related("region").prefetch_related("rule_versions")
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
    """Cases awaiting finance's decision (``reached_finance``) or a payment, with what each may wait on
    (``funding.queues``: the notice still running, an open objection, the first tranche paid)."""
    return queues.with_waits(applications_visible_to(user).filter(reached_finance_q()
                                                                  | Q(state__in=payable_states())))


def program_rule_history(user, code: str) -> QuerySet[ProgramRuleChange]:
    """Every change of a program's rules (newest first), for staff of the program's region."""
    if not user.has_role(*STAFF_WITH_REGION) and not user.is_superuser:
        raise NotFound(_("资金项目不存在"))
    program = programs_for(user).filter(code=code).first()
    if program is None:
        raise NotFound(_("资金项目不存在"))
    return ProgramRuleChange.objects.filter(program=program).select_related("by").order_by("-id")
