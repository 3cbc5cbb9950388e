"""The admin site for funding: a window on the data, never a way around the services.

States, amounts, claims, reviews, ledger entries and audit rows are read-only and undeletable
here; a program's rules change only through ``funding.program_rules.program_update`` (validated,
normalised, recorded), which the program form calls on save.
"""

from django import forms
from django.contrib import admin

from core.errors import Invalid

from .clawbacks import bar_lift
from .models import (
    ApplicantBar,
    Application,
    AwardNomination,
    Budget,
    Clawback,
    Document,
    IndustrializationPlan,
    LedgerEntry,
    PatentClaim,
    Program,
    ProgramRuleChange,
    Review,
    ReviewAssignment,
    SubsidyClaim,
    TransitionLog,
)
from .program_rules import program_update
from .ruleset import EDITABLE_PROGRAM_FIELDS, normalise


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (ledger, audit, workflow): visible, never editable here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProgramForm(forms.ModelForm):
    reason = forms.CharField(label="修改说明", max_length=200, required=False,
                             help_text="记入规则变更记录（谁、何时、原值 → 新值）")

    class Meta:
        model = Program
        fields = [name for name in EDITABLE_PROGRAM_FIELDS]

    def clean(self):
        cleaned = super().clean()
        changes = {name: cleaned.get(name) for name in self.changed_data if name in EDITABLE_PROGRAM_FIELDS}
        try:
            self.normalised = normalise(changes)
        except Invalid as exc:
            for name, messages in exc.as_field_errors().items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ["name_zh", "code", "region", "is_open", "expert_review", "publicity_days", "cap_per_project",
                    "cap_per_applicant_year"]
    list_filter = ["region", "is_open", "code"]
    readonly_fields = ["region", "code"]

    def has_add_permission(self, request, obj=None):
        return False  # programs come with their region (seed_demo); rules change, programs do not appear

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form's values are only a request: the service validates, saves and records them.
        program_update(by=request.user, program=obj, changes=getattr(form, "normalised", {}),
                       reason=form.cleaned_data.get("reason", ""))


@admin.register(ProgramRuleChange)
class ProgramRuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["program", "field", "old_value", "new_value", "by", "at", "reason"]
    list_filter = ["program__code", "field"]
    list_select_related = ["program", "by"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    # Money moves only through ledger entries (allocations and adjustments on the budget page / API).
    list_display = ["program", "year", "created_at"]
    list_filter = ["year", "program__code"]
    list_select_related = ["program"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "budget", "kind", "credit_account", "debit_account", "amount", "application", "voucher_no",
                    "booked_on"]
    list_filter = ["kind", "budget__year"]
    list_select_related = ["budget__program"]
    search_fields = ["voucher_no", "memo"]


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ["application", "transition", "from_state", "to_state", "amount", "voucher_no", "by", "at"]
    list_select_related = ["application", "by"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "program", "applicant", "fiscal_year", "state", "requested_amount",
                    "approved_amount", "disbursed_amount"]
    list_filter = ["state", "program__code", "fiscal_year"]
    list_select_related = ["program", "applicant"]
    search_fields = ["title", "applicant__name"]


for model in (SubsidyClaim, AwardNomination, IndustrializationPlan, PatentClaim, ReviewAssignment, Review, Document):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    list_display = ["application", "amount", "date", "voucher_no", "fraud", "by", "at"]
    list_select_related = ["application", "by"]


class BarLiftForm(forms.ModelForm):
    class Meta:
        model = ApplicantBar
        fields = ["lift_reason"]

    def clean_lift_reason(self):
        reason = (self.cleaned_data.get("lift_reason") or "").strip()
        if not reason:
            raise forms.ValidationError("解除失信限制须说明理由")
        return reason


@admin.register(ApplicantBar)
class ApplicantBarAdmin(admin.ModelAdmin):
    """A bar is lifted here, by the fund administrator, only with a reason (``funding.clawbacks.bar_lift``)."""

    form = BarLiftForm
    list_display = ["applicant", "region", "until", "reason", "lifted_at", "lifted_by"]
    list_select_related = ["applicant", "region", "lifted_by"]
    readonly_fields = ["applicant", "region", "until", "reason", "clawback", "created_at", "lifted_at", "lifted_by"]

    def has_add_permission(self, request, obj=None):
        return False  # bars come from fraud clawbacks

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        bar_lift(by=request.user, bar_id=obj.pk, reason=form.cleaned_data["lift_reason"])
