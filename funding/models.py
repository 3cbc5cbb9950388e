"""Programs (rules as data), budgets, the double-entry ledger, and applications with their workflow."""

from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from applicants.models import Applicant, Bank, Region
from core.money import ZERO
from core.workdays import period_end

from . import conditions as cond
from .ruleset import RuleSet
from .workflow import CLAIMANT, FINANCE, INTAKE, ProgramCode, State, Transition, may, step

MONEY = {"max_digits": 14, "decimal_places": 2}
RATIO = {"max_digits": 6, "decimal_places": 4}


def default_subsidy_standards() -> dict:
    """元 per granted patent by type and country (渝知发〔2020〕21号); absent types are not eligible."""
    return {"invention": {"CN": "1000.00", "US": "20000.00", "JP": "20000.00", "KR": "20000.00",
                          "EP": "20000.00", "*": "10000.00"}}


def default_award_levels() -> dict:
    return {"gold": "200000.00", "silver": "100000.00", "excellence": "50000.00"}


class PublicityDayKind(models.TextChoices):
    """How a notice period counts (``core.workdays``): China's working days, or calendar days."""

    WORKING = "working", _("工作日（按法定节假日和调休）")
    CALENDAR = "calendar", _("自然日")


class SubsidyTrigger(models.TextChoices):
    GRANT = "grant", _("授权后资助")
    FILING = "filing", _("申请即资助")


class InterestBasis(models.TextChoices):
    PAID = "paid", _("实付利息")
    LPR = "lpr", _("贷款市场报价利率（LPR）")


class AutoSubsidyMode(models.TextChoices):
    OFF = "off", _("不启用")
    CONFIRM = "confirm", _("系统生成，企业确认")
    DIRECT = "direct", _("系统生成，金融服务中心直接办理")


class Program(models.Model):
    """A fund program of one region; every number that policy may change is a field here."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="programs", verbose_name=_("行政区"))
    code = models.CharField(_("代码"), max_length=32, choices=ProgramCode.choices)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    is_open = models.BooleanField(_("接受申报"), default=True)
    publicity_days = models.PositiveSmallIntegerField(_("公示期（天数）"), default=5)
    publicity_day_kind = models.CharField(_("公示期计算方式"), max_length=10, choices=PublicityDayKind.choices,
                                          default=PublicityDayKind.WORKING)
    expert_review = models.BooleanField(_("需要专家评审"), default=False)
    min_reviews = models.PositiveSmallIntegerField(_("所需评审数"), default=3)
    cap_per_project = models.DecimalField(_("单项上限（元）"), null=True, blank=True, **MONEY)
    cap_per_applicant_year = models.DecimalField(_("每主体每年上限（元）"), null=True, blank=True, **MONEY)
    subsidy_standards = models.JSONField(_("资助标准"), default=dict, blank=True)
    fee_share = models.DecimalField(_("资助占官费比例上限"), default=Decimal("0.5000"), **RATIO)
    grant_years_back = models.PositiveSmallIntegerField(_("授权年份（往前几年）"), default=1)
    award_levels = models.JSONField(_("奖励等级金额"), default=dict, blank=True)
    first_tranche_share = models.DecimalField(
        _("首笔拨付比例上限"), default=Decimal("1.0000"), **RATIO,
        help_text=_("验收前可拨付的批准金额比例；1 表示可一次拨付。"),
    )
    interest_ratio = models.DecimalField(_("贴息比例"), default=Decimal("0.5000"), **RATIO)
    risk_share = models.DecimalField(_("风险补偿分担比例"), default=Decimal("0.4000"), **RATIO)
    ban_years = models.PositiveSmallIntegerField(_("失信限制年限"), default=3,
                                                 help_text=_("以欺诈手段取得资金的，追回后限制申报的年数"))
    required_documents = models.JSONField(_("必需材料"), default=list, blank=True)
    # 评分细则: [{"key", "label", "max"}, …], maxima summing to 100 (funding.ruleset); empty = one 0–100 score.
    scoring_criteria = models.JSONField(_("评分细则"), default=list, blank=True)
    # 专利资助: paid for a grant (the national rule since 2021) or for a filing (what it forbade).
    subsidy_trigger = models.CharField(_("资助环节"), max_length=8, choices=SubsidyTrigger.choices,
                                       default=SubsidyTrigger.GRANT)
    # 贴息 by formula (pledges.interest): of the interest paid, or of the LPR; variants as rule values.
    interest_basis = models.CharField(_("贴息计算基数"), max_length=8, choices=InterestBasis.choices,
                                      default=InterestBasis.PAID)
    lpr_markup_cap = models.DecimalField(_("利率上浮计入上限"), null=True, blank=True, **RATIO,
                                         help_text=_("如 40% 表示贷款利率超出 LPR×140% 的部分不计入贴息；留空不限"))
    insured_interest_ratio = models.DecimalField(_("有保险或担保时的贴息比例"), null=True, blank=True, **RATIO,
                                                 help_text=_("留空表示与一般贴息比例相同"))
    first_pledge_only = models.BooleanField(_("仅限首次质押"), default=False,
                                            help_text=_("贷款须至少有一件专利是首次质押"))
    max_years_per_loan = models.PositiveSmallIntegerField(_("每笔贷款最多贴息年数"), null=True, blank=True)
    # 免申即享: on auto_subsidy_on (MM-DD) each year, cases for the year before are opened without applying.
    auto_subsidy_mode = models.CharField(_("免申即享"), max_length=8, choices=AutoSubsidyMode.choices,
                                         default=AutoSubsidyMode.OFF)
    auto_subsidy_on = models.CharField(_("免申即享计算日"), max_length=5, blank=True,
                                       help_text=_("每年的月-日，如 01-15：计算上一年度的贴息"))

    class Meta:
        verbose_name = _("资金项目")
        verbose_name_plural = _("资金项目")
        ordering = ["region", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="program_code_unique_per_region"),
            models.CheckConstraint(condition=Q(fee_share__gte=0) & Q(fee_share__lte=1), name="program_fee_share_0_1"),
            models.CheckConstraint(condition=Q(risk_share__gte=0) & Q(risk_share__lte=1), name="program_risk_share_0_1"),
            models.CheckConstraint(
                condition=Q(interest_ratio__gte=0) & Q(interest_ratio__lte=1), name="program_interest_ratio_0_1"
            ),
            models.CheckConstraint(
                condition=Q(first_tranche_share__gt=0) & Q(first_tranche_share__lte=1), name="program_tranche_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class ApplicationManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """Bulk inserts skip ``save``: the region copy is set here from the programs (one query),
        whatever the objects carried."""
        objs = list(objs)
        programs = {obj.program_id for obj in objs}
        if programs:
            regions = dict(Program.objects.filter(pk__in=programs).values_list("pk", "region_id"))
            for obj in objs:
                obj.region_id = regions.get(obj.program_id)
        return super().bulk_create(objs, *args, **kwargs)


class Application(ConcurrentTransitionMixin, models.Model):
    """One application to one program; per-program details hang off it one-to-one."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications",
                                verbose_name=_("资金项目"))
    # The program's region, copied at creation (a program never changes region): a region's list is
    # then one index range ("region", "id"), not a filter over every county's newest rows.
    # verify_audit checks the copy against the program.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", editable=False,
                               db_index=False, verbose_name=_("行政区"))
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("申请主体"))
    claimant_bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, null=True, blank=True, related_name="claims", verbose_name=_("申请银行"),
        help_text=_("风险补偿由银行申请时为该银行"),
    )
    fiscal_year = models.PositiveIntegerField(_("资金年度"))
    title = models.CharField(_("项目名称"), max_length=200)
    requested_amount = models.DecimalField(_("申请金额"), **MONEY)
    approved_amount = models.DecimalField(_("批准金额"), null=True, blank=True, **MONEY)
    # A cache of the application's PAYMENT entries, kept in the same transaction as each payment
    # (lists and queues read it); verify_ledger checks it against the ledger.
    disbursed_amount = models.DecimalField(_("已拨付金额"), default=ZERO, **MONEY)
    # A cache of the application's CLAWBACK entries (追回), kept like disbursed_amount.
    clawed_back_amount = models.DecimalField(_("已追回金额"), default=ZERO, **MONEY)
    state = FSMField(_("状态"), default=State.DRAFT, choices=State.choices, protected=True, max_length=20)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # 受理编号 (WS-ZL-2026-0007): given at the first submission (funding.case_numbers), kept after a return.
    case_no = models.CharField(_("受理编号"), max_length=32, unique=True, null=True, blank=True, editable=False)
    # The program's rules as they stood at submission: the case is judged by these (funding.ruleset).
    frozen_rules = models.JSONField(_("提交时的项目规则"), null=True, blank=True, editable=False)
    # The version those rules are a copy of (the one in force on the submission date; funding.rule_versions).
    rule_version = models.ForeignKey("funding.RuleVersion", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", editable=False, verbose_name=_("规则版本"))
    # 免申即享: opened by the system from the banks' reports, not applied for (pledges.auto_subsidy).
    auto_opened = models.BooleanField(_("免申即享生成"), default=False, editable=False)
    # …and taken directly by the intake role (the program said so when the system opened it).
    auto_direct = models.BooleanField(_("免申即享直接办理"), default=False, editable=False)
    # The current expert-review round (0 = never sent); only its reviews count.
    review_round = models.PositiveSmallIntegerField(_("评审轮次"), default=0)
    publicity_started_on = models.DateField(_("公示开始日"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("公示截止日"), null=True, blank=True)
    # The amount the notice proposes: the approval bound when the notice was published.
    proposed_amount = models.DecimalField(_("拟资助金额"), null=True, blank=True, **MONEY)
    # 验收: what the project reports it achieved, and the grade the intake role gave.
    completion_outcomes = models.JSONField(_("验收成果"), null=True, blank=True)
    completion_grade = models.CharField(_("验收等级"), max_length=10, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ApplicationManager()

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="application_requested_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0),
                name="application_approved_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(disbursed_amount__gte=0)
                & (Q(approved_amount__isnull=True, disbursed_amount=0) | Q(disbursed_amount__lte=F("approved_amount"))),
                name="application_paid_within_approved",
            ),
            models.CheckConstraint(condition=Q(clawed_back_amount__gte=0)
                                   & Q(clawed_back_amount__lte=F("disbursed_amount")),
                                   name="application_clawback_within_paid"),
        ]
        indexes = [
            models.Index(fields=["region", "id"], name="application_region_newest"),
            models.Index(fields=["program", "state", "fiscal_year"]),
            models.Index(fields=["state", "fiscal_year"]),
            models.Index(fields=["applicant", "fiscal_year"]),
            models.Index(fields=["fiscal_year", "program"]),
            models.Index(fields=["claimant_bank", "state"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    # The counters (funding.counts) follow every save: a new case, or a case whose key changed.
    COUNTED = ("program_id", "fiscal_year", "state", "auto_opened")

    def save(self, *args, **kwargs):
        from . import counts  # noqa: PLC0415  counts reads these models

        adding = self._state.adding
        if adding and self.program_id is not None:  # always the program's: never taken from the caller
            cached = Application.program.is_cached(self)
            self.region_id = (self.program.region_id if cached else
                              Program.objects.values_list("region_id", flat=True).get(pk=self.program_id))
        old = getattr(self, "_counted_key", None)
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            new = counts.key_of(self)
            if adding or old is not None:
                counts.moved(None if adding else old, new, counts.shard_of(self))
        self._counted_key = new

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if all(name in instance.__dict__ for name in cls.COUNTED):
            instance._counted_key = tuple(getattr(instance, name) for name in cls.COUNTED)
        return instance

    @property
    def outstanding_amount(self) -> Decimal:
        return (self.approved_amount or ZERO) - self.disbursed_amount

    @property
    def accepted_after_completion(self) -> bool:
        """验收 passed (the later tranches may be paid): kept for the API field of that name."""
        return bool(self.completion_grade)

    @property
    def rules(self) -> RuleSet:
        """The rules this case is judged by: frozen at submission, the ones in force today before."""
        if self.frozen_rules:
            return RuleSet.from_json(self.frozen_rules, self.program)
        from .rule_versions import current_rules  # noqa: PLC0415  it reads these models

        return current_rules(self.program)

    # --- the workflow: every transition declared once, here -----------------------------------
    # ``custom=step(...)``: who takes it, what it asks, how it looks (funding.workflow.Step);
    # ``conditions=``: named predicates with their Chinese message (funding.conditions);
    # what each does to money: funding.effects (PREPARE / EFFECTS), in the same transaction.

    @transition(field=state, source=[State.DRAFT, State.RETURNED], target=State.SUBMITTED,
                permission=may(Transition.SUBMIT), conditions=[cond.requirements_met],
                custom=step(CLAIMANT, confirm=True, fields=("pledge_accepted",)))
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=state, source=[State.DRAFT, State.SUBMITTED, State.RETURNED], target=State.WITHDRAWN,
                permission=may(Transition.WITHDRAW), custom=step(CLAIMANT, style="outline-danger", confirm=True))
    def withdraw(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=State.SUBMITTED, target=State.ACCEPTED,
                permission=may(Transition.ACCEPT), custom=step(INTAKE))
    def accept(self) -> None:
        pass

    @transition(field=state, source=[State.SUBMITTED, State.ACCEPTED, State.UNDER_REVIEW], target=State.RETURNED,
                permission=may(Transition.RETURN_FOR_REVISION),
                custom=step(INTAKE, comment_required=True, style="outline-secondary"))
    def return_for_revision(self) -> None:
        pass

    @transition(field=state, source=State.ACCEPTED, target=State.UNDER_REVIEW,
                permission=may(Transition.SEND_TO_REVIEW), conditions=[cond.program_uses_experts],
                custom=step(INTAKE, fields=("experts", "draw")))
    def send_to_review(self) -> None:
        pass

    @transition(field=state, source=[State.ACCEPTED, State.UNDER_REVIEW], target=State.PUBLICITY,
                permission=may(Transition.PUBLISH), conditions=[cond.has_public_notice, cond.review_stage_done],
                custom=step(INTAKE))
    def publish(self, proposed_amount=None) -> None:
        # The notice's end and amount are fixed now: a later rule change never moves them.
        self.publicity_started_on = timezone.localdate()
        self.publicity_ends_on = period_end(self.publicity_started_on, self.rules.publicity_days,
                                            self.rules.publicity_day_kind)
        self.proposed_amount = proposed_amount

    @transition(field=state, source=[State.SUBMITTED, State.ACCEPTED, State.UNDER_REVIEW, State.PUBLICITY],
                target=State.REJECTED, permission=may(Transition.REJECT),
                custom=step(INTAKE, FINANCE, comment_required=True, style="outline-danger", confirm=True,
                            finance_at_its_stage=True))
    def reject(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=[State.PUBLICITY, State.ACCEPTED], target=State.APPROVED,
                permission=may(Transition.APPROVE),
                conditions=[cond.ready_for_decision, cond.publicity_elapsed, cond.no_open_objection],
                custom=step(FINANCE, fields=("approved_amount",), confirm=True))
    def approve(self, amount: Decimal) -> None:
        self.approved_amount = amount
        self.decided_at = timezone.now()

    @transition(field=state, source=[State.APPROVED, State.COMPLETED],
                target=RETURN_VALUE(State.APPROVED, State.COMPLETED, State.DISBURSED),
                permission=may(Transition.DISBURSE),
                custom=step(FINANCE, fields=("amount", "voucher_no", "date"), confirm=True))
    def disburse(self, amount: Decimal) -> str:
        self.disbursed_amount += amount
        if self.disbursed_amount >= (self.approved_amount or ZERO):
            return State.DISBURSED
        return self.state

    @transition(field=state, source=State.APPROVED, target=State.REJECTED,
                permission=may(Transition.REVOKE), conditions=[cond.nothing_paid_yet],
                custom=step(FINANCE, comment_required=True, style="outline-danger", confirm=True))
    def revoke(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=State.PUBLICITY, target=RETURN_VALUE(State.UNDER_REVIEW, State.ACCEPTED),
                permission=may(Transition.UPHOLD_OBJECTION), conditions=[cond.objection_open],
                custom=step(INTAKE, comment_required=True, fields=("objection",), style="outline-danger",
                            confirm=True))
    def uphold_objection(self) -> str:
        # Back to review (a new round, funding.effects) or, without experts, to intake's decision.
        self.publicity_started_on = self.publicity_ends_on = None
        return State.UNDER_REVIEW if self.rules.expert_review else State.ACCEPTED

    # --- after approval: 验收 (acceptance on completion) and termination ---

    @transition(field=state, source=State.APPROVED, target=State.COMPLETION_REVIEW,
                permission=may(Transition.SUBMIT_COMPLETION),
                conditions=[cond.paid_in_tranches, cond.completion_report_attached],
                custom=step(CLAIMANT, fields=("outcomes",), confirm=True))
    def submit_completion(self) -> None:
        pass

    @transition(field=state, source=State.COMPLETION_REVIEW, target=State.COMPLETED,
                permission=may(Transition.PASS_COMPLETION), custom=step(INTAKE, fields=("grade",), confirm=True))
    def pass_completion(self) -> None:
        pass

    @transition(field=state, source=State.COMPLETION_REVIEW, target=State.APPROVED,
                permission=may(Transition.RETURN_COMPLETION),
                custom=step(INTAKE, comment_required=True, style="outline-secondary"))
    def return_completion(self) -> None:
        pass

    @transition(field=state, source=[State.APPROVED, State.COMPLETION_REVIEW, State.COMPLETED],
                target=State.TERMINATED, permission=may(Transition.TERMINATE),
                custom=step(FINANCE, comment_required=True, style="outline-danger", confirm=True))
    def terminate(self) -> None:
        self.decided_at = timezone.now()


# One models module for Django: the case's details and the audit tables live beside this one.
from .models_audit import AuditChainHead, ProgramRuleChange, TransitionLog  # noqa: E402,F401
from .models_counts import ApplicationCount  # noqa: E402,F401
from .models_details import (  # noqa: E402,F401
    AwardLevel,
    AwardNomination,
    Document,
    IndustrializationPlan,
    PatentClaim,
    Review,
    ReviewAssignment,
    SubsidyClaim,
    document_upload_path,
)
from .models_ledger import Account, Budget, EntryKind, LedgerEntry  # noqa: E402,F401
from .models_lifecycle import ApplicantBar, Clawback, Objection  # noqa: E402,F401
from .models_versions import RuleVersion  # noqa: E402,F401
