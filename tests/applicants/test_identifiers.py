"""Tests for applicants.identifiers (pure Python; no database, no Django settings).

Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from applicants.identifiers import (
    CREDIT_CODE_ALPHABET,
    IdentifierError,
    PatentNumber,
    check_credit_code,
    check_patent_number,
    check_resident_id,
    check_trademark_number,
    credit_code_check_char,
    credit_code_region,
    normalize,
    patent_check_char,
    resident_id_check_char,
)

VALID_CREDIT_CODES = [
    "91500237MA5U52604E",
    "91500237MA5U83013Q",
    "91110000100000000R",
    "12100000400000000W",
]
VALID_APPLICATION_NOS = [
    "201710601862.3",
    "201310699744.2",
    "202210012345.3",
    "201410012343.X",
    "202120012345.4",
    "97101765.4",
    "95115608.X",
    "99212345.3",
]
VALID_RESIDENT_IDS = ["11010519491231002X", "110105199003071239", "440304200002291236"]
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

# Hypothesis budget: ~10 properties x 150 examples stays well under the 10 s target.
EXAMPLES = 150


def raises(func, raw, **kwargs) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        func(raw, **kwargs)
    return info.value


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


# --- 商标注册号 -------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "12345678", "0012345678"])
def test_trademark_numbers_of_1_to_10_digits_are_accepted(raw):
    assert check_trademark_number(raw) == raw


def test_trademark_number_is_normalized_from_full_width_and_spaces():
    assert check_trademark_number(" １２３４ ５６７８ ") == "12345678"


def test_trademark_number_with_letter_names_char_and_position():
    exc = raises(check_trademark_number, "12A45678")
    assert str(exc).startswith("商标注册号只能包含数字")
    assert "第 3 位 'A'" in str(exc)
    assert exc.position == 3


def test_trademark_number_longer_than_10_digits_is_rejected():
    exc = raises(check_trademark_number, "12345678901")
    assert str(exc) == "商标注册号最多 10 位，实际为 11 位"


# --- 居民身份证号 -----------------------------------------------------------------


@pytest.mark.parametrize("raw", VALID_RESIDENT_IDS)
def test_valid_resident_ids_are_accepted(raw):
    assert check_resident_id(raw) == raw


@pytest.mark.parametrize("raw", VALID_RESIDENT_IDS)
def test_resident_id_check_char_matches_known_ids(raw):
    assert resident_id_check_char(raw[:17]) == raw[17]


def test_resident_id_lowercase_x_check_char_is_upper_cased():
    assert check_resident_id("11010519491231002x") == "11010519491231002X"


def test_resident_id_is_normalized_from_full_width_and_spaces():
    assert check_resident_id("110105 19491231 002Ｘ") == "11010519491231002X"


def test_resident_id_invalid_birth_date_is_named():
    exc = raises(check_resident_id, "11010519491331002X")
    assert str(exc) == "身份证号中的出生日期 19491331 不是有效日期"
    assert (exc.position, exc.code) == (7, "date")


def test_resident_id_birth_date_in_future_is_rejected():
    exc = raises(check_resident_id, "110105202401010015", today=dt.date(2023, 12, 31))
    assert str(exc) == "身份证号中的出生日期 20240101 晚于今天"


def test_resident_id_birth_date_today_is_accepted():
    body = "11010520240101001"
    raw = body + resident_id_check_char(body)
    assert check_resident_id(raw, today=dt.date(2024, 1, 1)) == raw


def test_resident_id_birth_year_before_1900_is_rejected():
    exc = raises(check_resident_id, "110105189912310021")
    assert str(exc) == "身份证号中的出生日期 18991231 早于 1900 年"


def test_resident_id_wrong_check_char_names_expected_x():
    exc = raises(check_resident_id, "110105194912310021")
    assert str(exc) == "校验码应为 X，实际为 1"
    assert (exc.position, exc.code) == (18, "checksum")


def test_resident_id_wrong_length_names_both_lengths():
    assert (
        str(raises(check_resident_id, "1101051949123100"))
        == "身份证号应为 18 位，实际为 16 位"
    )


def test_resident_id_fifteen_digit_old_number_gets_hint():
    assert "15 位旧号码" in str(raises(check_resident_id, "110105491231002"))


def test_resident_id_letter_in_body_names_char_and_position():
    exc = raises(check_resident_id, "1101051949123100A2")
    assert str(exc) == "身份证号第 17 位 'A' 不是数字"
    assert exc.position == 17


def test_resident_id_letter_other_than_x_as_check_char_is_rejected():
    exc = raises(check_resident_id, "11010519491231002Y")
    assert "'Y'" in str(exc)
    assert (exc.position, exc.code) == (18, "char")


@settings(max_examples=EXAMPLES)
@given(
    raw=st.sampled_from(VALID_RESIDENT_IDS),
    index=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_char_substitution_in_resident_id_is_rejected(
    raw, index, replacement
):
    assume(replacement != raw[index])
    with pytest.raises(IdentifierError):
        check_resident_id(raw[:index] + replacement + raw[index + 1 :])


@settings(max_examples=EXAMPLES)
@given(
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()),
    sequence=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_resident_id_body_plus_computed_check_char_round_trips(region, born, sequence):
    body = f"{region}{born:%Y%m%d}{sequence}"
    raw = body + resident_id_check_char(body)
    assert check_resident_id(raw) == raw


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
