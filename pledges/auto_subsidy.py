"""免申即享: interest subsidies opened without applying (川办函〔2024〕17号 asks for it).

On the day the program sets (rule ``auto_subsidy_on``, MM-DD) — or when the fin_center runs it —
the system computes, from what the banks reported, each enterprise's interest subsidy for the year
before, and opens a case already filled in: a draft for the enterprise to confirm (``confirm``), or,
where the program allows (``direct``), submitted at once by the fin_center, who takes it from there.

Nothing is paid twice for a loan-year: a loan-year already claimed (live, by hand or by an earlier
run) is skipped, and the partial unique constraint on ``InterestSubsidyLoan`` refuses a second claim
even from two runs at once; the program row is locked for the run so runs do not interleave.
Each enterprise's case is its own transaction: one failing does not undo the others.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core import inbox
from core.errors import Conflict, Invalid, NotAllowed
from funding import rule_versions
from funding import services as funding_services
from funding.models import Program
from funding.workflow import ProgramCode

from .models import SUBSIDISABLE_STATUSES, InterestSubsidyClaim, InterestSubsidyLoan, Repayment
from .models_pool import AutoSubsidyRun


def require_runner(user: User, program: Program) -> None:
    if not (user.has_role(Role.FIN_CENTER, Role.ADMIN) and user.region_id == program.region_id):
        raise NotAllowed(_("只有本地区的金融服务中心或资金管理员可以运行免申即享"))


def _candidates(program: Program, year: int) -> dict[int, list[int]]:
    """Per enterprise of the region: its loans with interest reported paid in ``year`` whose
    loan-year is not claimed yet (one grouped query)."""
    claimed = InterestSubsidyLoan.objects.filter(year=year, live=True).values("loan_id")
    rows = (
        Repayment.objects.filter(date__year=year, loan__status__in=SUBSIDISABLE_STATUSES,
                                 loan__borrower__region_id=program.region_id)
        .exclude(loan_id__in=claimed)
        .values("loan_id", "loan__borrower_id").annotate(paid=Sum("interest")).filter(paid__gt=0)
        .order_by("loan__borrower_id", "loan_id")
    )
    out: dict[int, list[int]] = {}
    for row in rows:
        out.setdefault(row["loan__borrower_id"], []).append(row["loan_id"])
    return out


def _open_case(program: Program, applicant_id: int, loan_ids: list[int], year: int, by: User, direct: bool):
    from applicants.models import Applicant  # noqa: PLC0415  the run's only other model

    applicant = Applicant.objects.get(pk=applicant_id)
    with transaction.atomic():
        app = funding_services.application_create(
            by=by, applicant=applicant, program_code=ProgramCode.INTEREST_SUBSIDY, fiscal_year=year + 1,
            title=_("%(year)d 年度知识产权质押贷款贴息（免申即享）") % {"year": year},
            details={"year": year, "loans": loan_ids}, auto_opened=True, auto_direct=direct,
        )
        InterestSubsidyClaim.objects.filter(application=app).update(auto=True)
        if direct:
            app = funding_services.application_transition(
                application_id=app.pk, name="submit", by=by,
                comment=_("免申即享：按银行报送数据直接办理"))
    return app


def _eligible_subset(program, applicant_id, loan_ids, year, by, direct):
    """Try the enterprise's loans together; if that is refused, one by one, keeping those the rules
    accept (a loan the formula refuses, e.g. not a first pledge, is skipped with its reason)."""
    try:
        return _open_case(program, applicant_id, loan_ids, year, by, direct), {}
    except (Invalid, Conflict) as exc:
        if len(loan_ids) == 1:
            return None, {loan_ids[0]: exc.message}
    keep, reasons = [], {}
    for loan_id in loan_ids:
        try:
            with transaction.atomic():
                _open_case(program, applicant_id, [loan_id], year, by, False)
                raise _Probe
        except _Probe:
            keep.append(loan_id)
        except (Invalid, Conflict) as exc:
            reasons[loan_id] = exc.message
    if not keep:
        return None, reasons
    try:
        return _open_case(program, applicant_id, keep, year, by, direct), reasons
    except (Invalid, Conflict) as exc:
        return None, {**reasons, **dict.fromkeys(keep, exc.message)}


class _Probe(Exception):
    """Rolls a trial case back."""


def auto_subsidy_run(*, by: User, program: Program, year: int | None = None,
                     today: dt.date | None = None) -> AutoSubsidyRun:
    """Open the year's 免申即享 cases of ``program`` (interest_subsidy); returns the run's record."""
    require_runner(by, program)
    if program.code != ProgramCode.INTEREST_SUBSIDY:
        raise Invalid(_("免申即享只适用于质押贷款贴息项目"), field="program")
    today = today or timezone.localdate()
    year = year or today.year - 1
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year < today.year:
        raise Invalid(_("贴息年度应为 2000 年至去年之间的年份"), field="year")
    rules, _version = rule_versions.rules_on(program, today)
    if rules.auto_subsidy_mode == "off":
        raise Conflict(_("该项目规则未启用免申即享"), code="auto_subsidy_off")
    direct = rules.auto_subsidy_mode == "direct"
    with transaction.atomic():
        # One run at a time per program; NO KEY: inserts of its applications (FK checks) do not wait.
        Program.objects.select_for_update(no_key=True).get(pk=program.pk)
        created, skipped = [], {}
        for applicant_id, loan_ids in _candidates(program, year).items():
            app, reasons = _eligible_subset(program, applicant_id, loan_ids, year, by, direct)
            skipped.update({str(k): v for k, v in reasons.items()})
            if app is not None:
                created.append(app)
        run = AutoSubsidyRun.objects.create(program=program, year=year, created=len(created), skipped=len(skipped),
                                            detail={"applications": [a.pk for a in created], "skipped": skipped,
                                                    "mode": rules.auto_subsidy_mode, "by": by.pk})
        transaction.on_commit(lambda: _tell(created, direct))
    return run


def _tell(created, direct: bool) -> None:
    for app in created:
        users = User.objects.filter(applicant_id=app.applicant_id, is_active=True).values_list("pk", flat=True)
        text = (_("%(title)s 已由金融服务中心直接办理，无需申请；可在案件页查看计算过程") if direct else
                _("系统已根据银行报送的还款数据为您生成 %(title)s，请核对计算过程后确认提交"))
        inbox.post(user_ids=list(users), text=text % {"title": app.title},
                   link=reverse("funding:detail", args=[app.pk]))


def due_programs(today: dt.date | None = None) -> list[Program]:
    """The interest-subsidy programs whose run day is today (for the daily command)."""
    today = today or timezone.localdate()
    due = []
    for program in Program.objects.filter(code=ProgramCode.INTEREST_SUBSIDY).prefetch_related("rule_versions"):
        try:
            rules, _version = rule_versions.rules_on(program, today)
        except Conflict:
            continue
        if rules.auto_subsidy_mode != "off" and rules.auto_subsidy_on == today.strftime("%m-%d"):
            due.append(program)
    return due


def runner_for(program: Program) -> User | None:
    return (User.objects.filter(region_id=program.region_id, is_active=True, groups__name=Role.FIN_CENTER)
            .order_by("pk").first())

