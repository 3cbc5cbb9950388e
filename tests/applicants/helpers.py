"""Shared vectors and helpers for the identifier tests (tests/applicants/test_identifiers_*.py).

Known-good vectors were computed independently of the module under test.
"""

import pytest

from applicants.identifiers import IdentifierError

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
