"""Page forms: one per program's details, the transition form, reviews, documents, adjustments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField

from .models import AwardLevel
from .workflow import ProgramCode


def money_field(label, required=True, *, allow_zero=False, allow_negative=False) -> MoneyField:
    """An amount in 元 through ``core.money.parse_money`` (cleaned to a Decimal, None when left empty)."""
    return MoneyField(label=label, required=required, allow_zero=allow_zero, allow_negative=allow_negative)


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            field.widget.attrs.setdefault("class", css)


class ApplicationForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=200)
    requested_amount = money_field(_("申请金额（元）"), required=False)
    detail_names: tuple[str, ...] = ()

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.detail_names if self.cleaned_data.get(name) is not None}


class PatentListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "ZL202510012345.6"})

    def to_python(self, value):
        value = super().to_python(value)
        return [line.strip() for line in value.replace(",", "\n").replace("，", "\n").splitlines() if line.strip()]


class SubsidyForm(ApplicationForm):
    patents = PatentListField(label=_("专利号（每行一件）"))
    official_fees_paid = money_field(_("已缴官费（元）"))
    detail_names = ("patents", "official_fees_paid")


class AwardForm(ApplicationForm):
    patent = forms.CharField(label=_("专利号"), max_length=40)
    level = forms.ChoiceField(label=_("奖项等级"), choices=AwardLevel.choices)
    detail_names = ("patent", "level")


class IndustrializationForm(ApplicationForm):
    patents = PatentListField(label=_("实施的专利（每行一件）"))
    total_investment = money_field(_("总投资（元）"))
    self_funding = money_field(_("自筹资金（元）"), allow_zero=True)
    expected_output_value = money_field(_("预期产值（元）"), allow_zero=True)
    jobs = forms.IntegerField(label=_("新增就业（人）"), min_value=0)
    detail_names = ("patents", "total_investment", "self_funding", "expected_output_value", "jobs")


PROGRAM_FORMS: dict[str, type[ApplicationForm]] = {
    ProgramCode.APPLICATION_SUBSIDY: SubsidyForm,
    ProgramCode.PATENT_AWARD: AwardForm,
    ProgramCode.INDUSTRIALIZATION: IndustrializationForm,
}


class TransitionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    approved_amount = money_field(_("批准金额（元）"), required=False)
    amount = money_field(_("拨付金额（元）"), required=False)
    voucher_no = forms.CharField(label=_("凭证号"), max_length=40, required=False)
    experts = forms.CharField(label=_("评审专家用户名（逗号分隔，留空为全部）"), required=False)
    grade = forms.ChoiceField(label=_("验收等级"), required=False,
                              choices=[("", "—"), ("excellent", _("优秀")), ("good", _("良好")), ("pass", _("合格"))])
    output_value = money_field(_("实际产值（元）"), required=False, allow_zero=True)
    jobs = forms.IntegerField(label=_("实际新增就业"), required=False, min_value=0, max_value=1_000_000)
    patents_implemented = forms.IntegerField(label=_("实施专利数"), required=False, min_value=0, max_value=10_000)

    OUTCOMES = ("output_value", "jobs", "patents_implemented")

    def data_for_service(self) -> dict:
        d = {k: v for k, v in self.cleaned_data.items()
             if k != "comment" and k not in self.OUTCOMES and v not in (None, "")}
        if "experts" in d:
            d["experts"] = [u.strip() for u in d["experts"].replace("，", ",").split(",") if u.strip()]
        outcomes = {k: self.cleaned_data[k] for k in self.OUTCOMES if self.cleaned_data.get(k) is not None}
        if outcomes:
            d["outcomes"] = {k: str(v) if not isinstance(v, int) else v for k, v in outcomes.items()}
        return d


class ReviewForm(BootstrapMixin, forms.Form):
    score = forms.IntegerField(label=_("评分（0–100）"), min_value=0, max_value=100)
    recommended_amount = money_field(_("建议金额（元）"), allow_zero=True)
    comment = forms.CharField(label=_("评审意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.CharField(label=_("材料类型"), max_length=40)
    file = forms.FileField(label=_("文件（PDF/JPG/PNG）"))


class AdjustmentForm(BootstrapMixin, forms.Form):
    program = forms.ChoiceField(label=_("资金项目"), choices=ProgramCode.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = money_field(_("调整金额（元，负数为调减）"), allow_negative=True)
    reason = forms.CharField(label=_("理由"), max_length=200)
