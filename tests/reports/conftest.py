import pytest

from reports import services
from tests.reports.data import populate


@pytest.fixture
def populated(world):
    """The world plus a few hundred rows of applications, ledger entries, loans and IP assets."""
    world.data = populate(world)
    return world


@pytest.fixture
def report(populated):
    return services.budget_report(year=populated.year)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """build_world() creates a dozen users; a cheap hasher keeps these tests fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
