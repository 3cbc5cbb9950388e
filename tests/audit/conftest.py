import pytest


@pytest.fixture
def role_groups(transactional_db):
    """transaction=True tests flush the database, the groups of the data migration included."""
    from django.contrib.auth.models import Group

    from applicants.models import Role

    for role in Role.values:
        Group.objects.get_or_create(name=role)


@pytest.fixture(autouse=True)
def _chinese():
    """Findings are asserted in Chinese, whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield
