"""Forms of the pledge pages: the list filter and the cancel form. Rules stay in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applicants.models import Bank, Industry, Role, Township

from .models import LoanStatus


class LoanFilterForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100,
                        help_text=_("合同编号、借款企业或统一社会信用代码"),
                        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}))
    bank = forms.ModelChoiceField(label=_("银行"), queryset=Bank.objects.none(), required=False,
                                  widget=forms.Select(attrs={"class": "form-select"}))
    status = forms.ChoiceField(label=_("状态"), choices=[("", "---------"), *LoanStatus.choices], required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))
    industry = forms.ChoiceField(label=_("行业"), choices=[("", "---------"), *Industry.choices], required=False,
                                 widget=forms.Select(attrs={"class": "form-select"}))
    township = forms.ModelChoiceField(label=_("乡镇"), queryset=Township.objects.none(), required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    start_date_after = forms.DateField(label=_("放款日不早于"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    start_date_before = forms.DateField(label=_("放款日不晚于"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user.has_role(Role.BANK) and user.bank_id is not None:
            del self.fields["bank"]  # bank staff see their own bank's loans only
        else:
            self.fields["bank"].queryset = Bank.objects.filter(region_id=user.region_id).order_by("code")
        self.fields["township"].queryset = Township.objects.filter(region_id=user.region_id).order_by("name")

    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")} if self.is_valid() else {}


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
