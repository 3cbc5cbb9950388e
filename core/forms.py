"""Form fields for money and fractions on the pages, over the one parser (``core.money``).

A page form accepts exactly what the API accepts: ``MoneyField`` runs ``parse_money`` (decimal
strings with at most two places; exponents such as ``2e5``, ``1_000``, separators and full-width or
other non-ASCII digits are refused with the parser's own Chinese message) and ``FractionField`` runs
``parse_fraction`` (shares and rates as fractions: ``0.6``, ``0.0385``). ``cleaned_data`` holds a
``Decimal`` (``None`` for an empty optional field). The widgets are text inputs with
``inputmode="decimal"``: a ``type="number"`` input would let the browser drop or rewrite what was
typed before the server could say what was wrong with it.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .errors import Invalid
from .money import MAX_MONEY, ONE, ZERO, parse_fraction, parse_money, plain_decimal

DECIMAL_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}


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
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal:
        # ``text`` is not empty, so the parser returns an amount or raises.
        return parse_money(text, "amount", allow_zero=self.allow_zero,  # type: ignore[return-value]
                           allow_negative=self.allow_negative, maximum=self.maximum)

    def plain(self, value: Decimal) -> str:
        return plain_decimal(value, min_places=2)


class FractionField(_ParsedField):
    """A share or rate written as a fraction within [low, high] (``parse_fraction``): "0.6" is 60%."""

    def __init__(self, *, places: int = 4, low: Decimal = ZERO, high: Decimal = ONE, low_open: bool = False,
                 high_open: bool = False, what: str | None = None, **kwargs) -> None:
        self.places, self.low, self.high = places, low, high
        self.low_open, self.high_open, self.what = low_open, high_open, what
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal:
        return parse_fraction(text, "fraction", places=self.places, low=self.low, high=self.high,
                              low_open=self.low_open, high_open=self.high_open,
                              what=str(self.what) if self.what is not None else None)
