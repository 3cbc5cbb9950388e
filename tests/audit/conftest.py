import pytest
from django.utils import translation

from tests.factories import ensure_role_groups


@pytest.fixture
def role_groups(transactional_db):
    """transaction=True tests flush the database, the groups of the data migration included."""
    ensure_role_groups()


@pytest.fixture(autouse=True)
def _chinese():
    """Findings are asserted in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield
