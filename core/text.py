"""The one cleaning step for text: what no stored or compared string may contain.

NUL (PostgreSQL refuses it in text; SQLite stores it and every later comparison lies), the other
C0 control characters but tab, newline and carriage return, lone surrogates (not encodable as
UTF-8: a 500 at the first ``encode``) and Unicode non-characters (U+FDD0–U+FDEF, U+xxFFFE/FFFF).

``bad_character`` finds the first such character; ``clean_text`` raises ``Invalid`` naming the
field; ``tree_problems`` walks a parsed JSON body (keys too) and returns ``{field: [message]}``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import Invalid

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _is_bad(char: str) -> bool:
    code = ord(char)
    if code < 0x20:
        return char not in _ALLOWED_CONTROLS
    if code == 0x7F:
        return True
    if 0xD800 <= code <= 0xDFFF:  # a surrogate on its own: Python keeps it, UTF-8 cannot
        return True
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def bad_character(text: str) -> tuple[int, str] | None:
    """(position from 1, the character's U+ code) of the first forbidden character, or None."""
    for index, char in enumerate(text):
        if _is_bad(char):
            return index + 1, f"U+{ord(char):04X}"
    return None


def problem_message(text: str) -> str | None:
    found = bad_character(text)
    if found is None:
        return None
    position, code = found
    return _("第 %(pos)d 个字符（%(code)s）是控制字符或无效字符，请删除后重试") % {"pos": position, "code": code}


def clean_text(value: object, field: str, *, max_length: int | None = None, required: bool = False,
               label: str | None = None) -> str:
    """``value`` stripped, or ``Invalid`` keyed by ``field`` (not text, forbidden characters, too long)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("应为文本"), field=field)
    message = problem_message(value)
    if message:
        raise Invalid(message, field=field)
    text = value.strip()
    if required and not text:
        raise Invalid(_("%(label)s不能为空") % {"label": label or _("该字段")}, field=field)
    if max_length is not None and len(text) > max_length:
        raise Invalid(_("最多 %(max)d 个字符，实际为 %(n)d 个") % {"max": max_length, "n": len(text)}, field=field)
    return text


def tree_problems(data: object, path: str = "") -> dict[str, list[str]]:
    """Every forbidden character in a parsed JSON value, keyed by the field path (``rights.1.number``)."""
    problems: dict[str, list[str]] = {}

    def visit(value: object, where: str, depth: int) -> None:
        if depth > 50:
            return
        if isinstance(value, str):
            message = problem_message(value)
            if message:
                problems.setdefault(where or "non_field_errors", []).append(message)
        elif isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                child = f"{where}.{key_text}" if where else key_text
                if problem_message(key_text):
                    problems.setdefault(where or "non_field_errors", []).append(
                        _("字段名含有控制字符或无效字符"))
                    continue
                visit(item, child, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, f"{where}.{index}" if where else str(index), depth + 1)

    visit(data, path, 0)
    return problems


def iso_date(value: object, field: str) -> object:
    """A ``YYYY-MM-DD`` string (cleaned) as a ``date``; ``Invalid`` when it is not one. Any other value
    is handed back for the caller's own check (a ``date`` already, or refused there)."""
    if not isinstance(value, str):
        return value
    import datetime as dt  # noqa: PLC0415  this module is text cleaning; dates are its one exception

    text = clean_text(value, field)
    try:
        # fromisoformat also takes 20260101 and week dates (2026W011): only YYYY-MM-DD is a date here.
        if not (len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()
                and text.isascii()):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(_("日期应为 YYYY-MM-DD"), field=field) from None
