"""Helpers of the bank page tests: the form bodies a browser posts, and the hidden fields of a
confirmation page (what its 确认 button posts)."""

import re
from html import unescape

from tests.pledges.helpers import loan_body

_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def forms_of(html: str) -> list[dict[str, str]]:
    """Each form's inputs (name → value), in page order."""
    found = []
    for form in _FORM.findall(html):
        fields = {}
        for tag in _INPUT.findall(form):
            attrs = {key: unescape(value) for key, value in _ATTR.findall(tag)}
            if "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        found.append(fields)
    return found


def confirm_post(response) -> dict[str, str]:
    """What the confirmation's 确认 button posts (the hidden fields, the token, ``confirmed=1``)."""
    html = response.content.decode()
    return next(fields for fields in forms_of(html) if fields.get("confirmed") == "1")


def edit_post(response) -> dict[str, str]:
    html = response.content.decode()
    return next(fields for fields in forms_of(html) if fields.get("edit") == "1")


def register_post(**overrides) -> dict[str, str]:
    """The register form as a browser posts it, from the API's body (``helpers.loan_body``)."""
    body = loan_body(**{key: value for key, value in overrides.items() if key != "rights"})
    rights = overrides.get("rights", body["rights"])
    data = {key: value for key, value in body.items() if key != "rights"}
    data.update({"rights-TOTAL_FORMS": str(len(rights) + 1), "rights-INITIAL_FORMS": str(len(rights) + 1)})
    for i, right in enumerate([*rights, {"kind": "patent", "number": "", "valuation": ""}]):  # and an empty row
        for key in ("kind", "number", "valuation"):
            data[f"rights-{i}-{key}"] = right[key]
    return data


def action_post(name: str, **values) -> dict[str, str]:
    return {f"{name}-{key}": value for key, value in values.items()}
