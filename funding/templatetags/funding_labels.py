"""Human labels for values the funding pages would otherwise show raw: program detail keys,
states and transitions. The labels come from the models (verbose names, choices); nothing here
holds a business rule."""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import format_money, format_percent
from core.templatetags.money import as_decimal
from funding.workflow import State, Transition

register = template.Library()

# Detail keys that are not a plain field of a detail model (lists and links to other records).
EXTRA_DETAIL_LABELS = {
    "patents": _("申请所涉专利"),
    "patent": _("专利号"),
    "loans": _("贴息贷款"),
    "interest_paid": _("当年已付利息"),
    "loan": _("贷款编号"),
}
# Extra keys that hold an amount in 元.
EXTRA_MONEY_KEYS = {"interest_paid"}


def _detail_field(application, key: str):
    """The model field behind a program detail key: first the one-to-one detail models of the
    application (subsidy claim, award nomination, plan, …), then its one-to-many ones."""
    relations = sorted(application._meta.related_objects, key=lambda rel: not rel.one_to_one)
    for rel in relations:
        if not (rel.one_to_one or rel.one_to_many):
            continue
        try:
            field = rel.related_model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        if getattr(field, "concrete", False) and not field.is_relation:
            return field
    return None


@register.simple_tag
def detail_rows(application, details: dict) -> list[dict]:
    """``details`` (a handler's ``details()``) as rows of key, translated label and display value."""
    rows = []
    for key, value in (details or {}).items():
        field = None if key in EXTRA_DETAIL_LABELS else _detail_field(application, key)
        label = EXTRA_DETAIL_LABELS.get(key) or (field.verbose_name if field is not None else key)
        if field is not None and field.choices and value is not None:
            value = dict(field.flatchoices).get(value, value)
        elif key in EXTRA_MONEY_KEYS or isinstance(field, models.DecimalField):
            value = _number(value, percent=isinstance(field, models.DecimalField) and field.decimal_places != 2)
        elif isinstance(value, list | tuple) and key != "patents":
            value = ", ".join(str(item) for item in value) or None
        rows.append({"key": key, "label": label, "value": value})
    return rows


def _number(value, *, percent: bool) -> str | None:
    """A detail amount (a DecimalField with two places) as money, a fraction (more places:
    shares, rates) as a percentage; the details carry them as decimal strings."""
    try:
        number = as_decimal(value)
    except ValueError:
        return value
    if number is None:
        return None
    return format_percent(number) if percent else format_money(number)


@register.filter
def state_label(value) -> str:
    """``State`` label of a stored state value (the value itself if unknown, e.g. empty)."""
    try:
        return State(value).label
    except ValueError:
        return value or "—"


@register.filter
def transition_label(value) -> str:
    try:
        return Transition(value).label
    except ValueError:
        return value


GRADE_LABELS = {"excellent": _("优秀"), "good": _("良好"), "pass": _("合格")}


@register.filter
def grade_label(value) -> str:
    """The 验收 grade a history row's ``detail`` records, as 优秀 / 良好 / 合格 (empty when none)."""
    return GRADE_LABELS.get(value, value or "")
