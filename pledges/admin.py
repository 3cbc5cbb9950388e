"""Admin for every pledges model: for looking and searching only. Loans, rights, repayments,
recoveries, loan events and claims change through the services (the banks' API, the pages), which
keep the ledger and the audit chains; here nothing can be added, changed or deleted."""

from django.contrib import admin

from .models import (
    IdempotencyRecord,
    InterestSubsidyClaim,
    InterestSubsidyLoan,
    LoanEvent,
    PledgedRight,
    PledgeLoan,
    Recovery,
    Repayment,
    RiskCompensationClaim,
)


class ReadOnly:
    """No add, change or delete, whoever asks (superusers included)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
