"""Page forms. They collect typed values; the rules are checked by ``applicants.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Applicant, Industry, IPAsset, Township


class _Bootstrap:
    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        # Mark every field that now has errors (field may be None with a dict of errors).
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-errors"


class IPAssetForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=IPAsset.Kind.choices)
    number = forms.CharField(label=_("号码"), max_length=40,
                             help_text=_("专利号如 ZL201710601862.3（ZL、点号可省）；国外授权专利带国别代码，"
                                         "如 US11234567B2、EP1234567B1、JP6543210B2、KR10-2345678；商标填注册号"))
    title = forms.CharField(label=_("名称"), max_length=200)
    granted_on = forms.DateField(label=_("授权/注册日"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    country = forms.CharField(label=_("国家/地区"), max_length=2, min_length=2, initial="CN",
                              help_text=_("须与专利号一致：ZL/CN 为 CN，US… 为 US"))
    nice_class = forms.IntegerField(label=_("尼斯分类"), required=False, min_value=1, max_value=45,
                                    help_text=_("仅商标：1–45"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class RegistryFilterForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + IPAsset.Kind.choices)
    number = forms.CharField(label=_("号码"), required=False, max_length=40)
    owner_name = forms.CharField(label=_("权利人名称或信用代码"), required=False, max_length=100)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class OrganisationForm(_Bootstrap, forms.ModelForm):
    """Contact details an applicant keeps up to date; name and identifier change only via the IP office."""

    industry = forms.ChoiceField(label=_("行业"), choices=Industry.choices)

    class Meta:
        model = Applicant
        fields = ["industry", "township", "address", "legal_representative", "contact_name", "contact_phone",
                  "contact_email"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = Township.objects.filter(region_id=self.instance.region_id)
        self._style()
