import pytest
from django.db import connection

from tests import factories


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    skipped = 0
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
            skipped += 1
    if skipped:
        config._ipfund_pg_skipped = skipped


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = getattr(config, "_ipfund_pg_skipped", 0)
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
