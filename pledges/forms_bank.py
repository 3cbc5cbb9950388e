"""Forms of the bank pages: registering a loan (with its pledged rights), the four actions of the
detail page, and the Excel upload. They check shape only (a date, an amount through
``core.money``); every rule runs in the services, whose errors land back on these fields (the field
names are the services' keyword arguments).

The annual rate is written as a fraction, as the API and ``core.forms.FractionField`` take it:
``0.0385`` means 3.85%; ``3.85`` is refused by the service with its own message.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from applicants.models import Role
from core.forms import FractionField, MoneyField

from .models import LoanStatus, PledgedRight, PledgeLoan

MAX_RIGHTS = 30  # rows of the rights table a page may post
DATE_WIDGET = {"type": "date"}


def _date_field(label, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs=dict(DATE_WIDGET), format="%Y-%m-%d"))


class _Bootstrap(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class LoanRegisterForm(_Bootstrap):
    """The loan's fields of ``pledges.registration.loan_register``; the rights come in ``RightFormSet``."""

    contract_no = forms.CharField(label=_("合同编号"), max_length=60, help_text=_("同一银行内唯一"))
    borrower_credit_code = forms.CharField(label=_("借款企业统一社会信用代码"), max_length=40,
                                           help_text=_("18 位，含校验位，如 91500237MA5U52604E"))
    borrower_name = forms.CharField(label=_("借款企业名称"), max_length=100, required=False,
                                    help_text=_("该信用代码首次登记时必填"))
    principal = MoneyField(label=_("贷款本金（元）"))
    annual_rate = FractionField(label=_("年利率（小数）"), places=6, high=Decimal("100"), what=_("年利率"),
                                help_text=_("以小数填写：0.0385 表示 3.85%"))
    start_date = _date_field(_("放款日"))
    maturity_date = _date_field(_("到期日"))
    pledge_registration_no = forms.CharField(label=_("质押登记号"), max_length=60,
                                             help_text=_("13 位以上数字（如 2015990000410），或新格式的字母数字"))
    collateral_total = MoneyField(label=_("抵质押物总价值（元）"), required=False,
                                  help_text=_("另有房产、设备等抵质押物时填写全部抵质押物的价值合计（不低于知识产权评估价值合计）；"
                                              "仅以知识产权质押的留空"))
    insured_or_guaranteed = forms.BooleanField(label=_("有保险或担保"), required=False,
                                               help_text=_("贷款有保证保险或融资担保时勾选"))
    # Never rendered as an input: it carries the service's errors about the rights (shown above their table).
    rights = forms.Field(label=_("质押权利"), required=False, widget=forms.HiddenInput)

    LOAN_FIELDS = ("contract_no", "borrower_credit_code", "borrower_name", "principal", "annual_rate",
                   "start_date", "maturity_date", "pledge_registration_no", "collateral_total",
                   "insured_or_guaranteed")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insured_or_guaranteed"].widget.attrs["class"] = "form-check-input"


class RightForm(_Bootstrap):
    """One pledged right; a row with neither number nor valuation is left out."""

    kind = forms.ChoiceField(label=_("类型"), choices=PledgedRight.Kind.choices)
    number = forms.CharField(label=_("号码"), max_length=40, required=False,
                             help_text=_("专利号（可带 ZL/CN，点可省略）或商标注册号"))
    valuation = MoneyField(label=_("评估价值（元）"), required=False, help_text="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The help is printed once under the table (``loan_register.html``), not in every row.
        self.fields["number"].widget.attrs["aria-describedby"] = "rights-number-help"

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("number") and data.get("valuation") is None


RightFormSet = forms.formset_factory(RightForm, extra=0, max_num=MAX_RIGHTS, validate_max=True,
                                     absolute_max=MAX_RIGHTS)


def rights_of(formset) -> list[dict]:
    """The filled rows of a valid ``RightFormSet`` as the service takes them."""
    return [{"kind": f.cleaned_data["kind"], "number": f.cleaned_data["number"], "valuation": f.cleaned_data["valuation"]}
            for f in formset.forms if not f.is_blank()]


class RepaymentForm(_Bootstrap):
    date = _date_field(_("还款日"))
    principal = MoneyField(label=_("归还本金（元）"), allow_zero=True, help_text=_("不超过贷款余额；没有归还本金填 0"))
    interest = MoneyField(label=_("支付利息（元）"), allow_zero=True, help_text=_("请如实填写：贴息按报送的利息计算"))


class SettleForm(_Bootstrap):
    date = _date_field(_("结清日"), required=False)


class DefaultForm(_Bootstrap):
    date = _date_field(_("违约日"))
    outstanding_principal = MoneyField(label=_("违约时贷款余额（元）"), help_text=_("不超过按已报还款计算的余额"))


class RecoveryForm(_Bootstrap):
    date = _date_field(_("回收日"))
    amount = MoneyField(label=_("回收金额（元）"), help_text=_("累计回收不超过违约时余额"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"),
                           widget=forms.ClearableFileInput(attrs={
                               "class": "form-control",
                               "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))


# --- the actions of the detail page -----------------------------------------------------------

@dataclass(frozen=True)
class Action:
    name: str  # also the form's prefix and the URL name's suffix
    title: str
    form_class: type[forms.Form]
    style: str = "primary"

    def url(self, loan: PledgeLoan) -> str:
        return reverse(f"pledges:loan_{self.name}", args=[loan.pk])


ACTIONS = {
    "repayment": Action("repayment", _("报送还款"), RepaymentForm),
    "settle": Action("settle", _("结清"), SettleForm, "success"),
    "default": Action("default", _("登记违约"), DefaultForm, "danger"),
    "recovery": Action("recovery", _("登记追偿回收"), RecoveryForm),
}


def offered(loan: PledgeLoan, name: str) -> bool:
    """The actions valid for the loan's status (the services check again under their locks)."""
    if name == "repayment":
        return loan.status == LoanStatus.ACTIVE
    if name == "settle":  # active, or defaulted with its claim rejected or withdrawn (the fsm's condition)
        return can_proceed(loan.settle)
    if name == "default":
        return can_proceed(loan.default)
    return loan.status == LoanStatus.COMPENSATED  # recovery


def initial_of(loan: PledgeLoan, name: str) -> dict:
    today = timezone.localdate()
    if name == "default":
        return {"date": today, "outstanding_principal": loan.outstanding_principal}
    return {"date": today}


def action_forms(user, loan: PledgeLoan, bound: dict | None = None) -> list[dict]:
    """The action forms the loan's bank sees on the detail page (``bound``: a form posted back with
    its errors or to be changed); nobody else gets any."""
    if not (user.has_role(Role.BANK) and user.bank_id is not None and user.bank_id == loan.bank_id):
        return []
    bound = bound or {}
    forms_ = []
    for name, action in ACTIONS.items():
        if not offered(loan, name):
            continue
        form = bound.get(name) or action.form_class(prefix=name, initial=initial_of(loan, name))
        forms_.append({"action": action, "form": form, "url": action.url(loan)})
    return forms_
