import pytest

from reports import services
from tests.reports.data import perform, populate
from tests.reports.helpers import DUMMY, IMMEDIATE


@pytest.fixture
def populated(world):
    """The world plus a few hundred rows of applications, ledger entries, loans and IP assets."""
    world.data = populate(world)
    return world


@pytest.fixture
def report(populated):
    return services.budget_report(year=populated.year)


@pytest.fixture
def performed(world, settings, tmp_path):
    """The world plus cases driven through 验收, termination, revocation and clawback (``data.perform``)."""
    settings.MEDIA_ROOT = tmp_path / "uploads"  # the 验收报告 files
    world.cases = perform(world)
    return world


@pytest.fixture
def performance_report(performed):
    return services.budget_report(year=performed.year)


# --- report jobs (test_jobs_*.py, which use report_dir for every test) ---------------------------
@pytest.fixture
def report_dir(settings, tmp_path):
    settings.IPFUND_REPORT_DIR = tmp_path / "reports"
    return settings.IPFUND_REPORT_DIR


@pytest.fixture
def inline_tasks(settings):
    """Enqueued tasks run at once, in the caller's thread (django-tasks' ImmediateBackend)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def held_tasks(settings):
    """Enqueued tasks are stored and never run (DummyBackend): jobs stay queued."""
    settings.TASKS = DUMMY
