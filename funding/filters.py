"""FilterSets shared by the API and the pages (``state``, ``program``, ``year``, and a text search)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from .models import Application
from .workflow import ProgramCode, State


class ApplicationFilter(filters.FilterSet):
    state = filters.ChoiceFilter(label=_("状态"), choices=State.choices,
                                 widget=forms.Select(attrs={"class": "form-select"}))
    program = filters.ChoiceFilter(label=_("资金项目"), field_name="program__code", choices=ProgramCode.choices,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    year = filters.NumberFilter(label=_("年度"), field_name="fiscal_year",
                                widget=forms.NumberInput(attrs={"class": "form-control"}))
    q = filters.CharFilter(label=_("关键词"), method="search", widget=forms.TextInput(attrs={"class": "form-control"}))

    class Meta:
        model = Application
        fields = ["state", "program", "year"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(applicant__name__icontains=value))
