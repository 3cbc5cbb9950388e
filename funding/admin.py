from django.contrib import admin

from .models import (
    Application,
    AwardNomination,
    Budget,
    Document,
    IndustrializationPlan,
    LedgerEntry,
    PatentClaim,
    Program,
    Review,
    ReviewAssignment,
    SubsidyClaim,
    TransitionLog,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (ledger, audit): visible, never editable here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "code", "region", "is_open", "expert_review", "publicity_days", "cap_per_project",
                    "cap_per_applicant_year"]
    list_filter = ["region", "is_open", "code"]
    readonly_fields = ["region", "code"]


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ["program", "year", "created_at"]
    list_filter = ["year", "program__code"]
    list_select_related = ["program"]

    def has_change_permission(self, request, obj=None):
        return False  # money moves only through ledger entries (budget adjustments)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "budget", "kind", "credit_account", "debit_account", "amount", "application", "voucher_no",
                    "booked_on"]
    list_filter = ["kind", "budget__year"]
    list_select_related = ["budget__program"]
    search_fields = ["voucher_no", "memo"]


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ["application", "transition", "from_state", "to_state", "by", "at"]
    list_select_related = ["application", "by"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "program", "applicant", "fiscal_year", "state", "requested_amount",
                    "approved_amount", "disbursed_amount"]
    list_filter = ["state", "program__code", "fiscal_year"]
    list_select_related = ["program", "applicant"]
    search_fields = ["title", "applicant__name"]
    readonly_fields = ["state", "approved_amount", "disbursed_amount", "submitted_at", "publicity_started_on",
                       "decided_at", "created_by"]


for model in (SubsidyClaim, AwardNomination, IndustrializationPlan, PatentClaim, ReviewAssignment, Review, Document):
    admin.site.register(model)
