"""Tests for applicants.identifiers: IdentifierError, normalize, and what every check shares.

Pure Python; no database, no Django settings. Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applicants.identifiers import (
    IdentifierError,
    check_credit_code,
    check_patent_number,
    check_resident_id,
    check_trademark_number,
    normalize,
)
from tests.applicants.helpers import EXAMPLES, FULL_WIDTH, VALID_CREDIT_CODES, VALID_RESIDENT_IDS, raises

# --- IdentifierError / normalize ---------------------------------------------


def test_identifier_error_is_value_error_with_message_position_and_code():
    exc = IdentifierError("校验码应为 E，实际为 F", position=18, code="checksum")
    assert isinstance(exc, ValueError)
    assert str(exc) == "校验码应为 E，实际为 F"
    assert (exc.message, exc.position, exc.code) == (
        "校验码应为 E，实际为 F",
        18,
        "checksum",
    )


def test_identifier_error_defaults():
    exc = IdentifierError("不能为空")
    assert exc.position is None
    assert exc.code == "invalid"


def test_normalize_strips_ascii_and_ideographic_whitespace():
    assert normalize(" 9150 0237\tMA5U\u300052604E\n") == "91500237MA5U52604E"


def test_normalize_converts_full_width_digits_letters_and_dot_to_half_width_upper_case():
    assert normalize("２０１７１０６０１８６２．３") == "201710601862.3"
    assert normalize("ＺＬｚｌabc") == "ZLZLABC"


def test_normalize_strips_zero_width_characters():
    assert normalize("9150\u200b0237\ufeff") == "91500237"


def test_normalize_leaves_other_characters_alone():
    assert normalize("①-中") == "①-中"


def test_normalize_returns_empty_string_for_blank_input():
    assert normalize(" \u3000 ") == ""


def test_normalize_rejects_none_with_identifier_error():
    assert raises(normalize, None).code == "required"


def test_normalize_rejects_int_with_identifier_error():
    exc = raises(normalize, 91500237)
    assert exc.code == "type"
    assert "int" in str(exc)


@pytest.mark.parametrize(
    "check",
    [check_credit_code, check_patent_number, check_trademark_number, check_resident_id],
)
@pytest.mark.parametrize("raw", [None, 12345678, 201710601862.3, b"91500237MA5U52604E"])
def test_non_string_input_raises_identifier_error_not_type_error(check, raw):
    exc = raises(check, raw)
    assert exc.code in {"required", "type"}


@pytest.mark.parametrize(
    "check",
    [check_credit_code, check_patent_number, check_trademark_number, check_resident_id],
)
@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_empty_input_says_cannot_be_empty(check, raw):
    exc = raises(check, raw)
    assert str(exc).endswith("不能为空")
    assert exc.code == "required"


@settings(max_examples=EXAMPLES)
@given(raw=st.sampled_from(VALID_RESIDENT_IDS + VALID_CREDIT_CODES), data=st.data())
def test_full_width_and_interspersed_spaces_do_not_change_the_result(raw, data):
    check = check_resident_id if raw in VALID_RESIDENT_IDS else check_credit_code
    pieces = [
        data.draw(st.sampled_from([c, FULL_WIDTH[c], c.lower()]))
        + data.draw(st.sampled_from(["", " ", "\u3000", "\t"]))
        for c in raw
    ]
    assert check("".join(pieces)) == raw
