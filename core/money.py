"""The one money module: parse what callers send, fix amounts to 分, and write numbers for people.

- ``parse_money`` is the only parser of yuan amounts, for every endpoint, form, command and
  generator: decimal strings (or ``Decimal``/``int``) with at most two places. Floats, exponents
  (``"2e5"``), ``1_000``, non-ASCII digits (``"１０００"``), ``NaN`` and ``Infinity`` are refused with a
  message that says which.
- ``parse_share`` / ``parse_rate`` parse fractions the same way (``"0.6000"``, ``"0.0385"``).
- ``quantize`` is ``ROUND_HALF_UP`` to the cent: the rounding every rule that fixes an amount uses.
- ``format_money`` (``1,234,567.89 元``), ``format_percent`` (``60%``, ``3.85%``), ``format_wan``
  (``123.46 万元``, charts), ``format_wan_amount`` (``12,345.68``, report tables under "单位：万元") and
  ``plain_decimal`` (``"0.0385"``, never ``"3.85E-2"``) are how numbers reach a person or a JSON
  value; nothing prints a ``Decimal`` with ``str()`` where a person reads it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import Invalid

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal("1")
# DecimalField(max_digits=14, decimal_places=2): twelve whole digits.
MAX_MONEY = Decimal("999999999999.99")

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def quantize(amount: Decimal) -> Decimal:
    """Fix an amount to 分, half up (the one rounding rule for amounts a rule computes)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def _problem(text: str) -> str | None:
    """Why ``text`` is not a plain decimal, in the caller's language; None when it is one."""
    if _PLAIN_DECIMAL.fullmatch(text):
        return None
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text):
        return _("请使用半角阿拉伯数字 0–9（不接受全角或其他文字的数字）")
    if "_" in text:
        return _("金额中不能使用下划线分隔")
    if "," in text or "，" in text:
        return _("金额中不能使用千位分隔符，请写成如 \"1234567.89\"")
    if re.search(r"[eE]", text) and re.fullmatch(r"-?[0-9.]+[eE][+-]?[0-9]+", text):
        return _("不接受科学计数法（如 2e5），请写成如 \"200000.00\"")
    if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        return _("请输入有限的数值")
    if text.startswith("+"):
        return _("金额前不要加“+”号")
    return _("请输入十进制数字，如 \"1000.00\"")


def _decimal(value: object, field: str, *, what: str) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(_("%(what)s应为十进制字符串，如 \"1000.00\"，不能是 true/false") % {"what": what}, field=field)
    if isinstance(value, float):
        raise Invalid(_("%(what)s应为十进制字符串，如 \"1000.00\"：浮点数会丢失分位精度") % {"what": what}, field=field)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Invalid(_("请输入有限的数值"), field=field)
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise Invalid(_("%(what)s应为十进制字符串，如 \"1000.00\"") % {"what": what}, field=field)
    text = value.strip()
    problem = _problem(text)
    if problem:
        raise Invalid(problem, field=field)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
        raise Invalid(_("请输入十进制数字，如 \"1000.00\""), field=field) from None


def parse_money(value: object, field: str, *, required: bool = True, allow_zero: bool = False,
                allow_negative: bool = False, maximum: Decimal = MAX_MONEY) -> Decimal | None:
    """A yuan amount with at most two decimals, or ``Invalid`` keyed by ``field``.

    ``None`` or ``""`` is "absent": ``Invalid`` when ``required``, else ``None``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(_("该字段必填"), field=field)
        return None
    amount = _decimal(value, field, what=_("金额"))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid(_("金额最多保留 2 位小数（到分）"), field=field)
    if abs(amount) > maximum:
        raise Invalid(_("金额过大：不能超过 %(max)s") % {"max": format_money(maximum)}, field=field)
    if amount < 0 and not allow_negative:
        raise Invalid(_("金额不能为负数"), field=field)
    if amount == 0 and not allow_zero:
        raise Invalid(_("金额必须大于 0"), field=field)
    return amount.quantize(CENT)


_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_WAN = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)万")


def typed_amount(text: str) -> str:
    """What a person typed in a page's amount box, as the plain decimal ``parse_money`` reads:
    ``250,000`` (thousands grouped by commas) → ``250000``, ``25万`` / ``2.5 万元`` → ``250000`` /
    ``25000``, a trailing ``元`` dropped. Anything else is handed on unchanged, so the parser says
    what is wrong with it. Pages only: the API takes plain decimal strings."""
    compact = text.strip().replace(" ", "").replace("\u3000", "")
    if compact.endswith("元"):
        compact = compact[:-1]
    if _GROUPED.fullmatch(compact):
        return compact.replace(",", "")
    wan = _WAN.fullmatch(compact)
    if wan:
        number = Decimal(wan.group(1)) * 10000
        return plain_decimal(number)
    return text


def typed_fraction(text: str) -> str:
    """A share or rate typed on a page: ``60%`` / ``3.85%`` → ``0.6`` / ``0.0385``; a fraction as is."""
    compact = text.strip().replace(" ", "")
    if compact.endswith(("%", "％")) and _PLAIN_DECIMAL.fullmatch(compact[:-1]):
        return plain_decimal(Decimal(compact[:-1]) / 100)
    return text


def parse_fraction(value: object, field: str, *, places: int = 4, low: Decimal = ZERO, high: Decimal = ONE,
                   low_open: bool = False, high_open: bool = False, what: str | None = None) -> Decimal:
    """A share or rate written as a fraction (``"0.6000"``, ``"0.0385"``) within [low, high]."""
    what = what or _("比例")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(_("该字段必填"), field=field)
    number = _decimal(value, field, what=what)
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise Invalid(_("%(what)s最多保留 %(n)d 位小数") % {"what": what, "n": places}, field=field)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        raise Invalid(_("%(what)s应在 %(low)s 与 %(high)s 之间（以小数表示，如 0.6 表示 60%%）")
                      % {"what": what, "low": plain_decimal(low), "high": plain_decimal(high)}, field=field)
    return number.quantize(Decimal(1).scaleb(-places))


# --- for people ------------------------------------------------------------------------------

def plain_decimal(value: Decimal | int | None, *, min_places: int = 0) -> str:
    """A decimal without exponent or superfluous zeros: 0.038500 → "0.0385", 2E+5 → "200000"."""
    if value is None:
        return ""
    number = Decimal(value)
    if not number:
        number = abs(number)  # a zero is never "-0" (SQLite sums leave -1.7E-12 for a nil balance)
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.partition(".")[2])
    if places < min_places:
        text = format(number.quantize(Decimal(1).scaleb(-min_places)), "f")
    return text


def format_amount(amount: Decimal | int | None) -> str:
    """``1,234,567.89`` (no unit; table cells whose header carries 元)."""
    if amount is None:
        return "—"
    fen = quantize(Decimal(amount))
    return f"{fen if fen else abs(fen):,.2f}"  # never "-0.00"


def format_money(amount: Decimal | int | None) -> str:
    """``1,234,567.89 元``: how every amount reads in messages, pages and exports."""
    if amount is None:
        return "—"
    return _("%(amount)s 元") % {"amount": format_amount(amount)}


def format_percent(fraction: Decimal | int | None) -> str:
    """A share or rate as a percentage without float or exponent: 0.6 → ``60%``, 0.0385 → ``3.85%``."""
    if fraction is None:
        return "—"
    return f"{plain_decimal(Decimal(fraction) * 100)}%"


def format_number(value: Decimal | int | None) -> str:
    """A plain quantity for people, grouped by thousands, without exponent or superfluous zeros:
    ``Decimal("2E+5")`` → ``200,000``, ``Decimal("997.250")`` → ``997.25`` (indicators, targets)."""
    if value is None:
        return "—"
    whole, dot, fraction = plain_decimal(value).partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{dot}{fraction}"


def _in_wan(amount: Decimal | int, places: int) -> Decimal:
    """Yuan → 万元, half up to ``places``: for display only (a 万元 figure is never stored or summed)."""
    return (Decimal(amount) / 10000).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_wan(amount: Decimal | int | None, *, places: int = 2, unit: bool = True) -> str:
    """An amount in 万元 (ten thousand yuan), half up to ``places``, trailing zeros dropped:
    1234567.89 → ``123.46 万元``, 50000 → ``5 万元``; ``unit=False`` for axis labels under a
    "万元" caption. For charts and summaries, where 元 to the fen would not be read."""
    if amount is None:
        return "—"
    text = format_number(_in_wan(amount, places))
    return _("%(amount)s 万元") % {"amount": text} if unit else text


def format_wan_amount(amount: Decimal | int | None) -> str:
    """``12,345.68`` for 123,456,789.00 元: an amount in 万元, half up to two places, grouped by
    thousands, no unit: the money cells of report tables under a "单位：万元" line. Converted from
    the yuan figure (a total from the yuan total) when shown, so totals reconcile in 元."""
    if amount is None:
        return "—"
    wan = _in_wan(amount, 2)
    return f"{wan if wan else abs(wan):,.2f}"  # never "-0.00"


def format_capitals(amount: Decimal | int | None) -> str:
    """An amount in Chinese capitals (大写) as printed forms and confirmations carry it, through the
    kept ``cn2an`` library: 120000 → ``壹拾贰万元整``, 1234.5 → ``壹仟贰佰叁拾肆元伍角``;
    negative amounts read ``负…``."""
    if amount is None:
        return "—"
    import cn2an  # noqa: PLC0415  loaded by the pages that print capitals only

    fen = quantize(Decimal(amount))
    if not fen:
        return "零元整"
    text = cn2an.an2cn(plain_decimal(abs(fen), min_places=2), "rmb")
    return f"负{text}" if fen < 0 else text
