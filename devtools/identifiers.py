"""Valid-by-construction identifiers for demo, synthetic and test data (one definition each).

Built on the check-character functions of ``applicants.identifiers``, so every value here passes
``check_credit_code`` / ``check_patent_number`` / ``check_resident_id``:

- ``credit_code(region_code, org)``: a 统一社会信用代码 of an enterprise (``91``) registered in
  ``region_code``; ``org`` is characters 9–17 (9 characters of the code's alphabet).
- ``patent_number(year, type_digit, serial)``: ``ZL`` + ``YYYY`` + type digit + 7-digit serial +
  ``.`` + check character.
- ``resident_id(region_code, born, serial)``: an 18-character 居民身份证号.

The ``make_*`` variants fill in defaults for tests: the demo county (``REGION_CODE``), last year's
patents and a fresh process-wide serial per call, so two calls never collide (within the ranges
noted on each). Product code only: tests may import from here, never the other way round.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from applicants.identifiers import credit_code_check_char, patent_check_char, resident_id_check_char

REGION_CODE = "500237"  # 巫山县, the demo county (GB/T 2260)


def credit_code(region_code: str, org: str, *, kind: str = "91") -> str:
    """A valid 统一社会信用代码: ``kind`` (``91`` = enterprise) + ``region_code`` + ``org`` (9 chars)."""
    body = f"{kind}{region_code}{org}"
    return body + credit_code_check_char(body)


def patent_number(year: int, type_digit: str, serial: int) -> str:
    """A valid CNIPA patent number, e.g. ``patent_number(2017, "1", 601862)`` → ``ZL201710601862.3``."""
    digits = f"{year}{type_digit}{serial:07d}"
    return f"ZL{digits}.{patent_check_char(digits)}"


def resident_id(region_code: str, born: dt.date, serial: int) -> str:
    """A valid 居民身份证号 of someone born on ``born`` in ``region_code``; ``serial`` counts modulo 1000."""
    body = f"{region_code}{born:%Y%m%d}{serial % 1000:03d}"
    return body + resident_id_check_char(body)


# --- fresh values for tests ------------------------------------------------------------------

_serial = itertools.count(1)  # one counter for all three, so values stay distinct across kinds of call


def make_credit_code(region_code: str = REGION_CODE, n: int | None = None) -> str:
    """A fresh enterprise credit code of ``region_code`` (``91`` + region + ``MA`` + 7 digits of ``n``)."""
    n = next(_serial) if n is None else n
    return credit_code(region_code, f"MA{n % 10_000_000:07d}")


def make_patent_number(year: int | None = None, type_digit: str = "1", n: int | None = None) -> str:
    """A fresh patent number (type ``type_digit``), applied for last year unless ``year`` is given."""
    year = year or timezone.localdate().year - 1
    n = next(_serial) if n is None else n
    return patent_number(year, type_digit, n)


def make_resident_id(n: int | None = None) -> str:
    """A fresh resident ID of the demo county, born 1980-01-01 (unique for 1000 consecutive ``n``)."""
    n = next(_serial) if n is None else n
    return resident_id(REGION_CODE, dt.date(1980, 1, 1), n)
