"""The inputs of the program admin form (``funding.admin.ProgramForm``): rule values entered in a
table and in labelled boxes, never as JSON text.

Each field only turns what was typed into the value the API would send (``PATCH /programs/{code}/``):

- ``SubsidyStandardsField``: a table, one row per country (``*`` = 其他国家/地区), one column per
  patent type, one amount per cell → ``{patent_type: {country or "*": "amount"}}``; an empty cell is
  left out (the country then takes the ``*`` amount; without one, the type is not subsidised there);
- ``AwardLevelsField``: 金奖/银奖/优秀奖, one amount each → ``{level: "amount"}``;
- ``DocumentListField`` and ``ScoringCriteriaField`` (评分细则): ``funding.rule_widgets_lists``.

Amounts are read as ``core.forms.MoneyField`` reads them (``250000``, ``250,000``, ``25万``);
``funding.ruleset.normalise`` then validates the values as for every other path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from applicants.models import PatentType
from core.forms import DECIMAL_ATTRS, MoneyField

from .models_details import AwardLevel

PATENT_TYPE_LABELS = {
    PatentType.INVENTION: _("发明专利"),
    PatentType.UTILITY_MODEL: _("实用新型专利"),
    PatentType.DESIGN: _("外观设计专利"),
}
OTHER = "*"
# The rows always shown (``funding.models.default_subsidy_standards``); other codes get their own rows.
COUNTRY_LABELS = {
    "CN": _("中国"),
    "US": _("美国"),
    "JP": _("日本"),
    "KR": _("韩国"),
    "EP": _("欧洲专利局"),
    OTHER: _("其他国家/地区"),
}
BLANK_ROWS = 2
_CODE = re.compile(r"[A-Z]{2}")
_CELL_ATTRS = {**DECIMAL_ATTRS, "size": "10"}


def _name_part(country: str) -> str:
    return "other" if country == OTHER else country


def as_text(value: object) -> str:
    return "" if value is None else str(value)


def _amount_error(parser: MoneyField, text: str) -> tuple[str | None, str | None]:
    """``(amount, None)`` or ``(None, message)``: the amount as the API would send it ("1000.00")."""
    try:
        amount = parser.clean(text)
    except forms.ValidationError as exc:
        return None, exc.messages[0]
    return (None if amount is None else format(amount, "f")), None


# --- subsidy standards: a table ---------------------------------------------------------------

@dataclass
class StandardsInput:
    """What the table posted: the fixed rows' cells and the added rows (code, cells)."""

    cells: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class SubsidyStandardsWidget(forms.Widget):
    """One row per country, one column per patent type; blank rows to add a country code."""

    class Media:
        css = {"all": ["css/rule_widgets.css"]}

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.caption_label = ""
        self.invalid: set[str] = set()  # the inputs the field found wrong, after "<name>_" (aria-invalid)

    def value_from_datadict(self, data, files, name) -> StandardsInput:
        posted = StandardsInput()
        for country in COUNTRY_LABELS:
            posted.cells[country] = {ptype: as_text(data.get(f"{name}_{ptype}_{_name_part(country)}")).strip()
                                     for ptype in PATENT_TYPE_LABELS}
        pattern = re.compile(rf"{re.escape(name)}_row(\d+)_code")
        indexes = sorted({int(match.group(1)) for key in data if (match := pattern.fullmatch(key))})
        for index in indexes[:50]:
            code = as_text(data.get(f"{name}_row{index}_code")).strip()
            cells = {ptype: as_text(data.get(f"{name}_row{index}_{ptype}")).strip() for ptype in PATENT_TYPE_LABELS}
            posted.rows.append((code, cells))
        return posted

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(str(key).startswith(f"{name}_") for key in data)

    def id_for_label(self, id_):
        return ""  # the table has its caption, and every cell its own label

    def _as_input(self, value) -> StandardsInput:
        if isinstance(value, StandardsInput):
            return value  # as posted, blank rows included: the rows keep their numbers (and their errors)
        shown = StandardsInput({country: {} for country in COUNTRY_LABELS})
        extra: dict[str, dict[str, str]] = {}
        for ptype, by_country in (value if isinstance(value, dict) else {}).items():
            for country, amount in (by_country if isinstance(by_country, dict) else {}).items():
                target = shown.cells.get(country)
                if target is None:
                    target = extra.setdefault(str(country), {})
                target[ptype] = as_text(amount)
        shown.rows = sorted(extra.items())
        return shown

    def _cell(self, name: str, suffix: str, id_: str, value: str, label: str) -> str:
        attrs = {**_CELL_ATTRS, "type": "text", "name": f"{name}_{suffix}", "id": f"{id_}_{suffix}", "value": value,
                 "aria-label": label}
        if suffix in self.invalid:
            attrs["aria-invalid"] = "true"
        return format_html("<td><input{}></td>", flatatt(attrs))

    def render(self, name, value, attrs=None, renderer=None) -> str:
        shown = self._as_input(value)
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        head = format_html_join("", '<th scope="col">{}</th>', ((label,) for label in PATENT_TYPE_LABELS.values()))
        rows = []
        for country, country_label in COUNTRY_LABELS.items():
            part = _name_part(country)
            header = country_label if country == OTHER else format_html("{}（{}）", country_label, country)
            cells = mark_safe("".join(
                self._cell(name, f"{ptype}_{part}", base_id,
                           shown.cells.get(country, {}).get(ptype, ""), f"{type_label} · {country_label}")
                for ptype, type_label in PATENT_TYPE_LABELS.items()))
            rows.append(format_html('<tr><th scope="row">{}</th>{}</tr>', header, cells))
        blank = sum(1 for code, amounts in shown.rows if not code and not any(amounts.values()))
        added = [*shown.rows, *[("", {})] * max(0, BLANK_ROWS - blank)]
        for index, (code, amounts) in enumerate(added):
            country_label = code or _("新增国家/地区 %(n)d") % {"n": index + 1}
            code_attrs = {"type": "text", "name": f"{name}_row{index}_code", "id": f"{base_id}_row{index}_code",
                          "value": code, "maxlength": "2", "size": "4", "placeholder": _("如 DE"),
                          "autocomplete": "off", "aria-label": _("国家/地区代码（%(row)s）") % {"row": country_label}}
            if f"row{index}_code" in self.invalid:
                code_attrs["aria-invalid"] = "true"
            cells = mark_safe("".join(
                self._cell(name, f"row{index}_{ptype}", base_id, amounts.get(ptype, ""),
                           f"{type_label} · {country_label}")
                for ptype, type_label in PATENT_TYPE_LABELS.items()))
            rows.append(format_html('<tr><th scope="row"><input{}></th>{}</tr>', flatatt(code_attrs), cells))
        return format_html(
            '<table class="rule-table" id="{}"><caption>{}</caption><thead><tr><th scope="col">{}</th>{}</tr>'
            "</thead><tbody>{}</tbody></table>",
            base_id, _("%(label)s（元/件）") % {"label": self.caption_label}, _("国家/地区"), head,
            mark_safe("".join(rows)),
        )


class SubsidyStandardsField(forms.Field):
    widget = SubsidyStandardsWidget

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.caption_label = self.label or ""
        self.amount = MoneyField(required=False, allow_zero=True)

    def to_python(self, value) -> dict:
        standards, errors, invalid = self._read(value)
        self.widget.invalid = invalid
        if errors:
            raise forms.ValidationError(errors)
        return standards

    def has_changed(self, initial, data) -> bool:
        new, errors, _invalid = self._read(data)
        old, old_errors, _invalid = self._read(initial if isinstance(initial, dict) else {})
        return bool(errors or old_errors) or old != new

    def _read(self, value) -> tuple[dict, list[str], set[str]]:
        """The standards, the errors (each naming its cell) and the inputs that are wrong."""
        if isinstance(value, dict):  # the stored value (``has_changed``): the same shape, amounts canonical
            value = self.widget._as_input(value)
        if not isinstance(value, StandardsInput):
            return {}, [], set()
        errors: list[str] = []
        invalid: set[str] = set()
        out: dict[str, dict[str, str]] = {ptype: {} for ptype in PATENT_TYPE_LABELS}
        rows = [(country, COUNTRY_LABELS[country], value.cells.get(country, {}),
                 f"{{ptype}}_{_name_part(country)}") for country in COUNTRY_LABELS]
        seen = set(COUNTRY_LABELS)
        for index, (typed_code, cells) in enumerate(value.rows):
            code = typed_code.strip().upper()
            if not code and not any(cells.values()):
                continue
            row_label = code or _("新增国家/地区 %(n)d") % {"n": index + 1}
            if not _CODE.fullmatch(code):
                errors.append(str(_("%(row)s：国家/地区代码应为 2 位字母（如 DE）；其他国家/地区请填在“其他国家/地区”一行")
                                  % {"row": row_label}))
                invalid.add(f"row{index}_code")
                continue
            if code in seen:
                errors.append(str(_("国家/地区 %(code)s 重复") % {"code": code}))
                invalid.add(f"row{index}_code")
                continue
            seen.add(code)
            rows.append((code, code, cells, f"row{index}_{{ptype}}"))
        for country, country_label, cells, suffix in rows:
            for ptype, type_label in PATENT_TYPE_LABELS.items():
                text = (cells.get(ptype) or "").strip()
                if not text:
                    continue
                amount, problem = _amount_error(self.amount, text)
                if problem:
                    errors.append(f"{type_label} · {country_label}：{problem}")
                    invalid.add(suffix.format(ptype=ptype))
                elif amount is not None:
                    out[ptype][country] = amount
        return {ptype: by_country for ptype, by_country in out.items() if by_country}, errors, invalid


# --- award levels: three labelled amounts ---------------------------------------------------------

class AwardLevelsWidget(forms.Widget):
    """金奖, 银奖, 优秀奖: one labelled amount each."""

    class Media:
        css = {"all": ["css/rule_widgets.css"]}
    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.group_label = ""
        self.invalid: set[str] = set()

    def value_from_datadict(self, data, files, name) -> dict[str, str]:
        return {level: as_text(data.get(f"{name}_{level}")).strip() for level in AwardLevel.values}

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(f"{name}_{level}" in data for level in AwardLevel.values)

    def id_for_label(self, id_):
        return ""  # each amount has its own label (金奖, 银奖, 优秀奖)

    def render(self, name, value, attrs=None, renderer=None) -> str:
        value = value if isinstance(value, dict) else {}
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        rows = []
        for level, label in AwardLevel.choices:
            input_attrs = {**_CELL_ATTRS, "type": "text", "name": f"{name}_{level}", "id": f"{base_id}_{level}",
                           "value": as_text(value.get(level))}
            if level in self.invalid:
                input_attrs["aria-invalid"] = "true"
            rows.append(format_html('<tr><th scope="row"><label for="{}">{}</label></th><td><input{}></td></tr>',
                                    f"{base_id}_{level}", label, flatatt(input_attrs)))
        return format_html('<table class="rule-table rule-levels" id="{}"><caption>{}</caption><tbody>{}</tbody>'
                           "</table>", base_id, _("%(label)s（元）") % {"label": self.group_label},
                           mark_safe("".join(rows)))


class AwardLevelsField(forms.Field):
    widget = AwardLevelsWidget

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.group_label = self.label or ""
        self.amount = MoneyField(required=False, allow_zero=True)

    def to_python(self, value) -> dict:
        if not isinstance(value, dict):
            return {}
        labels = dict(AwardLevel.choices)
        errors: list[str] = []
        invalid: set[str] = set()
        out: dict[str, str] = {}
        for level in AwardLevel.values:
            text = as_text(value.get(level)).strip()
            if not text:
                continue  # this level is not awarded
            amount, problem = _amount_error(self.amount, text)
            if problem:
                errors.append(f"{labels[level]}：{problem}")
                invalid.add(level)
            elif amount is not None:
                out[level] = amount
        self.widget.invalid = invalid
        if errors:
            raise forms.ValidationError(errors)
        return out

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except forms.ValidationError:
            return True
