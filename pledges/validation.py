"""Field rules for what banks send: each parser returns a clean value or records a Chinese error
under the field's key. Services call these; the API and the pages never repeat them."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from applicants.identifiers import IdentifierError, check_credit_code, check_patent_number, check_trademark_number
from core import money
from core.errors import Invalid
from core.text import clean_text

from .models import PledgedRight

# Every date a bank sends lies in this window; a loan runs at most MAX_TERM_YEARS.
DATE_MIN = dt.date(1985, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
MAX_TERM_YEARS = 30
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ANY_RATE = Decimal("1000000")  # parse_fraction's bounds for rates; the (0, 1) range has its own messages
_REFUSED = object()
_REGISTRATION_DIGITS = re.compile(r"\d{13,40}")
_REGISTRATION_ALNUM = re.compile(r"[0-9A-Z][0-9A-Z\-]{0,39}")


@dataclass(frozen=True)
class RightData:
    kind: str
    number: str
    valuation: Decimal


class Errors:
    """Collects field errors; ``raise_if_any`` raises one ``Invalid`` with all of them."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(next(iter(self.errors.values()))[0], errors=self.errors)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(errors: Errors, field: str, value: object, *, max_length: int | None = None,
               required: bool = False, label: str | None = None) -> str:
    """``core.text.clean_text`` recording into ``errors`` (NUL, lone surrogates… are a 400 naming ``field``)."""
    try:
        return clean_text(value, field, max_length=max_length, required=required, label=label)
    except Invalid as exc:
        errors.add(field, exc.message)
        return ""


def parse_money(errors: Errors, field: str, value: object, *, allow_zero: bool = False) -> Decimal | None:
    """``core.money.parse_money`` (decimal strings, two places; no floats) recording into ``errors``."""
    try:
        return money.parse_money(value, field, allow_zero=allow_zero)
    except Invalid as exc:
        errors.add(field, exc.message)
        return None


def parse_optional_money(errors: Errors, field: str, value: object) -> Decimal | None:
    """An optional amount > 0 (``core.money.parse_money``); absent (None or "") is None."""
    try:
        return money.parse_money(value, field, required=False)
    except Invalid as exc:
        errors.add(field, exc.message)
        return None


FLAG_WORDS = {"是": True, "有": True, "true": True, "yes": True, "1": True,
              "否": False, "无": False, "false": False, "no": False, "0": False}


def parse_flag(errors: Errors, field: str, value: object) -> bool:
    """A yes/no: ``true``/``false`` (or, from a sheet, 是/否、有/无, TRUE/FALSE); absent is False."""
    if _missing(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in FLAG_WORDS:
        return FLAG_WORDS[value.strip().lower()]
    errors.add(field, _("应为“是”或“否”（接口中为 true 或 false）"))
    return False


def parse_date(errors: Errors, field: str, value: object) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (ASCII digits) between ``DATE_MIN`` and ``DATE_MAX``."""
    if _missing(value):
        errors.add(field, _("该字段不能为空"))
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()  # already parsed (an input serializer's DateField): same window
    if not isinstance(value, str):
        errors.add(field, _("日期应为 YYYY-MM-DD 格式的字符串"))
        return None
    sub = Errors()
    text = parse_text(sub, field, value)
    if sub.errors:
        errors.add(field, sub.errors[field][0])
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        errors.add(field, _("“%(value)s” 不是有效日期，应为 YYYY-MM-DD") % {"value": text[:20]})
        return None
    if not DATE_MIN <= day <= DATE_MAX:
        errors.add(field, _("日期 %(day)s 超出范围：应在 %(min)s 至 %(max)s 之间")
                   % {"day": day.isoformat(), "min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})
        return None
    return day


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def parse_rate(errors: Errors, field: str, value: object) -> Decimal | None:
    """An annual rate as a fraction in (0, 1) with at most 6 places (``core.money.parse_fraction``)."""
    if _missing(value):
        errors.add(field, _("该字段不能为空"))
        return None
    try:
        rate = money.parse_fraction(value, field, places=6, low=-_ANY_RATE, high=_ANY_RATE, what=_("年利率"))
    except Invalid as exc:
        errors.add(field, exc.message)
        return None
    if rate >= 1:
        errors.add(field, _("年利率应为小数，例如 0.0385，而不是 3.85"))
        return None
    if rate <= 0:
        errors.add(field, _("年利率必须大于 0"))
        return None
    return rate


def _clean_or_none(errors: Errors, field: str, value: object, *, where: str = "") -> object:
    """``value`` unchanged unless it is text with forbidden characters (then recorded, None)."""
    if not isinstance(value, str):
        return value
    sub = Errors()
    parse_text(sub, field, value)
    if sub.errors:
        errors.add(field, where + sub.errors[field][0])
        return _REFUSED
    return value


def parse_credit_code(errors: Errors, field: str, value: object) -> str | None:
    value = _clean_or_none(errors, field, value)
    if value is _REFUSED:
        return None
    try:
        return check_credit_code(value)
    except IdentifierError as exc:
        errors.add(field, exc.message)
        return None


def parse_registration_no(errors: Errors, field: str, value: object) -> str | None:
    if _missing(value):
        errors.add(field, _("质押登记号不能为空"))
        return None
    if not isinstance(value, str):
        errors.add(field, _("质押登记号应为文本"))
        return None
    if _clean_or_none(errors, field, value) is _REFUSED:
        return None
    number = "".join(value.split()).upper()
    if number.isdigit():
        if not _REGISTRATION_DIGITS.fullmatch(number):
            errors.add(field, _("质押登记号应至少 13 位数字，例如 2015990000410；实际为 %(n)d 位") % {"n": len(number)})
            return None
        return number
    if not _REGISTRATION_ALNUM.fullmatch(number):
        errors.add(field, _("质押登记号只能包含数字、英文字母和连字符，最多 40 位"))
        return None
    return number


def parse_right_number(kind: str, value: object) -> str:
    """The normalized number of a patent or trademark; raises ``IdentifierError``."""
    if kind == PledgedRight.Kind.PATENT:
        return check_patent_number(value).number
    return check_trademark_number(value)


def parse_rights(errors: Errors, field: str, value: object) -> list[RightData]:
    if not isinstance(value, list) or not value:
        errors.add(field, _("至少需要一项质押的专利权或商标权"))
        return []
    rights: list[RightData] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(value, start=1):
        where = _("第 %(i)d 项：") % {"i": i}
        if not isinstance(item, dict):
            errors.add(field, where + _("应为对象 {kind, number, valuation}"))
            continue
        kind = item.get("kind")
        if kind not in PledgedRight.Kind.values:
            errors.add(field, where + _("类型应为 patent（专利）或 trademark（商标）"))
            continue
        raw_number = _clean_or_none(errors, field, item.get("number"), where=where)
        if raw_number is _REFUSED:
            continue
        try:
            number = parse_right_number(kind, raw_number)
        except IdentifierError as exc:
            errors.add(field, where + exc.message)
            continue
        sub = Errors()
        valuation = parse_money(sub, "valuation", item.get("valuation"))
        if valuation is None:
            errors.add(field, where + _("评估价值：") + sub.errors["valuation"][0])
            continue
        if (kind, number) in seen:
            errors.add(field, where + _("%(number)s 在本次登记中重复") % {"number": number})
            continue
        seen.add((kind, number))
        rights.append(RightData(kind=kind, number=number, valuation=valuation))
    return rights


