"""Numbers on pages, through the one money module (``core.money``): ``{% load money %}``.

- ``{{ x|money }}`` → ``1,234,567.89 元`` (every amount a person reads);
- ``{{ x|amount }}`` → ``1,234,567.89`` (table cells whose header already says 元);
- ``{{ x|wan }}`` → ``12,345.68`` for 123,456,789.00 元 (report table cells under a "单位：万元" line);
- ``{{ x|percent }}`` → ``60%`` / ``3.85%`` (shares and rates stored as fractions);
- ``{{ x|capitals }}`` → ``壹拾贰万元整`` (printed forms and confirmations: 大写);
- ``{{ x|plain_amount }}`` → ``1234567.89`` (the value of an input a person may submit again:
  what ``core.money.parse_money`` accepts, so no separators).

``None`` (and ``""``) reads "—". Values arrive as ``Decimal`` from models or as the decimal strings of
a handler's ``details()``; a value that is not a number at all (e.g. "未录入") is shown unchanged.
"""

from decimal import Decimal, InvalidOperation

from django import template

from core import money as m

register = template.Library()


def as_decimal(value) -> Decimal | None:
    """``value`` as a Decimal, ``None`` when absent; raises ``ValueError`` when it is no number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):  # never stored; printed through its shortest repr, not its binary value
        return Decimal(repr(value))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _filter(formatter):
    def apply(value):
        try:
            number = as_decimal(value)
        except ValueError:
            return value
        return formatter(number)

    apply.__name__ = formatter.__name__
    apply.__doc__ = formatter.__doc__
    return apply


money = register.filter("money", _filter(m.format_money))
amount = register.filter("amount", _filter(m.format_amount))
wan = register.filter("wan", _filter(m.format_wan_amount))
percent = register.filter("percent", _filter(m.format_percent))
capitals = register.filter("capitals", _filter(m.format_capitals))


@register.filter
def plain_amount(value) -> str:
    """``1234567.89``: an amount as an input's value (two places, no separators, no exponent)."""
    try:
        number = as_decimal(value)
    except ValueError:
        return value
    return "" if number is None else m.plain_decimal(m.quantize(number), min_places=2)
