"""Fixtures of the API tests."""

from tests.api.readers_data import cases, loans  # noqa: F401  the readers' tests' data
