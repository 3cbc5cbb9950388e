"""Form fields for money and fractions on the pages, over the one parser (``core.money``).

A page form reads what people write, then the one parser decides: ``MoneyField`` turns ``250,000``
and ``25万`` into ``250000`` (``core.money.typed_amount``) and runs ``parse_money`` (at most two
places; exponents such as ``2e5``, ``1_000`` and full-width or other non-ASCII digits are refused
with the parser's own Chinese message); ``FractionField`` reads ``60%`` as ``0.6``
(``typed_fraction``) and runs ``parse_fraction``. The API takes plain decimal strings only. ``cleaned_data`` holds a
``Decimal`` (``None`` for an empty optional field). The widgets are text inputs with
``inputmode="decimal"``: a ``type="number"`` input would let the browser drop or rewrite what was
typed before the server could say what was wrong with it.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import Invalid
from .money import (
    MAX_MONEY,
    ONE,
    ZERO,
    format_percent,
    parse_fraction,
    parse_money,
    plain_decimal,
    typed_amount,
    typed_fraction,
)

DECIMAL_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
MONEY_HINT = _("可写 250000、250,000 或 25万")
FRACTION_HINT = _("可写 60% 或 0.6")


class _ParsedField(forms.CharField):
    """A CharField whose ``to_python`` hands the text to a ``core.money`` parser."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs=dict(DECIMAL_ATTRS)))
        kwargs.pop("max_length", None)  # a length check would run on the Decimal
        kwargs.pop("min_length", None)
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_python(self, value) -> Decimal | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return self.parse(text)
        except Invalid as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def prepare_value(self, value):
        """Initial and cleaned values are shown as the parser would accept them again: "1000.00"."""
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return self.plain(Decimal(value))
        return value

    def plain(self, value: Decimal) -> str:
        return plain_decimal(value)


class MoneyField(_ParsedField):
    """A yuan amount, two places at most (``parse_money``). ``allow_zero``/``allow_negative``
    widen the range (a review may recommend 0; a budget adjustment is signed); ``required`` as
    for any form field."""

    def __init__(self, *, allow_zero: bool = False, allow_negative: bool = False, maximum: Decimal = MAX_MONEY,
                 **kwargs) -> None:
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        self.maximum = maximum
        kwargs.setdefault("help_text", MONEY_HINT)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "250000")

    def parse(self, text: str) -> Decimal:
        # ``text`` is not empty, so the parser returns an amount or raises.
        plain = typed_amount(text)
        if "," in plain or "，" in plain:
            raise Invalid(_("千位分隔符应每三位一个，如 1,234,567.89（也可不写分隔符）"), field="amount")
        return parse_money(plain, "amount", allow_zero=self.allow_zero,  # type: ignore[return-value]
                           allow_negative=self.allow_negative, maximum=self.maximum)

    def plain(self, value: Decimal) -> str:
        return plain_decimal(value, min_places=2)


class FractionField(_ParsedField):
    """A share or rate written as a fraction within [low, high] (``parse_fraction``): "0.6" is 60%."""

    def __init__(self, *, places: int = 4, low: Decimal = ZERO, high: Decimal = ONE, low_open: bool = False,
                 high_open: bool = False, what: str | None = None, **kwargs) -> None:
        self.places, self.low, self.high = places, low, high
        self.low_open, self.high_open, self.what = low_open, high_open, what
        kwargs.setdefault("help_text", FRACTION_HINT)
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal:
        return parse_fraction(typed_fraction(text), "fraction", places=self.places, low=self.low, high=self.high,
                              low_open=self.low_open, high_open=self.high_open,
                              what=str(self.what) if self.what is not None else None)


PERCENT_HINT = _("以百分数填写，如 45%（也可写 0.45）")


class PercentField(FractionField):
    """A share or rate shown as a percentage (``0.5000`` → ``50%``) and read back as ``45%`` or
    ``0.45`` (``FractionField``); ``cleaned_data`` holds the fraction. Out of range, the message
    speaks in percentages too."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", PERCENT_HINT)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "50%")

    def parse(self, text: str) -> Decimal:
        what = str(self.what) if self.what is not None else str(_("比例"))
        # The number first (the parser's own messages), then the range, in percentages.
        number = parse_fraction(typed_fraction(text), "fraction", places=self.places, low=-MAX_MONEY,
                                high=MAX_MONEY, what=what)
        too_low = number <= self.low if self.low_open else number < self.low
        too_high = number >= self.high if self.high_open else number > self.high
        if too_low or too_high:
            bounds = {"what": what, "low": format_percent(self.low), "high": format_percent(self.high)}
            if self.low_open:
                raise Invalid(_("%(what)s应大于 %(low)s 且不超过 %(high)s，如 45%%") % bounds, field="fraction")
            raise Invalid(_("%(what)s应在 %(low)s 与 %(high)s 之间，如 45%%") % bounds, field="fraction")
        return number

    def plain(self, value: Decimal) -> str:
        return format_percent(value)
