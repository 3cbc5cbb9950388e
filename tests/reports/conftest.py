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
