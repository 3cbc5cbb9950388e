"""What a case carries besides its state: program details, claimed patents, reviews, documents."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from applicants.models import IPAsset
from core.money import ZERO

from .models_audit import ChainedRow

MONEY = {"max_digits": 14, "decimal_places": 2}


class SubsidyClaim(models.Model):
    """专利资助: the official fees the applicant paid for the claimed patents."""

    application = models.OneToOneField("funding.Application", on_delete=models.CASCADE, related_name="subsidy_claim",
                                       verbose_name=_("申请"))
    official_fees_paid = models.DecimalField(_("已缴官费"), **MONEY)

    class Meta:
        verbose_name = _("专利资助明细")
        verbose_name_plural = _("专利资助明细")
        constraints = [models.CheckConstraint(condition=Q(official_fees_paid__gt=0), name="subsidy_fees_positive")]


class AwardLevel(models.TextChoices):
    GOLD = "gold", _("金奖")
    SILVER = "silver", _("银奖")
    EXCELLENCE = "excellence", _("优秀奖")


class AwardNomination(models.Model):
    application = models.OneToOneField("funding.Application", on_delete=models.CASCADE, related_name="award_nomination",
                                       verbose_name=_("申请"))
    level = models.CharField(_("奖项等级"), max_length=12, choices=AwardLevel.choices)

    class Meta:
        verbose_name = _("专利奖申报")
        verbose_name_plural = _("专利奖申报")


class IndustrializationPlan(models.Model):
    application = models.OneToOneField("funding.Application", on_delete=models.CASCADE,
                                       related_name="industrialization_plan", verbose_name=_("申请"))
    total_investment = models.DecimalField(_("总投资"), **MONEY)
    self_funding = models.DecimalField(_("自筹资金"), **MONEY)
    expected_output_value = models.DecimalField(_("预期产值"), **MONEY)
    jobs = models.PositiveIntegerField(_("新增就业"))

    class Meta:
        verbose_name = _("产业化项目计划")
        verbose_name_plural = _("产业化项目计划")
        constraints = [
            models.CheckConstraint(condition=Q(total_investment__gt=0), name="plan_investment_positive"),
            models.CheckConstraint(
                condition=Q(self_funding__gte=0) & Q(self_funding__lte=F("total_investment")),
                name="plan_self_funding_within_investment",
            ),
        ]


class PatentClaim(models.Model):
    """A patent named by an application. ``live`` until the application is rejected or withdrawn.

    The partial unique constraint makes a patent claimable once per program, ever: two racing
    claims for one patent cannot both commit.
    """

    application = models.ForeignKey("funding.Application", on_delete=models.CASCADE, related_name="patent_claims",
                                    verbose_name=_("申请"))
    program = models.ForeignKey("funding.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("资金项目"))
    patent = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="claims", verbose_name=_("专利"))
    standard_amount = models.DecimalField(_("标准金额"), default=ZERO, **MONEY)
    live = models.BooleanField(_("有效占用"), default=True)

    class Meta:
        verbose_name = _("申请所涉专利")
        verbose_name_plural = _("申请所涉专利")
        constraints = [
            models.UniqueConstraint(fields=["application", "patent"], name="patent_claim_once_per_application"),
            models.UniqueConstraint(
                fields=["program", "patent"], condition=Q(live=True), name="patent_claimed_once_per_program"
            ),
        ]


class ReviewAssignment(models.Model):
    application = models.ForeignKey("funding.Application", on_delete=models.CASCADE, related_name="review_assignments",
                                    verbose_name=_("申请"))
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments",
                               verbose_name=_("评审专家"))
    round = models.PositiveSmallIntegerField(_("评审轮次"), default=1)
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评审分配")
        verbose_name_plural = _("评审分配")
        constraints = [models.UniqueConstraint(fields=["application", "expert", "round"],
                                               name="review_assignment_unique_per_round")]
        indexes = [models.Index(fields=["expert", "application"])]


class Review(ChainedRow):
    application = models.ForeignKey("funding.Application", on_delete=models.CASCADE, related_name="reviews",
                                    verbose_name=_("申请"))
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews",
                               verbose_name=_("评审专家"))
    round = models.PositiveSmallIntegerField(_("评审轮次"), default=1)
    score = models.PositiveSmallIntegerField(_("评分"), validators=[MaxValueValidator(100)])
    # Per item of the case's 评分细则 ({key: points}); ``score`` is their sum. Null without criteria.
    item_scores = models.JSONField(_("分项评分"), null=True, blank=True)
    recommended_amount = models.DecimalField(_("建议金额"), **MONEY)
    comment = models.TextField(_("评审意见"), blank=True)
    created_at = models.DateTimeField(_("评审时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家评审")
        verbose_name_plural = _("专家评审")
        constraints = [
            models.UniqueConstraint(fields=["application", "expert", "round"], name="review_once_per_expert_round"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="review_score_0_100"),
            models.CheckConstraint(condition=Q(recommended_amount__gte=0), name="review_amount_not_negative"),
            models.UniqueConstraint(fields=["stream", "seq"], name="review_stream_seq_unique"),
        ]


def document_upload_path(instance: "Document", filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    application = models.ForeignKey("funding.Application", on_delete=models.CASCADE, related_name="documents",
                                    verbose_name=_("申请"))
    kind = models.CharField(_("材料类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to=document_upload_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["id"]
