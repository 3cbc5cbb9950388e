"""The rate table and the risk pool behind the two pledge programs.

- ``LoanPrimeRate``: the monthly LPR (贷款市场报价利率) the admin keeps, one- and five-year.
- ``RiskPool``: the 风险补偿资金池 of a region — funders sharing it by ratio (city:county), a
  leverage limit (loans covered ≤ k × the pool), and a loss-ratio circuit breaker (熔断).
- ``RiskPoolShare``: each funder's part of a compensation paid or of a recovery shared back.
- ``RiskPoolChange``: each setting of a pool as ``pool_save`` left it, chained (``pledges.pool_setup``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.models_audit import ChainedRow

MONEY = {"max_digits": 14, "decimal_places": 2}
RATIO = {"max_digits": 6, "decimal_places": 4}
RATE = {"max_digits": 7, "decimal_places": 6}


class LoanPrimeRate(models.Model):
    """The LPR published in ``month`` (its first day), as a fraction (3.45% = 0.034500)."""

    month = models.DateField(_("月份"), unique=True, help_text=_("当月 1 日"))
    one_year = models.DecimalField(_("1 年期 LPR"), **RATE)
    five_year = models.DecimalField(_("5 年期以上 LPR"), **RATE)

    class Meta:
        verbose_name = _("贷款市场报价利率")
        verbose_name_plural = _("贷款市场报价利率")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="lpr_month_first_day"),
            models.CheckConstraint(condition=Q(one_year__gt=0) & Q(one_year__lt=1)
                                   & Q(five_year__gt=0) & Q(five_year__lt=1), name="lpr_fraction"),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class RiskPool(models.Model):
    region = models.OneToOneField("applicants.Region", on_delete=models.PROTECT, related_name="risk_pool",
                                  verbose_name=_("行政区"))
    name = models.CharField(_("名称"), max_length=100)
    leverage = models.DecimalField(_("放大倍数"), max_digits=6, decimal_places=2,
                                   help_text=_("纳入补偿范围的贷款本金合计不超过资金池规模的倍数"))
    loss_breaker = models.DecimalField(_("熔断损失率"), **RATIO,
                                       help_text=_("累计补偿损失占纳入贷款本金的比例达到此值后，新违约不予补偿"))
    loss_warning = models.DecimalField(_("预警损失率"), **RATIO,
                                       help_text=_("达到此值时提醒金融服务中心和财政局"))

    class Meta:
        verbose_name = _("风险补偿资金池")
        verbose_name_plural = _("风险补偿资金池")
        constraints = [
            models.CheckConstraint(condition=Q(leverage__gt=0), name="pool_leverage_positive"),
            models.CheckConstraint(condition=Q(loss_breaker__gt=0) & Q(loss_breaker__lte=1), name="pool_breaker_0_1"),
            models.CheckConstraint(condition=Q(loss_warning__gt=0) & Q(loss_warning__lte=models.F("loss_breaker")),
                                   name="pool_warning_below_breaker"),
        ]

    def __str__(self) -> str:
        return self.name


class RiskPoolFunder(models.Model):
    pool = models.ForeignKey(RiskPool, on_delete=models.CASCADE, related_name="funders", verbose_name=_("资金池"))
    name = models.CharField(_("出资方"), max_length=100)
    share = models.DecimalField(_("分担比例"), **RATIO)
    contribution = models.DecimalField(_("出资金额"), **MONEY)

    class Meta:
        verbose_name = _("资金池出资方")
        verbose_name_plural = _("资金池出资方")
        ordering = ["pool", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "name"], name="pool_funder_unique"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="pool_funder_share_0_1"),
            models.CheckConstraint(condition=Q(contribution__gte=0), name="pool_funder_contribution_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class RiskPoolShare(models.Model):
    """A funder's part of one compensation payment (``application``) or of one recovery (``recovery``)."""

    funder = models.ForeignKey(RiskPoolFunder, on_delete=models.PROTECT, related_name="parts",
                               verbose_name=_("出资方"))
    application = models.ForeignKey("funding.Application", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="pool_shares", verbose_name=_("补偿申请"))
    recovery = models.ForeignKey("pledges.Recovery", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="pool_shares", verbose_name=_("回收"))
    amount = models.DecimalField(_("金额"), **MONEY)
    at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资金池分担")
        verbose_name_plural = _("资金池分担")
        constraints = [
            models.CheckConstraint(condition=Q(application__isnull=False) ^ Q(recovery__isnull=False),
                                   name="pool_share_of_one_thing"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pool_share_not_negative"),
        ]


class RiskPoolChange(ChainedRow):  # chained by pledges.audit.record_pool_change
    """A pool's settings and funders as one ``pool_save`` left them: the chained evidence the live
    rows are compared with (``pledges.pool_setup.pool_setting_findings``), since the breaker, the
    leverage and the shares decide what the pool pays and who bears it."""

    pool = models.ForeignKey(RiskPool, on_delete=models.PROTECT, related_name="changes", verbose_name=_("资金池"))
    state = models.JSONField(_("设置"), help_text=_("名称、放大倍数、损失率及各出资方的比例和出资"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                           verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资金池设置记录")
        verbose_name_plural = _("资金池设置记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["pool", "id"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="risk_pool_change_stream_seq_unique")]


class AutoSubsidyRun(models.Model):
    """One 免申即享 run: a program's interest subsidies for ``year`` computed from the banks' reports."""

    program = models.ForeignKey("funding.Program", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("资金项目"))
    year = models.PositiveIntegerField(_("贴息年度"))
    at = models.DateTimeField(_("运行时间"), default=timezone.now)
    created = models.PositiveIntegerField(_("新建案件数"), default=0)
    skipped = models.PositiveIntegerField(_("跳过数"), default=0)
    detail = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("免申即享运行记录")
        verbose_name_plural = _("免申即享运行记录")
        ordering = ["-at"]
