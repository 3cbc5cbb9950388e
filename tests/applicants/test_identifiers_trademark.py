"""Tests for applicants.identifiers: 商标注册号 (trademark registration numbers).

Pure Python; no database, no Django settings. Known-good vectors were computed independently of the module under test.
"""

from __future__ import annotations

import pytest

from applicants.identifiers import check_trademark_number
from tests.applicants.helpers import raises

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
