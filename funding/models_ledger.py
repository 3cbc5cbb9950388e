"""The money of a program's year: its ``Budget`` and the double-entry ``LedgerEntry`` rows that are
its only figures (``funding.ledger`` writes them, chained; balances are sums, never stored)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class Budget(models.Model):
    """A program's budget for one fiscal year. Its figures derive from ledger entries."""

    program = models.ForeignKey("Program", on_delete=models.PROTECT, related_name="budgets", verbose_name=_("资金项目"))
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("年度预算")
        verbose_name_plural = _("年度预算")
        ordering = ["-year", "program_id"]
        constraints = [models.UniqueConstraint(fields=["program", "year"], name="budget_unique_per_program_year")]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"


class Account(models.TextChoices):
    """Accounts of a budget. SOURCE is the outside world (treasury, recoveries)."""

    SOURCE = "source", _("资金来源")
    AVAILABLE = "available", _("可用")
    COMMITTED = "committed", _("已承诺")
    PAID = "paid", _("已拨付")


class EntryKind(models.TextChoices):
    ALLOCATION = "allocation", _("年初预算")
    ADJUSTMENT = "adjustment", _("预算调整")
    COMMIT = "commit", _("批准承诺")
    RELEASE = "release", _("释放")
    PAYMENT = "payment", _("拨付")
    RECOVERY = "recovery", _("追偿回收")
    CLAWBACK = "clawback", _("追回")


class LedgerEntry(models.Model):
    """One balanced movement of ``amount`` from ``credit_account`` to ``debit_account``.

    Every entry debits one account and credits another by the same amount, so the accounts of a
    budget always sum to zero; balances are sums of entries, never stored.
    """

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="entries", verbose_name=_("年度预算"))
    application = models.ForeignKey(
        "Application", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries",
        verbose_name=_("申请"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    debit_account = models.CharField(_("借方账户"), max_length=10, choices=Account.choices)
    credit_account = models.CharField(_("贷方账户"), max_length=10, choices=Account.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    voucher_no = models.CharField(_("凭证号"), max_length=40, null=True, blank=True, unique=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    booked_on = models.DateField(_("记账日期"), default=timezone.localdate)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   verbose_name=_("记账人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The hash chain (core.audit_chain, written by funding.ledger.post); null = written around it.
    stream = models.CharField(_("链分区"), max_length=40, default="", db_default="", blank=True, editable=False)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(condition=~Q(debit_account=F("credit_account")), name="ledger_two_accounts"),
            models.UniqueConstraint(fields=["stream", "seq"], name="ledger_entry_stream_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["application", "kind"]),
            # Budget figures and the report's breakdowns read only these columns: index-only scans (PostgreSQL).
            models.Index(fields=["budget", "kind"], name="ledger_budget_figures_idx",
                         include=["debit_account", "credit_account", "amount", "application", "booked_on", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
