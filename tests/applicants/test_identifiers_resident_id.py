"""Tests for applicants.identifiers: 居民身份证号 (resident identity card numbers).

Pure Python; no database, no Django settings. Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from applicants.identifiers import IdentifierError, check_resident_id, resident_id_check_char
from tests.applicants.helpers import EXAMPLES, VALID_RESIDENT_IDS, raises

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
