"""Field rules for what banks send: each parser returns a clean value or records a Chinese error
under the field's key. Services call these; the API and the pages never repeat them."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from applicants.errors import Invalid
from applicants.identifiers import IdentifierError, check_credit_code, check_patent_number, check_trademark_number

from .models import PledgedRight

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")
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


def parse_money(errors: Errors, field: str, value: object, *, allow_zero: bool = False) -> Decimal | None:
    if _missing(value):
        errors.add(field, _("该字段不能为空"))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        errors.add(field, _("金额应为数字字符串，例如 \"3000000.00\""))
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, _("请输入有效的金额"))
        return None
    if not amount.is_finite():
        errors.add(field, _("请输入有效的金额"))
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.add(field, _("金额最多保留 2 位小数"))
        return None
    if amount < 0 or (amount == 0 and not allow_zero):
        errors.add(field, _("金额不能为负数") if amount < 0 else _("金额必须大于 0"))
        return None
    if amount > MAX_MONEY:
        errors.add(field, _("金额过大"))
        return None
    return amount.quantize(CENT)


def parse_date(errors: Errors, field: str, value: object) -> dt.date | None:
    if _missing(value):
        errors.add(field, _("该字段不能为空"))
        return None
    if not isinstance(value, str):
        errors.add(field, _("日期应为 YYYY-MM-DD 格式的字符串"))
        return None
    text = value.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.add(field, _("“%(value)s” 不是有效日期，应为 YYYY-MM-DD") % {"value": value[:20]})
        return None


def parse_rate(errors: Errors, field: str, value: object) -> Decimal | None:
    if _missing(value):
        errors.add(field, _("该字段不能为空"))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        errors.add(field, _("年利率应为小数字符串，例如 \"0.0385\""))
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, _("年利率应为小数，例如 0.0385"))
        return None
    if not rate.is_finite():
        errors.add(field, _("年利率应为小数，例如 0.0385"))
        return None
    if rate >= 1:
        errors.add(field, _("年利率应为小数，例如 0.0385，而不是 3.85"))
        return None
    if rate <= 0:
        errors.add(field, _("年利率必须大于 0"))
        return None
    if rate.as_tuple().exponent < -6:  # type: ignore[operator]
        errors.add(field, _("年利率最多保留 6 位小数"))
        return None
    return rate


def parse_credit_code(errors: Errors, field: str, value: object) -> str | None:
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
        try:
            number = parse_right_number(kind, item.get("number"))
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


def share_of(amount: Decimal, share: Decimal) -> Decimal:
    """A share of an amount, fixed to 分 (the one rounding rule for pool shares)."""
    return (amount * share).quantize(CENT, rounding=ROUND_HALF_UP)


def format_rate(rate: Decimal | None) -> str | None:
    """Trailing zeros stripped, but at least 4 decimals: 0.038500 → "0.0385", 0.045 → "0.0450"."""
    if rate is None:
        return None
    text = format(rate.normalize(), "f")
    places = len(text.partition(".")[2])
    return format(rate.quantize(Decimal(1).scaleb(-max(4, places))), "f")
