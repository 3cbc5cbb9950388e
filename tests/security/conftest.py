"""One world per test module for the security suites (authorization matrices, schema fuzzing).

``secworld`` is built once per module inside an outer transaction that is rolled back when the
module ends; every test still runs in its own savepoint (pytest-django's ``db``), so whatever a
request writes is undone before the next test.
"""

import tempfile

import pytest
from django.db import transaction
from django.test import override_settings

from tests.security.world import build_security_world


@pytest.fixture(scope="module")
def secworld(django_db_setup, django_db_blocker):
    """The world plus one object per kind, shared by a module's tests and rolled back after it."""
    with django_db_blocker.unblock(), tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        atomic = transaction.atomic()
        # Like a TestCase's wrapper: each service call inside is its own use case (the audit chains'
        # lock-order check looks at the outermost block that is not a test's).
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            yield build_security_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
