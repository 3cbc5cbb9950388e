"""IP-pledge loans registered by partner banks, and the funding details that refer to them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applicants.models import Applicant, Bank, IPAsset
from funding.models import MONEY, Application
from funding.workflow import RELEASING_STATES


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SETTLED = "settled", _("已结清")
    DEFAULTED = "defaulted", _("已违约")
    COMPENSATED = "compensated", _("已补偿")
    CANCELLED = "cancelled", _("已撤销登记")


# A right stays pledged while its loan is live; settling, cancelling or compensation releases it.
LIVE_STATUSES = frozenset({LoanStatus.ACTIVE, LoanStatus.DEFAULTED})
# Loans whose interest may be subsidised (not cancelled, not defaulted or compensated).
SUBSIDISABLE_STATUSES = frozenset({LoanStatus.ACTIVE, LoanStatus.SETTLED})


def claim_dropped(loan: "PledgeLoan") -> bool:
    """A defaulted loan may still be settled or cancelled once its risk-compensation claim is
    rejected or withdrawn (no claim at all: nothing is pending either)."""
    state = Application.objects.filter(risk_claim__loan_id=loan.pk).values_list("state", flat=True).first()
    return state is None or state in RELEASING_STATES


class PledgeLoan(ConcurrentTransitionMixin, models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="loans", verbose_name=_("银行"))
    borrower = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="loans", verbose_name=_("借款企业"))
    contract_no = models.CharField(_("合同编号"), max_length=60)
    principal = models.DecimalField(_("贷款本金"), **MONEY)
    annual_rate = models.DecimalField(_("年利率"), max_digits=7, decimal_places=6)
    start_date = models.DateField(_("放款日"))
    maturity_date = models.DateField(_("到期日"))
    pledge_registration_no = models.CharField(_("质押登记号"), max_length=40)
    outstanding_principal = models.DecimalField(_("贷款余额"), **MONEY)
    # Mixed collateral: the total value of everything pledged (IP and other); null = IP only.
    collateral_total = models.DecimalField(_("抵质押物总价值"), null=True, blank=True, **MONEY)
    insured_or_guaranteed = models.BooleanField(_("有保险或担保"), default=False)
    # The risk pool covering this loan, decided at registration under the pool's leverage limit.
    risk_pool = models.ForeignKey("pledges.RiskPool", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="loans", verbose_name=_("纳入风险补偿资金池"))
    status = FSMField(_("状态"), default=LoanStatus.ACTIVE, choices=LoanStatus.choices, protected=True, max_length=12)
    defaulted_on = models.DateField(_("违约日"), null=True, blank=True)
    outstanding_at_default = models.DecimalField(_("违约时余额"), null=True, blank=True, **MONEY)
    settled_on = models.DateField(_("结清日"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识产权质押贷款")
        verbose_name_plural = _("知识产权质押贷款")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "contract_no"], name="loan_contract_unique_per_bank"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(condition=Q(annual_rate__gt=0) & Q(annual_rate__lt=1), name="loan_rate_fraction"),
            models.CheckConstraint(condition=Q(maturity_date__gt=F("start_date")), name="loan_maturity_after_start"),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0) & Q(outstanding_principal__lte=F("principal")),
                name="loan_outstanding_within_principal",
            ),
        ]
        indexes = [
            models.Index(fields=["bank", "status", "start_date"]),
            models.Index(fields=["status", "start_date"]),
            models.Index(fields=["borrower", "status"]),
            models.Index(fields=["start_date"]),
            models.Index(fields=["defaulted_on"], name="loan_defaulted_on_idx"),  # the report's defaults of a year
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.contract_no}"

    # Transitions; the bank-scoping and the rights release live in pledges.services.
    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.SETTLED)
    @transition(field=status, source=LoanStatus.DEFAULTED, target=LoanStatus.SETTLED, conditions=[claim_dropped])
    def settle(self, on=None) -> None:
        self.settled_on = on or timezone.localdate()

    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.DEFAULTED)
    def default(self, on, outstanding: Decimal) -> None:
        self.defaulted_on = on
        self.outstanding_at_default = outstanding

    @transition(field=status, source=LoanStatus.DEFAULTED, target=LoanStatus.COMPENSATED)
    def compensate(self) -> None:
        pass

    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.CANCELLED)
    @transition(field=status, source=LoanStatus.DEFAULTED, target=LoanStatus.CANCELLED, conditions=[claim_dropped])
    def cancel(self) -> None:
        pass


class PledgedRight(models.Model):
    class Kind(models.TextChoices):
        PATENT = "patent", _("专利权")
        TRADEMARK = "trademark", _("商标权")

    loan = models.ForeignKey(PledgeLoan, on_delete=models.CASCADE, related_name="rights", verbose_name=_("质押贷款"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("号码"), max_length=20)
    valuation = models.DecimalField(_("评估价值"), **MONEY)
    ip_asset = models.ForeignKey(IPAsset, on_delete=models.SET_NULL, null=True, blank=True, related_name="pledges",
                                 verbose_name=_("知识产权"))
    live = models.BooleanField(_("质押中"), default=True)

    class Meta:
        verbose_name = _("质押权利")
        verbose_name_plural = _("质押权利")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number"], condition=Q(live=True), name="right_under_one_live_pledge"
            ),
            models.UniqueConstraint(fields=["loan", "kind", "number"], name="right_once_per_loan"),
            models.CheckConstraint(condition=Q(valuation__gt=0), name="right_valuation_positive"),
        ]
        indexes = [models.Index(fields=["kind", "number"])]


class Repayment(models.Model):
    loan = models.ForeignKey(PledgeLoan, on_delete=models.CASCADE, related_name="repayments", verbose_name=_("质押贷款"))
    date = models.DateField(_("还款日"))
    principal = models.DecimalField(_("本金"), **MONEY)
    interest = models.DecimalField(_("利息"), **MONEY)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now, editable=False)  # hashed, so set before saving
    # The hash chain (core.audit_chain, written by pledges.audit.record_repayment); null = not chained.
    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True, editable=False)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0) & (Q(principal__gt=0) | Q(interest__gt=0)),
                name="repayment_amounts_positive",
            ),
            models.UniqueConstraint(fields=["stream", "seq"], name="repayment_stream_seq_unique"),
        ]
        indexes = [models.Index(fields=["loan", "date"]), models.Index(fields=["date"])]


class Recovery(models.Model):
    """Money the bank recovered after a compensated default; ``pool_share`` flows back to the budget."""

    loan = models.ForeignKey(PledgeLoan, on_delete=models.CASCADE, related_name="recoveries", verbose_name=_("质押贷款"))
    date = models.DateField(_("回收日"))
    amount = models.DecimalField(_("回收金额"), **MONEY)
    pool_share = models.DecimalField(_("补偿资金分回"), **MONEY)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now, editable=False)  # hashed, so set before saving
    # The hash chain (core.audit_chain, written by pledges.audit.record_recovery); null = not chained.
    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True, editable=False)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("追偿回收")
        verbose_name_plural = _("追偿回收")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(
                condition=Q(pool_share__gte=0) & Q(pool_share__lte=F("amount")), name="recovery_share_within_amount"
            ),
            models.UniqueConstraint(fields=["stream", "seq"], name="recovery_stream_seq_unique"),
        ]


class LoanEvent(models.Model):
    """What happened to a loan and who did it: registration, repayments, settlement, default…"""

    loan = models.ForeignKey(PledgeLoan, on_delete=models.CASCADE, related_name="events", verbose_name=_("质押贷款"))
    kind = models.CharField(_("事件"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    detail = models.JSONField(_("明细"), default=dict, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                           verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # The hash chain (core.audit_chain, written by pledges.audit.record_loan_event); null = not chained.
    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True, editable=False)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("贷款事件")
        verbose_name_plural = _("贷款事件")
        ordering = ["id"]
        indexes = [models.Index(fields=["loan", "id"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="loan_event_stream_seq_unique")]


class IdempotencyRecord(models.Model):
    """A bank's Idempotency-Key and the response it got, kept ``IPFUND_IDEMPOTENCY_HOURS``."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="+", verbose_name=_("银行"))
    key = models.CharField(_("幂等键"), max_length=200)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    method = models.CharField(_("请求方法"), max_length=8)
    path = models.CharField(_("请求路径"), max_length=200)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True)
    response_body = models.JSONField(_("响应内容"), null=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [models.UniqueConstraint(fields=["bank", "key"], name="idempotency_key_unique_per_bank")]
        indexes = [models.Index(fields=["created_at"])]


class InterestSubsidyClaim(models.Model):
    """质押贷款贴息: an enterprise's claim for year ``year`` over some of its loans."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="interest_claim",
                                       verbose_name=_("申请"))
    year = models.PositiveIntegerField(_("贴息年度"))
    # 免申即享: opened by the system from the banks' reports rather than applied for.
    auto = models.BooleanField(_("免申即享"), default=False)
    loans = models.ManyToManyField(PledgeLoan, through="InterestSubsidyLoan", related_name="+", verbose_name=_("贴息贷款"))

    class Meta:
        verbose_name = _("贴息申请明细")
        verbose_name_plural = _("贴息申请明细")


class InterestSubsidyLoan(models.Model):
    claim = models.ForeignKey(InterestSubsidyClaim, on_delete=models.CASCADE, related_name="claim_loans",
                              verbose_name=_("贴息申请明细"))
    loan = models.ForeignKey(PledgeLoan, on_delete=models.PROTECT, related_name="interest_claims",
                             verbose_name=_("质押贷款"))
    year = models.PositiveIntegerField(_("贴息年度"))
    interest_paid = models.DecimalField(_("当年已付利息"), **MONEY)
    live = models.BooleanField(_("有效占用"), default=True)

    class Meta:
        verbose_name = _("贴息贷款")
        verbose_name_plural = _("贴息贷款")
        constraints = [
            # One subsidy per loan and year: a second live claim for the same interest is refused.
            models.UniqueConstraint(fields=["loan", "year"], condition=Q(live=True), name="interest_claim_once_per_loan_year"),
        ]


class RiskCompensationClaim(models.Model):
    """风险补偿: opened by a loan's default; the claimant is the bank."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="risk_claim",
                                       verbose_name=_("申请"))
    loan = models.OneToOneField(PledgeLoan, on_delete=models.PROTECT, related_name="risk_claim",
                                verbose_name=_("质押贷款"))
    outstanding_at_default = models.DecimalField(_("违约时余额"), **MONEY)
    share = models.DecimalField(_("分担比例"), max_digits=6, decimal_places=4)

    class Meta:
        verbose_name = _("风险补偿明细")
        verbose_name_plural = _("风险补偿明细")


# One models module for Django: the rate table and the risk pool live beside this one.
from .models_pool import AutoSubsidyRun, LoanPrimeRate, RiskPool, RiskPoolChange, RiskPoolFunder, RiskPoolShare  # noqa: E402,F401
