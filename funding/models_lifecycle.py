"""After the money left: clawbacks (追回) and the bars (失信) that fraud brings."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models_audit import ChainedRow

MONEY = {"max_digits": 14, "decimal_places": 2}


class Clawback(ChainedRow):
    """Money paid to a case and recovered to the budget it was paid from (``funding.clawbacks``)."""

    application = models.ForeignKey("funding.Application", on_delete=models.PROTECT, related_name="clawbacks",
                                    verbose_name=_("申请"))
    amount = models.DecimalField(_("追回金额"), **MONEY)
    date = models.DateField(_("追回日期"))
    voucher_no = models.CharField(_("凭证号"), max_length=40)
    reason = models.CharField(_("原因"), max_length=500)
    fraud = models.BooleanField(_("以欺诈手段取得"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("经办人"))
    at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资金追回")
        verbose_name_plural = _("资金追回")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_amount_positive"),
            models.UniqueConstraint(fields=["stream", "seq"], name="clawback_stream_seq_unique"),
        ]


class ApplicantBar(models.Model):
    """失信: an applicant barred from every program of a region until ``until``; lifted only with a reason."""

    applicant = models.ForeignKey("applicants.Applicant", on_delete=models.PROTECT, related_name="bars",
                                  verbose_name=_("申请主体"))
    region = models.ForeignKey("applicants.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("行政区"))
    until = models.DateField(_("限制至"))
    reason = models.CharField(_("原因"), max_length=500)
    clawback = models.OneToOneField(Clawback, on_delete=models.PROTECT, null=True, blank=True, related_name="bar",
                                    verbose_name=_("资金追回"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("解除人"))
    lift_reason = models.CharField(_("解除理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("失信限制")
        verbose_name_plural = _("失信限制")
        ordering = ["-id"]
        indexes = [models.Index(fields=["applicant", "region", "until"])]


class Objection(models.Model):
    """An objection to a case in its public notice (公示), in writing and with a real name."""

    application = models.ForeignKey("funding.Application", on_delete=models.PROTECT, related_name="objections",
                                    verbose_name=_("申请"))
    name = models.CharField(_("异议人姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20)
    reason = models.TextField(_("异议理由"))
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("提交人"))
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    upheld = models.BooleanField(_("异议成立"), null=True)
    comment = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("处理人"))

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["id"]
        indexes = [models.Index(fields=["application", "resolved_at"]), models.Index(fields=["address", "created_at"])]
