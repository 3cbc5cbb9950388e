"""``core.forms.PercentField``: a share or rate shown as a percentage and read as one (or as a fraction)."""

from decimal import Decimal

import pytest
from django import forms

from core.forms import PercentField


@pytest.mark.parametrize(("stored", "shown"), [(Decimal("0.5000"), "50%"), (Decimal("0.0385"), "3.85%"),
                                               (Decimal("1.0000"), "100%"), (Decimal("0"), "0%")])
def test_the_stored_fraction_is_shown_as_a_percentage(stored, shown):
    assert PercentField().prepare_value(stored) == shown


@pytest.mark.parametrize(("typed", "fraction"), [("45%", Decimal("0.4500")), ("0.45", Decimal("0.4500")),
                                                 ("3.85 %", Decimal("0.0385")), ("100%", Decimal("1.0000"))])
def test_a_percentage_or_a_fraction_is_read_as_the_fraction(typed, fraction):
    value = PercentField().clean(typed)
    assert value == fraction and value.as_tuple().exponent == -4


def test_what_was_typed_is_shown_again_as_typed():
    assert PercentField().prepare_value("45 %") == "45 %"


@pytest.mark.parametrize(("field", "typed", "message"), [
    (PercentField(), "150%", "比例应在 0% 与 100% 之间，如 45%"),
    (PercentField(), "-1%", "比例应在 0% 与 100% 之间"),
    (PercentField(low_open=True), "0%", "比例应大于 0% 且不超过 100%"),
    (PercentField(), "1e-1", "不接受科学计数法"),
    (PercentField(), "abc%", "请输入十进制数字"),
])
def test_refusals_speak_in_percentages(field, typed, message):
    with pytest.raises(forms.ValidationError) as caught:
        field.clean(typed)
    assert message in caught.value.messages[0]
