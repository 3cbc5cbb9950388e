"""Page forms: one per program's details, the transition form, reviews, documents, adjustments."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from applicants.models import IPAsset
from core.forms import MoneyField

from .models import AwardLevel
from .programs import handler_for
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

    def __init__(self, *args, applicant=None, program=None, application=None, **kwargs):
        """``applicant``, ``program`` (and on an edit ``application``): what the registry picker reads."""
        super().__init__(*args, **kwargs)

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.detail_names if self.cleaned_data.get(name) is not None}


class PatentListField(forms.CharField):
    """Patent numbers typed, one a line (or separated by commas): for patents not in the picker."""

    widget = forms.Textarea(attrs={"rows": 2, "placeholder": "ZL202510012345.6"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return [line.strip() for line in value.replace(",", "\n").replace("，", "\n").splitlines() if line.strip()]


@dataclass(frozen=True)
class PatentOption:
    """One of the applicant's registered patents in the picker: may it be claimed here, and why not."""

    number: str
    title: str
    eligible: bool
    reason: str
    checked: bool


class PatentPickerMixin:
    """The applicant's own registered patents as checkboxes (``registered_patents``), each with its
    eligibility from the program's handler (``patent_eligibility``: the checks the service applies),
    and ``patents`` for numbers typed; the service gets both as one list and checks them again."""

    def __init__(self, *args, applicant=None, program=None, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_patents(applicant=applicant, program=program, application=application)

    def setup_patents(self, *, applicant, program, application=None) -> None:
        field = self.fields["registered_patents"]
        assets = list(IPAsset.objects.filter(kind=IPAsset.Kind.PATENT, owner=applicant).order_by("number")
                      if applicant is not None else [])
        field.choices = [(asset.number, asset.number) for asset in assets]
        owned = {asset.number for asset in assets}
        initial = self.initial.get("patents")
        if isinstance(initial, list | tuple):  # an edit: the claimed patents, ticked or typed
            self.initial["registered_patents"] = [n for n in initial if n in owned]
            self.initial["patents"] = "\n".join(n for n in initial if n not in owned)
        chosen = set(self["registered_patents"].value() or [])
        handler = handler_for(program.code) if program is not None else None
        options = []
        for asset in assets:
            ok, reason = (handler.patent_eligibility(program, applicant, asset, application=application)
                          if hasattr(handler, "patent_eligibility") else (True, ""))
            options.append(PatentOption(asset.number, asset.title, ok, reason, asset.number in chosen))
        self.patent_options = options

    def clean(self):
        data = super().clean()
        if not data.get("registered_patents") and not data.get("patents"):
            self.add_error("registered_patents", _("请至少选择或填写一件专利"))
        return data

    def details(self) -> dict:
        details = super().details()
        numbers = list(self.cleaned_data.get("registered_patents") or [])
        numbers += [n for n in self.cleaned_data.get("patents") or [] if n not in numbers]
        details["patents"] = numbers
        return details


def registered_patents_field(label) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, required=False, choices=(),
                                     widget=forms.CheckboxSelectMultiple)


class SubsidyForm(PatentPickerMixin, ApplicationForm):
    registered_patents = registered_patents_field(_("已登记的专利"))
    patents = PatentListField(label=_("其他专利号（未在上方列出的，每行一件）"))
    official_fees_paid = money_field(_("已缴官费（元）"))
    detail_names = ("patents", "official_fees_paid")


class AwardForm(ApplicationForm):
    patent = forms.CharField(label=_("专利号"), max_length=40)
    level = forms.ChoiceField(label=_("奖项等级"), choices=AwardLevel.choices)
    detail_names = ("patent", "level")


class IndustrializationForm(PatentPickerMixin, ApplicationForm):
    registered_patents = registered_patents_field(_("实施的专利（已登记）"))
    patents = PatentListField(label=_("其他实施的专利号（未在上方列出的，每行一件）"))
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


class UsernameListField(forms.Field):
    """Usernames from ticked checkboxes (one ``experts`` value each) or typed, separated by commas."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value or ""]
        names = [name.strip() for text in values for name in str(text).replace("，", ",").split(",")]
        return list(dict.fromkeys(name for name in names if name))


class TransitionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    approved_amount = money_field(_("批准金额（元）"), required=False)
    amount = money_field(_("拨付金额（元）"), required=False)
    voucher_no = forms.CharField(label=_("凭证号"), max_length=40, required=False)
    date = forms.DateField(label=_("拨付日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    experts = UsernameListField(label=_("评审专家"), required=False)
    draw = forms.BooleanField(label=_("随机抽取"), required=False)
    grade = forms.ChoiceField(label=_("验收等级"), required=False,
                              choices=[("", "—"), ("excellent", _("优秀")), ("good", _("良好")), ("pass", _("合格"))])
    output_value = money_field(_("实际产值（元）"), required=False, allow_zero=True)
    jobs = forms.IntegerField(label=_("实际新增就业"), required=False, min_value=0, max_value=1_000_000)
    patents_implemented = forms.IntegerField(label=_("实施专利数"), required=False, min_value=0, max_value=10_000)

    OUTCOMES = ("output_value", "jobs", "patents_implemented")

    def data_for_service(self) -> dict:
        d = {k: v for k, v in self.cleaned_data.items()
             if k != "comment" and k not in self.OUTCOMES and v is not None and v is not False and v not in ("", [])}
        outcomes = {k: self.cleaned_data[k] for k in self.OUTCOMES if self.cleaned_data.get(k) is not None}
        if outcomes:
            d["outcomes"] = {k: str(v) if not isinstance(v, int) else v for k, v in outcomes.items()}
        return d


class ReviewForm(BootstrapMixin, forms.Form):
    """One 0–100 score, or under the case's 评分细则 one 0–max input per item (``item_<key>``) and no
    score: the service adds the items up. The bounds are the service's to check (its message names the item)."""

    score = forms.IntegerField(label=_("评分（0–100）"), min_value=0, max_value=100)
    recommended_amount = money_field(_("建议金额（元）"), allow_zero=True)
    comment = forms.CharField(label=_("评审意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria or ())
        if self.criteria:
            del self.fields["score"]
            items = {f"item_{item['key']}": forms.IntegerField(
                label=_("%(label)s（0–%(max)d 分）") % {"label": item["label"], "max": item["max"]},
                widget=forms.NumberInput(attrs={"min": 0, "max": item["max"], "class": "form-control"}))
                for item in self.criteria}
            self.fields = {**items, **self.fields}

    def item_scores(self) -> dict[str, int] | None:
        if not self.criteria:
            return None
        return {item["key"]: self.cleaned_data[f"item_{item['key']}"] for item in self.criteria}


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.CharField(label=_("材料类型"), max_length=40)
    file = forms.FileField(label=_("文件（PDF/JPG/PNG）"))


class AdjustmentForm(BootstrapMixin, forms.Form):
    program = forms.ChoiceField(label=_("资金项目"), choices=ProgramCode.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = money_field(_("调整金额（元，负数为调减）"), allow_negative=True)
    reason = forms.CharField(label=_("理由"), max_length=200)


class ClawbackForm(BootstrapMixin, forms.Form):
    """追回 (``funding.clawbacks.clawback_record``): what, when, against which voucher, why."""

    amount = money_field(_("追回金额（元）"))
    date = forms.DateField(label=_("追回日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    voucher_no = forms.CharField(label=_("凭证号"), max_length=40)
    reason = forms.CharField(label=_("追回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    fraud = forms.BooleanField(label=_("以欺诈手段取得（申请人将被列为失信）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fraud"].widget.attrs.update({"class": "form-check-input", "aria-describedby": "fraud-warning"})


class ObjectionResolveForm(BootstrapMixin, forms.Form):
    """公示异议的处理 (``funding.objections.objection_resolve``): 成立 or 不成立, and why."""

    objection = forms.IntegerField(label=_("异议"), widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("处理结果"), widget=forms.RadioSelect,
                                 choices=[("upheld", _("异议成立")), ("dismissed", _("异议不成立"))])
    comment = forms.CharField(label=_("处理意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @property
    def upheld(self) -> bool:
        return self.cleaned_data["decision"] == "upheld"


class BarLiftForm(BootstrapMixin, forms.Form):
    """解除失信限制 (``funding.clawbacks.bar_lift``): the fund administrator, with a reason."""

    bar = forms.IntegerField(label=_("失信限制"), widget=forms.HiddenInput)
    reason = forms.CharField(label=_("解除理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class SubmitForm(forms.Form):
    """The page's submission (``confirmed=1``): the integrity pledge must be ticked; a resubmission
    after a return says what was changed (修改说明, stored as the submit comment)."""

    pledge_accepted = forms.BooleanField(label=_("本单位（本人）已阅读并同意以上诚信承诺"),
                                         error_messages={"required": _("请阅读并勾选诚信承诺书后再提交")})
    comment = forms.CharField(label=_("修改说明"), required=False, max_length=2000)

    def __init__(self, *args, resubmission: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if resubmission:
            self.fields["comment"].required = True
            self.fields["comment"].error_messages["required"] = _("请填写修改说明：退回补正后重新提交须说明修改了什么")
