"""Normalize and check Chinese identifiers (pure Python, no Django).

Covered: 统一社会信用代码 (GB 32100-2015), 专利申请号/专利号 (CNIPA, both the
12-digit format used since 2003-10-01 and the older 8-digit one), 商标注册号 and
居民身份证号 (GB 11643-1999).

Every ``check_*`` function normalizes its input first (see ``normalize``) and
either returns the canonical form or raises ``IdentifierError`` carrying a
Chinese, user-facing sentence. ``position`` is 1-based and counts characters of
the *normalized* value (for patents: of the application number, without ``ZL``),
so it may differ from the raw input when that contained spaces or a prefix.

Error codes: ``required``, ``type``, ``format``, ``length``, ``char``,
``checksum``, ``patent_type``, ``year``, ``date``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


class IdentifierError(ValueError):
    """An identifier failed a check; ``str(exc)`` is the user-facing message."""

    def __init__(
        self, message: str, *, position: int | None = None, code: str = "invalid"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.code = code


# --- normalization ---------------------------------------------------------

# Full-width ０-９ Ａ-Ｚ ａ-ｚ ． come from Chinese IMEs; map them (and ASCII a-z) to
# upper-case ASCII with one table. We deliberately avoid NFKC and str.upper():
# they would also accept things like '①' or change the string's length.
# Zero-width characters are not whitespace for str.split() but arrive via copy-paste,
# so the table deletes them.
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()
_FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in _DIGITS + _UPPER + _LOWER) + "．"
_NORMALIZE_TABLE = str.maketrans(
    _FULL_WIDTH + _LOWER,
    _DIGITS + _UPPER + _UPPER + "." + _UPPER,
    "\u200b\u200c\u200d\u2060\ufeff",
)


def normalize(raw: object) -> str:
    """Drop all whitespace (incl. U+3000), map full-width to half-width, upper-case ASCII.

    Non-str input raises ``IdentifierError`` (never ``TypeError``); the result may be "".
    """
    return _normalize(raw, label="")


def _normalize(raw: object, label: str) -> str:
    if raw is None:
        raise IdentifierError(f"{label}不能为空", code="required")
    if not isinstance(raw, str):
        msg = f"{label}应为文本，实际为 {type(raw).__name__}"
        raise IdentifierError(msg, code="type")
    # str.split() with no argument splits on every Unicode whitespace, U+3000 included.
    return "".join(raw.split()).translate(_NORMALIZE_TABLE)


def _prepare(raw: object, label: str) -> str:
    # Like normalize(), but blank input is an error and messages name the identifier.
    value = _normalize(raw, label)
    if not value:
        raise IdentifierError(f"{label}不能为空", code="required")
    return value


def _show(char: str) -> str:
    # Quote printable characters; show control/format characters as code points.
    return f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"


def _require_digits(value: str, label: str) -> None:
    for i, char in enumerate(value, start=1):
        if char not in _DIGITS:
            raise IdentifierError(
                f"{label}第 {i} 位 {_show(char)} 不是数字", position=i, code="char"
            )


def _require_length(value: str, label: str, length: int, hint: str = "") -> None:
    if len(value) != length:
        msg = f"{label}应为 {length} 位，实际为 {len(value)} 位{hint}"
        raise IdentifierError(msg, code="length")


def _check_char_matches(expected: str, actual: str, position: int) -> None:
    if expected != actual:
        msg = f"校验码应为 {expected}，实际为 {actual}"
        raise IdentifierError(msg, position=position, code="checksum")


# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # value = index, 0..30
_CREDIT_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # Wi = 3^(i-1) mod 31
_CREDIT_EXCLUDED = "IOZSV"  # look like 1/0/2/5/U, hence left out of the alphabet


def _check_credit_chars(value: str) -> None:
    for i, char in enumerate(value, start=1):
        if char in _CREDIT_VALUES:
            continue
        if char in _CREDIT_EXCLUDED:
            why = "统一社会信用代码不使用 I、O、Z、S、V"
        else:
            why = "统一社会信用代码只能包含数字和除 I、O、Z、S、V 以外的大写英文字母"
        raise IdentifierError(
            f"第 {i} 位 {_show(char)} 不是合法字符（{why}）", position=i, code="char"
        )


def credit_code_check_char(first17: str) -> str:
    """Check character for the first 17 (already normalized) characters of a credit code."""
    _check_credit_chars(first17)
    _require_length(first17, "统一社会信用代码本体", 17)
    total = sum(
        _CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(raw: object) -> str:
    """Return the normalized 18-character code, or raise ``IdentifierError``."""
    code = _prepare(raw, "统一社会信用代码")
    # Characters first: a stray '-' or 'O' explains a wrong length better than the count does.
    _check_credit_chars(code)
    _require_length(code, "统一社会信用代码", 18)
    _check_char_matches(credit_code_check_char(code[:17]), code[17], 18)
    return code


def credit_code_region(code: str) -> str:
    """Administrative region code (characters 3–8), e.g. '500237'. Validates ``code`` first."""
    return check_credit_code(code)[2:8]


# --- 专利申请号 / 专利号 (CNIPA) -------------------------------------------------

_PATENT_TYPES = {
    "1": ("invention", False),
    "2": ("utility_model", False),
    "3": ("design", False),
    "8": ("invention", True),  # PCT application entering the national phase
    "9": ("utility_model", True),
}
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_PATENT_FORMAT_MESSAGE = (
    "专利号格式不正确：应为 ZL + 12 位数字 + '.' + 校验位（如 ZL201710601862.3），"
    "或 2003 年以前的 8 位数字 + 校验位"
)
_PATENT_SHAPE = re.compile(r"([^.]*)\.(.)")
_NEW_FORMAT_FROM = 2003  # 12-digit numbers since 2003-10-01; 8-digit ones up to then
_FIRST_YEAR = 1985  # the Chinese patent system started accepting applications in 1985


@dataclass(frozen=True)
class PatentNumber:
    number: str  # "ZL201710601862.3" (ZL + application number)
    application_no: str  # "201710601862.3"
    year: int  # 2017 (1997 for "97101765.4")
    type_digit: str  # "1"
    patent_type: str  # "invention" | "utility_model" | "design"
    pct: bool  # True for type digits 8 / 9


def patent_check_char(digits: str) -> str:
    """Check character ('0'..'9' or 'X') for 12 (or old-style 8) application-number digits."""
    _require_digits(digits, "专利申请号")
    if len(digits) not in (12, 8):
        raise IdentifierError(
            f"专利申请号应为 12 位或 8 位数字，实际为 {len(digits)} 位", code="length"
        )
    remainder = (
        sum(int(d) * w for d, w in zip(digits, _PATENT_WEIGHTS, strict=False)) % 11
    )
    return "X" if remainder == 10 else str(remainder)


def check_patent_number(raw: object, *, today: dt.date | None = None) -> PatentNumber:
    """Parse a patent or application number (prefixes CN/ZL optional, dot optional)."""
    value = _prepare(raw, "专利号")
    value = value.removeprefix("CN").removeprefix("ZL")
    if "." not in value and len(value) in (13, 9):
        value = f"{value[:-1]}.{value[-1]}"  # users often drop the dot before the check char
    shape = _PATENT_SHAPE.fullmatch(value)
    if shape is None or len(shape[1]) not in (12, 8):
        raise IdentifierError(_PATENT_FORMAT_MESSAGE, code="format")
    body, check = shape[1], shape[2]
    _require_digits(body, "专利申请号")
    check_pos = len(body) + 2
    if check not in "0123456789X":
        msg = f"专利申请号第 {check_pos} 位校验位 {_show(check)} 无效：应为数字或 X"
        raise IdentifierError(msg, position=check_pos, code="char")

    new_format = len(body) == 12
    type_pos = 5 if new_format else 3
    type_digit = body[type_pos - 1]
    if type_digit not in _PATENT_TYPES:
        raise IdentifierError(
            f"专利类型位 '{type_digit}' 无效：应为 1（发明）、2（实用新型）、3（外观设计）、8 或 9（PCT）",
            position=type_pos,
            code="patent_type",
        )

    if new_format:
        year = int(body[:4])
    else:  # two-digit year: 85–99 → 19xx, 00–84 → 20xx (and then only 2000–2003 fits)
        year = int(body[:2]) + (1900 if int(body[:2]) >= 85 else 2000)
    current_year = (today or dt.date.today()).year
    if year > current_year or year < _FIRST_YEAR:
        why: str | None = ""
    elif new_format and year < _NEW_FORMAT_FROM:
        why = "：12 位申请号自 2003 年起使用"
    elif not new_format and year > _NEW_FORMAT_FROM:
        why = "：8 位申请号只用于 2003 年及以前"
    else:
        why = None
    if why is not None:
        raise IdentifierError(f"申请年份 {year} 不合理{why}", position=1, code="year")

    _check_char_matches(patent_check_char(body), check, check_pos)
    application_no = f"{body}.{check}"
    patent_type, pct = _PATENT_TYPES[type_digit]
    return PatentNumber(
        f"ZL{application_no}", application_no, year, type_digit, patent_type, pct
    )


# --- 商标注册号 ------------------------------------------------------------------

_TRADEMARK_MAX_LEN = 10


def check_trademark_number(raw: object) -> str:
    """Registration numbers are plain serials (no check digit); keep leading zeros as typed."""
    value = _prepare(raw, "商标注册号")
    _require_digits(value, "商标注册号只能包含数字：")
    if len(value) > _TRADEMARK_MAX_LEN:
        msg = f"商标注册号最多 {_TRADEMARK_MAX_LEN} 位，实际为 {len(value)} 位"
        raise IdentifierError(msg, code="length")
    return value


# --- 居民身份证号 (GB 11643-1999, ISO 7064 MOD 11-2) ----------------------------

# Wi = 2^(18-i) mod 11 for i = 1..17.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK_CHARS = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """Check character ('0'..'9' or 'X') for the first 17 digits of a resident ID."""
    _require_digits(first17, "身份证号")
    _require_length(first17, "身份证号本体", 17)
    total = sum(int(d) * w for d, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK_CHARS[total % 11]


def check_resident_id(raw: object, *, today: dt.date | None = None) -> str:
    """Return the normalized 18-character ID (lower-case 'x' becomes 'X')."""
    value = _prepare(raw, "身份证号")
    hint = "（15 位旧号码请换用 18 位号码）" if len(value) == 15 else ""
    _require_length(value, "身份证号", 18, hint)
    _require_digits(value[:17], "身份证号")
    if value[17] not in "0123456789X":
        msg = f"身份证号第 18 位 {_show(value[17])} 无效：应为数字或 X"
        raise IdentifierError(msg, position=18, code="char")

    # Date before checksum: "19491331" tells the user more than a bare check-char mismatch.
    birth = value[6:14]
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        problem = "不是有效日期"
    else:
        too_late = born > (today or dt.date.today())
        problem = "早于 1900 年" if born.year < 1900 else "晚于今天" if too_late else ""
    if problem:
        raise IdentifierError(
            f"身份证号中的出生日期 {birth} {problem}", position=7, code="date"
        )

    _check_char_matches(resident_id_check_char(value[:17]), value[17], 18)
    return value
