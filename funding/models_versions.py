"""A program's rules as a series of dated versions, each citing its basis (``funding.rule_versions``).

A version is immutable once written (a chained row: an SQL edit is a ``verify_audit`` finding).
On a day the version started last by then governs (ties: the later-written one), until its
``effective_until``; an ``ends`` version is the document that stopped the program: from its first
day no new cases.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models_audit import ChainedRow


class RuleVersion(ChainedRow):
    program = models.ForeignKey("funding.Program", on_delete=models.PROTECT, related_name="rule_versions",
                                verbose_name=_("资金项目"))
    number = models.PositiveSmallIntegerField(_("版本号"))
    effective_from = models.DateField(_("施行日期"))
    effective_until = models.DateField(_("截止日期"), null=True, blank=True,
                                       help_text=_("留空表示长期有效，直至新版本施行"))
    ends = models.BooleanField(_("停止执行"), default=False,
                               help_text=_("自施行日期起本项目停止受理新申报（如依据文件废止该项资助）"))
    basis_title = models.CharField(_("依据文件"), max_length=200, blank=True)
    basis_doc_no = models.CharField(_("文号"), max_length=60, blank=True)
    basis_article = models.CharField(_("条款"), max_length=100, blank=True)
    basis_url = models.CharField(_("文件链接"), max_length=300, blank=True)
    rules = models.JSONField(_("规则"), default=dict, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("录入人"))
    at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目规则版本")
        verbose_name_plural = _("项目规则版本")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="rule_version_number_unique"),
            models.UniqueConstraint(fields=["stream", "seq"], name="rule_version_stream_seq_unique"),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="rule_version_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["program", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.program} v{self.number}"

    @property
    def basis(self) -> str:
        """The basis as people cite it: 《title》（文号）article."""
        parts = []
        if self.basis_title:
            parts.append(f"《{self.basis_title.strip('《》')}》")
        if self.basis_doc_no:
            parts.append(f"（{self.basis_doc_no}）")
        if self.basis_article:
            parts.append(self.basis_article)
        return "".join(parts)

    def covers(self, day) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)
