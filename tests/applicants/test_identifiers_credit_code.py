"""Tests for applicants.identifiers: 统一社会信用代码 (unified social credit codes).

Pure Python; no database, no Django settings. Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from applicants.identifiers import (
    CREDIT_CODE_ALPHABET,
    IdentifierError,
    check_credit_code,
    credit_code_check_char,
    credit_code_region,
    normalize,
)
from tests.applicants.helpers import EXAMPLES, VALID_CREDIT_CODES, raises

# --- 统一社会信用代码 -----------------------------------------------------------


def test_credit_code_alphabet_has_31_chars_without_i_o_z_s_v():
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_ALPHABET)


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes_are_accepted_unchanged(code):
    assert check_credit_code(code) == code


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_credit_code_check_char_matches_known_codes(code):
    assert credit_code_check_char(code[:17]) == code[17]


def test_credit_code_is_normalized_from_full_width_lowercase_and_spaces():
    raw = " ９１５００２３７ｍａ５Ｕ　５２６０４ｅ "
    assert check_credit_code(raw) == "91500237MA5U52604E"


def test_credit_code_region_is_chars_3_to_8():
    assert credit_code_region("91500237MA5U52604E") == "500237"


def test_credit_code_region_rejects_invalid_code():
    with pytest.raises(IdentifierError):
        credit_code_region("91500237MA5U52604F")


def test_credit_code_too_short_names_both_lengths():
    exc = raises(check_credit_code, "91500237MA5U5260E")
    assert str(exc) == "统一社会信用代码应为 18 位，实际为 17 位"
    assert exc.code == "length"


def test_credit_code_excluded_letter_names_char_and_position():
    exc = raises(check_credit_code, "9150O237MA5U52604E")
    assert (
        str(exc) == "第 5 位 'O' 不是合法字符（统一社会信用代码不使用 I、O、Z、S、V）"
    )
    assert (exc.position, exc.code) == (5, "char")


def test_credit_code_lowercase_excluded_letter_is_reported_upper_case():
    exc = raises(check_credit_code, "91500237MA5U5260iE")
    assert "第 17 位 'I'" in str(exc)


def test_credit_code_separator_is_reported_as_bad_char_rather_than_length():
    exc = raises(check_credit_code, "91500237-MA5U52604E")
    assert str(exc).startswith("第 9 位 '-' 不是合法字符")
    assert exc.position == 9


def test_credit_code_invisible_char_is_shown_as_code_point():
    exc = raises(check_credit_code, "91500237\x00MA5U52604E")
    assert "U+0000" in str(exc)


def test_credit_code_wrong_check_char_names_expected_and_actual():
    exc = raises(check_credit_code, "91500237MA5U52604F")
    assert str(exc) == "校验码应为 E，实际为 F"
    assert (exc.position, exc.code) == (18, "checksum")


def test_credit_code_check_char_rejects_wrong_length_body():
    assert raises(credit_code_check_char, "91500237MA5U5260").code == "length"


@settings(max_examples=EXAMPLES)
@given(
    code=st.sampled_from(VALID_CREDIT_CODES),
    index=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(CREDIT_CODE_ALPHABET + "IOZSVabcxyz-*.#中０Ａ"),
)
def test_any_single_char_substitution_in_credit_code_is_rejected(
    code, index, replacement
):
    assume(normalize(replacement) != code[index])
    with pytest.raises(IdentifierError):
        check_credit_code(code[:index] + replacement + code[index + 1 :])


@settings(max_examples=EXAMPLES)
@given(body=st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
def test_credit_code_body_plus_computed_check_char_round_trips(body):
    code = body + credit_code_check_char(body)
    assert check_credit_code(code) == code
