"""The list inputs of the program admin form (``funding.admin.ProgramForm``), beside the tables of
``funding.rule_widgets``:

- ``ScoringCriteriaField``: 评分细则, a table of items (name, 满分) → ``[{"key", "label", "max"}, …]``;
  each row keeps its code in a hidden input, a new row gets the next free ``itemN``; an empty table
  is ``[]`` (one 0–100 score);
- ``DocumentListField``: one document type per line → ``[name, …]``.

``funding.ruleset.normalise`` then validates the values as for every other path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .rule_widgets import as_text

# --- scoring criteria (评分细则): a table of items --------------------------------------------------

CRITERIA_BLANK_ROWS = 3
CRITERIA_MAX_ROWS = 12  # funding.ruleset.MAX_CRITERIA
_INTEGER = re.compile(r"\d{1,3}")


@dataclass
class CriteriaInput:
    """What the table posted: (code, name, 满分) per row, blank rows included."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)


class ScoringCriteriaWidget(forms.Widget):
    """One row per item: its name and its maximum; a hidden code per row; blank rows to add items."""

    class Media:
        css = {"all": ["css/rule_widgets.css"]}

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.caption_label = ""
        self.invalid: set[str] = set()  # e.g. "row2_max"

    def value_from_datadict(self, data, files, name) -> CriteriaInput:
        pattern = re.compile(rf"{re.escape(name)}_row(\d+)_(?:key|label|max)")
        indexes = sorted({int(match.group(1)) for key in data if (match := pattern.fullmatch(key))})
        return CriteriaInput([tuple(as_text(data.get(f"{name}_row{index}_{part}")).strip()
                                    for part in ("key", "label", "max")) for index in indexes[:50]])

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(str(key).startswith(f"{name}_") for key in data)

    def id_for_label(self, id_):
        return ""  # the table has its caption, and every input its own label

    @staticmethod
    def as_input(value) -> CriteriaInput:
        if isinstance(value, CriteriaInput):
            return value  # as posted: the rows keep their numbers (and their errors)
        items = value if isinstance(value, list | tuple) else []
        return CriteriaInput([(as_text(item.get("key")), as_text(item.get("label")), as_text(item.get("max")))
                              for item in items if isinstance(item, dict)])

    def render(self, name, value, attrs=None, renderer=None) -> str:
        shown = self.as_input(value)
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        blank = sum(1 for _key, label, top in shown.rows if not label and not top)
        filled = len(shown.rows) - blank
        rows = [*shown.rows, *[("", "", "")] * max(0, min(CRITERIA_BLANK_ROWS, CRITERIA_MAX_ROWS - filled) - blank)]
        body = []
        for index, (key, label, top) in enumerate(rows):
            row_label = label or _("第 %(n)d 项") % {"n": index + 1}
            key_attrs = {"type": "hidden", "name": f"{name}_row{index}_key", "value": key}
            label_attrs = {"type": "text", "name": f"{name}_row{index}_label", "id": f"{base_id}_row{index}_label",
                           "value": label, "maxlength": "40", "size": "24",
                           "aria-label": _("评分项名称（第 %(n)d 项）") % {"n": index + 1}}
            max_attrs = {"type": "text", "name": f"{name}_row{index}_max", "id": f"{base_id}_row{index}_max",
                         "value": top, "inputmode": "numeric", "size": "5", "autocomplete": "off",
                         "aria-label": _("%(item)s的满分") % {"item": row_label}}
            for suffix, input_attrs in (("label", label_attrs), ("max", max_attrs)):
                if f"row{index}_{suffix}" in self.invalid:
                    input_attrs["aria-invalid"] = "true"
            body.append(format_html('<tr><td><input{}><input{}></td><td><input{}></td></tr>',
                                    flatatt(key_attrs), flatatt(label_attrs), flatatt(max_attrs)))
        total = sum(int(top) for _key, _label, top in shown.rows if _INTEGER.fullmatch(top))
        return format_html(
            '<table class="rule-table rule-criteria" id="{}"><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody><tfoot><tr><th scope="row">{}</th><td>{}</td></tr>'
            "</tfoot></table>",
            base_id, _("%(label)s（各项满分之和应为 100 分；全部留空则只打一个 0–100 的总分）")
            % {"label": self.caption_label}, _("评分项"), _("满分（分）"), mark_safe("".join(body)), _("合计"), total,
        )


class ScoringCriteriaField(forms.Field):
    widget = ScoringCriteriaWidget

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.caption_label = self.label or ""

    def to_python(self, value) -> list[dict]:
        criteria, errors, invalid = self._read(value)
        self.widget.invalid = invalid
        if errors:
            raise forms.ValidationError(errors)
        return criteria

    def has_changed(self, initial, data) -> bool:
        new, errors, _invalid = self._read(data)
        old, old_errors, _invalid = self._read(initial)
        return bool(errors or old_errors) or old != new

    @staticmethod
    def _read(value) -> tuple[list[dict], list[str], set[str]]:
        """The items (as ``normalise`` takes them), the errors (each naming its row) and the wrong inputs.
        Ranges, the sum of 100 and the names' length are ``normalise``'s to check; the inputs that
        break them are marked here."""
        rows = ScoringCriteriaWidget.as_input(value).rows
        errors: list[str] = []
        invalid: set[str] = set()
        items: list[dict] = []
        used = {key for key, label, top in rows if key and (label or top)}
        fresh = (f"item{n}" for n in range(1, 1000) if f"item{n}" not in used)
        for index, (key, label, top) in enumerate(rows):
            if not label and not top:
                continue  # a blank row (or a cleared one: the item is removed)
            row_label = label or _("第 %(n)d 项") % {"n": index + 1}
            if not label or not top:
                errors.append(str(_("%(row)s：请同时填写评分项名称和满分") % {"row": row_label}))
                invalid.add(f"row{index}_{'label' if not label else 'max'}")
                continue
            if not _INTEGER.fullmatch(top):
                errors.append(str(_("%(row)s：满分应为 1–100 的整数") % {"row": row_label}))
                invalid.add(f"row{index}_max")
                continue
            if not 1 <= int(top) <= 100:
                invalid.add(f"row{index}_max")  # normalise says why
            if len(label) > 40:
                invalid.add(f"row{index}_label")
            items.append({"key": key or next(fresh), "label": label, "max": int(top)})
        if not errors and items and sum(item["max"] for item in items) != 100:
            invalid |= {f"row{index}_max" for index, (_key, label, top) in enumerate(rows) if label or top}
        return items, errors, invalid


# --- required documents: one per line -------------------------------------------------------------

class DocumentListField(forms.Field):
    widget = forms.Textarea(attrs={"rows": 5, "cols": 40})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(as_text(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [as_text(item) for item in value]
        return [line.strip() for line in as_text(value).splitlines() if line.strip()]

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


