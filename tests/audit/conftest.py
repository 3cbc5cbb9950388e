import pytest


@pytest.fixture
def role_groups(transactional_db):
    """transaction=True tests flush the database, the groups of the data migration included."""
    from django.contrib.auth.models import Group

    from applicants.models import Role

    for role in Role.values:
        Group.objects.get_or_create(name=role)
