"""``core.text``: the one cleaning step for text (pure; no database)."""

import pytest

from core.errors import Invalid
from core.text import bad_character, clean_text, problem_message, tree_problems


@pytest.mark.parametrize(("text", "found"), [
    ("C\u0000NUL", (2, "U+0000")), ("\ud800", (1, "U+D800")), ("ok\u001b", (3, "U+001B")), ("x\u007f", (2, "U+007F")),
    ("\ufdd0", (1, "U+FDD0")), ("a\uffff", (2, "U+FFFF")), ("\U0001fffe", (1, "U+1FFFE")),
])
def test_forbidden_characters_are_found_with_their_position(text, found):
    assert bad_character(text) == found


@pytest.mark.parametrize("text", ["巫山县", "tab\there", "line\nbreak\r\n", "emoji 🍑", "\u3000全角空格", ""])
def test_ordinary_text_passes(text):
    assert bad_character(text) is None and problem_message(text) is None


def test_clean_text_names_the_field_and_strips():
    assert clean_text("  合同  ", "contract_no") == "合同"
    with pytest.raises(Invalid) as info:
        clean_text("C\u0000", "contract_no")
    assert info.value.field == "contract_no" and "U+0000" in info.value.message


def test_clean_text_refuses_non_text_and_length():
    with pytest.raises(Invalid):
        clean_text(5, "title")
    with pytest.raises(Invalid) as info:
        clean_text("x" * 5, "title", max_length=4)
    assert "最多 4 个字符" in info.value.message


def test_tree_problems_walks_objects_and_lists_with_dotted_paths():
    body = {"contract_no": "ok", "rights": [{"number": "1"}, {"number": "2\u0000"}], "start_date": "\ud800"}
    problems = tree_problems(body)
    assert set(problems) == {"rights.1.number", "start_date"}


def test_tree_problems_reports_a_bad_key_under_its_parent():
    assert set(tree_problems({"a\u0000": "x"})) == {"non_field_errors"}
    assert set(tree_problems({"rights": {"k\u0000": 1}})) == {"rights"}


def test_tree_problems_of_a_clean_body_is_empty():
    assert tree_problems({"a": [1, 2.5, None, True, {"b": "巫山"}]}) == {}
