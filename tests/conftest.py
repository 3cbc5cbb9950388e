import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.utils import translation

from tests import factories
from tests.clients import api_client, page_client

PG_ONLY = "needs PostgreSQL: set DATABASE_URL (CI does)"


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=PG_ONLY)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Counted from the reports, so it works under xdist too (collection happens in the workers).
    skipped = sum(PG_ONLY in str(report.longrepr) for report in terminalreporter.stats.get("skipped", []))
    if skipped:
        terminalreporter.write_line(
            f"{skipped} PostgreSQL-only tests skipped on SQLite; run with DATABASE_URL=postgres://… to include them."
        )


@pytest.fixture
def region(db):
    return factories.RegionFactory()


@pytest.fixture
def world(db):
    """A region with its five programs and current-year budgets, and one user per role."""
    return factories.build_world()


@pytest.fixture
def admin_client(world):
    """The pages (the Django admin included) as ``world.admin``, a superuser: pytest-django's ``admin_client``,
    but signed in as the world's admin (so the admin sees the world's region)."""
    return page_client(world.admin)


@pytest.fixture
def api():
    """``api(user)``: an API client authenticated as ``user`` (``tests.clients.api_client``)."""
    return api_client


@pytest.fixture(autouse=True, scope="session")
def _axes_aware_client_login():
    """django-axes (login lockout) needs the request in ``authenticate()``; ``Client.login()`` passes
    none and would raise. Give it one from the test client's address, so ``login()`` still goes
    through the lockout check. Tests that only need a signed-in user use ``tests.clients.page_client`` (``force_login``)."""
    original = Client.login

    def login(self, **credentials):
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        return original(self, **credentials)

    patch = pytest.MonkeyPatch()
    patch.setattr(Client, "login", login)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.5 s per user; ``build_world()`` creates eleven. Tests need hashing, not its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Each test starts in the default language: a request with Accept-Language: en must not leak."""
    translation.activate("zh-hans")
    yield
    translation.deactivate()
