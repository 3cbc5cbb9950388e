"""Tests for applicants.identifiers: 专利号 (patent application numbers).

Pure Python; no database, no Django settings. Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from applicants.identifiers import IdentifierError, PatentNumber, check_patent_number, patent_check_char
from tests.applicants.helpers import EXAMPLES, VALID_APPLICATION_NOS, raises

# --- 专利号 ---------------------------------------------------------------------


def test_new_format_application_number_is_parsed():
    assert check_patent_number("201710601862.3") == PatentNumber(
        number="ZL201710601862.3",
        application_no="201710601862.3",
        year=2017,
        type_digit="1",
        patent_type="invention",
        pct=False,
    )


@pytest.mark.parametrize("raw", VALID_APPLICATION_NOS)
def test_valid_application_numbers_are_accepted(raw):
    result = check_patent_number(raw)
    assert result.application_no == raw
    assert result.number == "ZL" + raw


@pytest.mark.parametrize("raw", VALID_APPLICATION_NOS)
def test_patent_check_char_matches_known_numbers(raw):
    digits, check = raw.split(".")
    assert patent_check_char(digits) == check


def test_patent_number_with_zl_prefix_is_accepted():
    assert check_patent_number("ZL201710601862.3").number == "ZL201710601862.3"


@pytest.mark.parametrize(
    "raw",
    [
        "CN2022100123453",
        "202210012345.3",
        "ZL 202210012345.3",
        "zl202210012345.3",
        "CNZL202210012345.3",
        "cn 202210012345.3",
        "ＺＬ２０２２１００１２３４５．３",
        "2022 1001 2345 .3",
        "2022100123453",
    ],
)
def test_patent_number_spellings_normalize_to_zl_form(raw):
    assert check_patent_number(raw).number == "ZL202210012345.3"


def test_old_eight_digit_application_number_gets_19xx_year():
    result = check_patent_number("97101765.4")
    assert (result.number, result.year, result.patent_type) == (
        "ZL97101765.4",
        1997,
        "invention",
    )


def test_old_eight_digit_application_number_from_2000s_gets_20xx_year():
    result = check_patent_number("00312345.6")
    assert (result.year, result.patent_type) == (2000, "design")


def test_old_number_without_dot_and_lowercase_x_check_digit():
    assert check_patent_number("zl 95115608x").application_no == "95115608.X"


def test_new_format_x_check_digit_is_accepted():
    assert check_patent_number("201410012343.X").application_no == "201410012343.X"


@pytest.mark.parametrize(
    ("raw", "patent_type", "pct"),
    [
        ("202120012345.4", "utility_model", False),
        ("202230012345.4", "design", False),
        ("201880012345.5", "invention", True),
        ("201990012345.5", "utility_model", True),
        ("01812345.7", "invention", True),
    ],
)
def test_patent_type_digit_maps_to_type_and_pct(raw, patent_type, pct):
    result = check_patent_number(raw)
    assert (result.patent_type, result.pct) == (patent_type, pct)


def test_patent_wrong_check_digit_names_expected_and_actual():
    exc = raises(check_patent_number, "201710601862.5")
    assert str(exc) == "校验码应为 3，实际为 5"
    assert (exc.position, exc.code) == (14, "checksum")


def test_patent_wrong_check_digit_expecting_x():
    assert str(raises(check_patent_number, "95115608.1")) == "校验码应为 X，实际为 1"


def test_patent_invalid_type_digit_is_explained():
    exc = raises(check_patent_number, "201740601862.3")
    assert (
        str(exc)
        == "专利类型位 '4' 无效：应为 1（发明）、2（实用新型）、3（外观设计）、8 或 9（PCT）"
    )
    assert (exc.position, exc.code) == (5, "patent_type")


def test_old_patent_invalid_type_digit_points_at_third_digit():
    exc = raises(check_patent_number, "97501765.4")
    assert (exc.position, exc.code) == (3, "patent_type")


def test_patent_future_year_is_unreasonable():
    exc = raises(check_patent_number, "209910601862.3")
    assert str(exc) == "申请年份 2099 不合理"
    assert exc.code == "year"


def test_patent_year_is_judged_against_given_today():
    exc = raises(check_patent_number, "202210012345.3", today=dt.date(2021, 12, 31))
    assert str(exc) == "申请年份 2022 不合理"


def test_twelve_digit_number_before_2003_is_unreasonable():
    exc = raises(check_patent_number, "199810601862.3")
    assert str(exc).startswith("申请年份 1998 不合理")


def test_eight_digit_number_after_2003_is_unreasonable():
    exc = raises(check_patent_number, "12101765.4")
    assert str(exc).startswith("申请年份 2012 不合理")


def test_patent_letter_in_digits_names_char_and_position():
    exc = raises(check_patent_number, "2O1710601862.3")
    assert str(exc) == "专利申请号第 2 位 'O' 不是数字"
    assert (exc.position, exc.code) == (2, "char")


def test_patent_invalid_check_char_names_position():
    exc = raises(check_patent_number, "201710601862.A")
    assert "'A'" in str(exc)
    assert exc.position == 14


@pytest.mark.parametrize(
    "raw",
    ["ZL2017", "2017106018.62.3", "201710601862", "201710601862.33", "CN107000000A"],
)
def test_malformed_patent_number_gets_format_message(raw):
    exc = raises(check_patent_number, raw)
    assert str(exc) == (
        "专利号格式不正确：应为 ZL + 12 位数字 + '.' + 校验位（如 ZL201710601862.3），"
        "或 2003 年以前的 8 位数字 + 校验位"
    )
    assert exc.code == "format"


@pytest.mark.parametrize("digits", ["2017106018", "20171060186A", ""])
def test_patent_check_char_rejects_bad_digit_strings(digits):
    with pytest.raises(IdentifierError):
        patent_check_char(digits)


@settings(max_examples=EXAMPLES)
@given(
    raw=st.sampled_from(VALID_APPLICATION_NOS),
    data=st.data(),
)
def test_any_single_digit_substitution_in_application_number_is_rejected(raw, data):
    index = data.draw(st.sampled_from([i for i, c in enumerate(raw) if c != "."]))
    alphabet = "0123456789X" if index == len(raw) - 1 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet))
    assume(replacement != raw[index])
    with pytest.raises(IdentifierError):
        check_patent_number(raw[:index] + replacement + raw[index + 1 :])


@settings(max_examples=EXAMPLES)
@given(
    year=st.integers(min_value=2003, max_value=dt.date.today().year),
    type_digit=st.sampled_from("12389"),
    serial=st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_new_application_number_with_computed_check_char_round_trips(
    year, type_digit, serial
):
    digits = f"{year}{type_digit}{serial}"
    check = patent_check_char(digits)
    result = check_patent_number(digits + check)  # dot left out on purpose
    assert result.application_no == f"{digits}.{check}"
    assert (result.year, result.type_digit, result.pct) == (
        year,
        type_digit,
        type_digit in "89",
    )


@settings(max_examples=EXAMPLES)
@given(
    year=st.integers(min_value=1985, max_value=2003),
    type_digit=st.sampled_from("12389"),
    serial=st.text(alphabet="0123456789", min_size=5, max_size=5),
)
def test_old_application_number_with_computed_check_char_round_trips(
    year, type_digit, serial
):
    digits = f"{year % 100:02d}{type_digit}{serial}"
    result = check_patent_number(f"{digits}.{patent_check_char(digits)}")
    assert result.year == year
