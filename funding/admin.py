"""The admin site for funding: a window on the data, never a way around the services.

States, amounts, claims, reviews, ledger entries and audit rows are read-only and undeletable
here; a program's rules change only through ``funding.program_rules.program_update`` (validated,
normalised, recorded), which the program form calls on save.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnly
from core.errors import Invalid
from core.forms import MoneyField, PercentField

from . import rule_versions
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
    RuleVersion,
    SubsidyClaim,
    TransitionLog,
)
from .program_rules import program_update
from .rule_widgets import AwardLevelsField, SubsidyStandardsField
from .rule_widgets_lists import DocumentListField, ScoringCriteriaField
from .ruleset import EDITABLE_PROGRAM_FIELDS, normalise


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """Rows written only by services (ledger, audit, workflow): visible, never editable here."""


def _label(name: str):
    return Program._meta.get_field(name).verbose_name


CAP_HINT = _("留空表示不设上限；可写 250000、250,000 或 25万")


class ProgramForm(forms.ModelForm):
    """Rules in tables and boxes (``funding.rule_widgets``), amounts as ``MoneyField``, shares and rates
    in percent (``PercentField``): the fields only turn what was typed into the values the API would
    send; ``normalise`` validates them and ``program_update`` (``ProgramAdmin.save_model``) records them."""

    cap_per_project = MoneyField(label=_label("cap_per_project"), required=False, allow_zero=True,
                                 help_text=CAP_HINT)
    cap_per_applicant_year = MoneyField(label=_label("cap_per_applicant_year"), required=False, allow_zero=True,
                                        help_text=CAP_HINT)
    subsidy_standards = SubsidyStandardsField(
        label=_label("subsidy_standards"),
        help_text=_("每件授权专利的资助金额（元）。某国家留空时按“其他国家/地区”一行计；该行也留空则不予资助；"
                    "某类专利整列留空则该类不予资助。其他国家/地区可在空行填两位代码（如 DE）；清空一行即删除该行。"),
    )
    fee_share = PercentField(label=_label("fee_share"),
                             help_text=_("资助金额不超过已缴官费的这一比例。以百分数填写，如 50%（也可写 0.5）"))
    award_levels = AwardLevelsField(label=_label("award_levels"),
                                    help_text=_("每个等级的奖励金额（元）；留空的等级不设奖励。"))
    first_tranche_share = PercentField(
        label=_label("first_tranche_share"), low_open=True,
        help_text=_("验收前可拨付的批准金额比例；100% 表示可一次拨付。以百分数填写，如 60%（也可写 0.6）"),
    )
    interest_ratio = PercentField(label=_label("interest_ratio"),
                                  help_text=_("按银行报告的当年已付利息的这一比例贴息。以百分数填写，如 50%（也可写 0.5）"))
    risk_share = PercentField(label=_label("risk_share"),
                              help_text=_("按违约时贷款余额的这一比例补偿合作银行。以百分数填写，如 40%（也可写 0.4）"))
    scoring_criteria = ScoringCriteriaField(
        label=_label("scoring_criteria"),
        help_text=_("专家逐项打分，总分为各项之和。每行一个评分项：名称（最多 40 字）和满分（1–100 的整数），"
                    "最多 12 项，满分之和须为 100；清空一行即删除该项。已提交的申请按提交时的细则评审。"),
    )
    required_documents = DocumentListField(label=_label("required_documents"),
                                           help_text=_("每行一种材料类型名称（如 专利证书）；提交申请前须逐一上传。"))
    lpr_markup_cap = PercentField(label=_label("lpr_markup_cap"), required=False,
                                  help_text=_("如 40% 表示贷款利率超出 LPR×140% 的部分不计入贴息；留空不限"))
    insured_interest_ratio = PercentField(label=_label("insured_interest_ratio"), required=False,
                                          help_text=_("贷款有保险或担保时的贴息比例，如 50%；留空表示与一般贴息比例相同"))
    reason = forms.CharField(label=_("修改说明"), max_length=200, required=False,
                             help_text=_("记入规则变更记录（谁、何时、原值 → 新值）"))
    # A change of rule values is a new version (funding.rule_versions): from when, on what basis.
    effective_from = forms.DateField(label=_("新规则施行日期"), required=False,
                                     help_text=_("留空为今天。已提交的申请仍按提交当日施行的版本办理"))
    effective_until = forms.DateField(label=_("新规则截止日期"), required=False, help_text=_("留空表示长期有效"))
    basis_title = forms.CharField(label=_("依据文件"), max_length=200, required=False)
    basis_doc_no = forms.CharField(label=_("文号"), max_length=60, required=False, help_text=_("如 渝知发〔2025〕2号"))
    basis_article = forms.CharField(label=_("条款"), max_length=100, required=False, help_text=_("如 第三条"))
    basis_url = forms.CharField(label=_("文件链接"), max_length=300, required=False)

    class Meta:
        model = Program
        fields = [name for name in EDITABLE_PROGRAM_FIELDS]

    def clean(self):
        cleaned = super().clean()
        # A field its own input refused is not in ``cleaned``: its error is already on the form.
        changes = {name: cleaned[name] for name in self.changed_data
                   if name in EDITABLE_PROGRAM_FIELDS and name in cleaned}
        try:
            self.normalised = normalise(changes)
        except Invalid as exc:
            for name, messages in exc.as_field_errors().items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        try:  # the new version's dates and basis: refused here, on the form, not after it was accepted
            rule_versions.check_version_inputs({name: cleaned.get(name) for name in VERSION_FORM_FIELDS})
        except Invalid as exc:
            for name, messages in exc.as_field_errors().items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned


VERSION_FORM_FIELDS = ("effective_from", "effective_until", "basis_title", "basis_doc_no", "basis_article",
                       "basis_url")


class RuleVersionInline(admin.TabularInline):
    """The program's dated versions, read only: a new one is written by saving new rule values."""

    model = RuleVersion
    fields = ["number", "effective_from", "effective_until", "ends", "basis_title", "basis_doc_no", "basis_article",
              "reason", "by", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    inlines = [RuleVersionInline]
    list_display = ["name_zh", "code", "region", "is_open", "expert_review", "publicity_days", "cap_per_project",
                    "cap_per_applicant_year"]
    list_filter = ["region", "is_open", "code"]
    readonly_fields = ["region", "code"]
    fieldsets = [
        (None, {"fields": ["region", "code", "name_zh", "name_en", "description", "is_open"]}),
        (_("评审与公示"), {"fields": ["expert_review", "min_reviews", "scoring_criteria", "publicity_days",
                                   "publicity_day_kind"]}),
        (_("金额上限与拨付"), {"fields": ["cap_per_project", "cap_per_applicant_year", "first_tranche_share"]}),
        (_("专利资助"), {"fields": ["subsidy_trigger", "subsidy_standards", "fee_share", "grant_years_back"]}),
        (_("专利奖"), {"fields": ["award_levels"]}),
        (_("质押贷款贴息与风险补偿"), {"fields": ["interest_basis", "interest_ratio", "insured_interest_ratio",
                                           "lpr_markup_cap", "first_pledge_only", "max_years_per_loan",
                                           "auto_subsidy_mode", "auto_subsidy_on", "risk_share"]}),
        (_("申请材料与失信"), {"fields": ["required_documents", "ban_years"]}),
        (_("本次修改"), {"fields": ["reason", "effective_from", "effective_until", "basis_title", "basis_doc_no",
                                 "basis_article", "basis_url"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # A rule added to EDITABLE_PROGRAM_FIELDS later is never left off the page.
        listed = {name for _title, options in self.fieldsets for name in options["fields"]}
        rest = [name for name in EDITABLE_PROGRAM_FIELDS if name not in listed]
        return [*self.fieldsets[:-1], *([(_("其他"), {"fields": rest})] if rest else []), self.fieldsets[-1]]

    def has_add_permission(self, request, obj=None):
        return False  # programs come with their region (seed_demo); rules change, programs do not appear

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form's values are only a request: the service validates, saves and records them.
        version = {name: form.cleaned_data.get(name) or "" for name in VERSION_FORM_FIELDS}
        program_update(by=request.user, program=obj, changes=getattr(form, "normalised", {}),
                       reason=form.cleaned_data.get("reason", ""), version=version)


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
