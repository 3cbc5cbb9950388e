"""Admin for every pledges model: for looking and searching only. Loans, rights, repayments,
recoveries, loan events and claims change through the services (the banks' API, the pages), which
keep the ledger and the audit chains; here nothing can be added, changed or deleted. The one table
the admin keeps here is the LPR (``LoanPrimeRate``), in percent."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnly
from core.errors import Invalid
from core.forms import PercentField
from core.money import format_percent, plain_decimal

from . import admin_pool  # noqa: F401  the risk pool and its funders (pledges.admin_pool)
from .lpr import lpr_save
from .models import (
    IdempotencyRecord,
    InterestSubsidyClaim,
    InterestSubsidyLoan,
    LoanEvent,
    LoanPrimeRate,
    PledgedRight,
    PledgeLoan,
    Recovery,
    Repayment,
    RiskCompensationClaim,
)


class PledgedRightInline(ReadOnly, admin.TabularInline):
    model = PledgedRight
    extra = 0
    fields = ["kind", "number", "valuation", "ip_asset", "live"]
    readonly_fields = fields
    can_delete = False


class RepaymentInline(ReadOnly, admin.TabularInline):
    model = Repayment
    extra = 0
    readonly_fields = ["date", "principal", "interest", "created_at"]
    can_delete = False


class LoanEventInline(ReadOnly, admin.TabularInline):
    model = LoanEvent
    extra = 0
    readonly_fields = ["at", "kind", "from_status", "to_status", "by", "detail"]
    can_delete = False


@admin.register(PledgeLoan)
class PledgeLoanAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["contract_no", "bank", "borrower", "principal", "outstanding_principal", "status", "start_date"]
    list_filter = ["status", "bank"]
    search_fields = ["contract_no", "borrower__name", "borrower__credit_code", "pledge_registration_no",
                     "rights__number"]
    list_select_related = ["bank", "borrower"]
    readonly_fields = ["bank", "borrower", "principal", "annual_rate", "start_date", "maturity_date",
                       "outstanding_principal", "status", "defaulted_on", "outstanding_at_default", "settled_on",
                       "created_by", "created_at", "updated_at"]
    inlines = [PledgedRightInline, RepaymentInline, LoanEventInline]


@admin.register(PledgedRight)
class PledgedRightAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["number", "kind", "valuation", "loan", "live"]
    list_filter = ["kind", "live"]
    search_fields = ["number", "loan__contract_no"]
    list_select_related = ["loan", "loan__bank"]
    readonly_fields = ["loan", "kind", "number", "valuation", "ip_asset", "live"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["loan", "date", "principal", "interest"]
    list_select_related = ["loan", "loan__bank"]
    date_hierarchy = "date"
    readonly_fields = ["loan", "date", "principal", "interest", "created_at"]


@admin.register(Recovery)
class RecoveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["loan", "date", "amount", "pool_share"]
    list_select_related = ["loan", "loan__bank"]
    readonly_fields = ["loan", "date", "amount", "pool_share", "created_at"]


@admin.register(LoanEvent)
class LoanEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "loan", "kind", "from_status", "to_status", "by"]
    list_filter = ["kind"]
    list_select_related = ["loan", "loan__bank", "by"]
    readonly_fields = ["loan", "kind", "from_status", "to_status", "detail", "by", "at"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "bank", "key", "method", "path", "response_status"]
    list_filter = ["bank"]
    search_fields = ["key"]
    readonly_fields = ["bank", "key", "request_hash", "method", "path", "response_status", "response_body",
                       "created_at"]


class InterestSubsidyLoanInline(ReadOnly, admin.TabularInline):
    model = InterestSubsidyLoan
    extra = 0
    readonly_fields = ["loan", "year", "interest_paid", "live"]
    can_delete = False


@admin.register(InterestSubsidyClaim)
class InterestSubsidyClaimAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["application", "year"]
    list_select_related = ["application"]
    readonly_fields = ["application", "year"]
    inlines = [InterestSubsidyLoanInline]


@admin.register(InterestSubsidyLoan)
class InterestSubsidyLoanAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["claim", "loan", "year", "interest_paid", "live"]
    list_select_related = ["claim", "loan", "loan__bank"]
    readonly_fields = ["claim", "loan", "year", "interest_paid", "live"]


@admin.register(RiskCompensationClaim)
class RiskCompensationClaimAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["application", "loan", "outstanding_at_default", "share"]
    list_select_related = ["application", "loan", "loan__bank"]
    readonly_fields = ["application", "loan", "outstanding_at_default", "share"]


# --- the LPR table the admin keeps (pledges.interest reads it) -----------------------------------

MONTH_FORMAT = "%Y-%m"


class RateField(PercentField):
    """A rate in percent (``3.45%``, or the fraction ``0.0345``); a bare ``3.45`` is refused with how to write it."""

    def parse(self, text: str):
        compact = text.strip()
        if not compact.endswith(("%", "％")):
            try:
                bare = Decimal(compact)
            except InvalidOperation:
                bare = None
            if bare is not None and bare >= 1:
                raise Invalid(_("请以百分数填写，如 %(x)s%%（或小数 %(f)s）")
                              % {"x": compact, "f": plain_decimal(bare / 100)}, field="fraction")
        return super().parse(text)


class LoanPrimeRateForm(forms.ModelForm):
    """Month as ``2025-03`` (stored as its first day), the rates in percent (stored as fractions)."""

    month = forms.DateField(label=_("月份"), input_formats=[MONTH_FORMAT, "%Y-%m-%d"],
                            widget=forms.DateInput(format=MONTH_FORMAT, attrs={"placeholder": "2025-03"}),
                            help_text=_("发布 LPR 的月份，如 2025-03；贷款按放款日前一个月的 1 年期 LPR 计算贴息"))
    one_year = RateField(label=_("1 年期 LPR"), places=6, high=Decimal("0.2"), low_open=True,
                         what=_("1 年期 LPR"), help_text=_("以百分数填写，如 3.45%（也可写 0.0345）"))
    five_year = RateField(label=_("5 年期以上 LPR"), places=6, high=Decimal("0.2"), low_open=True,
                          what=_("5 年期以上 LPR"), help_text=_("以百分数填写，如 3.95%（也可写 0.0395）"))

    class Meta:
        model = LoanPrimeRate
        fields = ["month", "one_year", "five_year"]

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month.day != 1:
            raise forms.ValidationError(_("月份请填写为 2025-03 的形式（或当月 1 日，如 2025-03-01）"))
        return month


@admin.register(LoanPrimeRate)
class LoanPrimeRateAdmin(admin.ModelAdmin):
    """Added and corrected here; never deleted: running cases re-derive their amounts from it."""

    form = LoanPrimeRateForm
    list_display = ["month_shown", "one_year_shown", "five_year_shown"]
    ordering = ["-month"]
    date_hierarchy = "month"

    @admin.display(description=_("月份"), ordering="month")
    def month_shown(self, row: LoanPrimeRate) -> str:
        return row.month.strftime(MONTH_FORMAT)

    @admin.display(description=_("1 年期 LPR"), ordering="one_year")
    def one_year_shown(self, row: LoanPrimeRate) -> str:
        return format_percent(row.one_year)

    @admin.display(description=_("5 年期以上 LPR"), ordering="five_year")
    def five_year_shown(self, row: LoanPrimeRate) -> str:
        return format_percent(row.five_year)

    def save_model(self, request, obj, form, change) -> None:
        """Through ``pledges.lpr.lpr_save``: the loans judged by the month are told, in their chains."""
        lpr_save(obj, by=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
