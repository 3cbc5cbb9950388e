"""The audit tables of funding: state changes, rule changes and the chain heads.

Each row is a link of a tamper-evident hash chain (``core.audit_chain``), written only by
``funding.audit`` inside the transaction of the change it records.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class ChainedRow(models.Model):
    """stream/seq/prev_hash/hash of a chained row; seq null = written around the audit (a finding)."""

    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True, editable=False)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class TransitionLog(ChainedRow):
    """The audit row of a state change, written in the same transaction as the change."""

    application = models.ForeignKey("funding.Application", on_delete=models.PROTECT, related_name="history",
                                    verbose_name=_("申请"))
    transition = models.CharField(_("操作"), max_length=24)
    from_state = models.CharField(_("原状态"), max_length=20)
    to_state = models.CharField(_("新状态"), max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                           verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    comment = models.TextField(_("意见"), blank=True)
    # The money the change moved (approve: committed; disburse: paid; revoke: released) and its voucher.
    amount = models.DecimalField(_("金额"), null=True, blank=True, **MONEY)
    voucher_no = models.CharField(_("凭证号"), max_length=40, null=True, blank=True)
    # What else the decision fixed: the outcomes reported for 验收, the grade given.
    detail = models.JSONField(_("明细"), null=True, blank=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["application", "id"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="transition_log_stream_seq_unique")]


class AuditChainHead(models.Model):
    """The tail of one audit hash chain (``core.audit_chain``); locked to append a row."""

    chain = models.CharField(_("链名"), max_length=32)
    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True)
    seq = models.PositiveBigIntegerField(_("链序号"), default=0)
    hash = models.CharField(_("哈希"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        constraints = [models.UniqueConstraint(fields=["chain", "stream"], name="audit_chain_head_unique")]

    def __str__(self) -> str:
        return f"{self.chain}{'/' + self.stream if self.stream else ''} #{self.seq}"


class ProgramRuleChange(ChainedRow):
    """One changed rule of a program: who, when, old → new (``funding.program_rules``)."""

    program = models.ForeignKey("funding.Program", on_delete=models.PROTECT, related_name="rule_changes",
                                verbose_name=_("资金项目"))
    field = models.CharField(_("规则"), max_length=40)
    old_value = models.JSONField(_("原值"), null=True)
    new_value = models.JSONField(_("新值"), null=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                           verbose_name=_("修改人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("项目规则变更")
        verbose_name_plural = _("项目规则变更")
        ordering = ["-id"]
        indexes = [models.Index(fields=["program", "id"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="program_rule_change_stream_seq_unique")]
