"""Issue #15: the API token's lookup in one hand-written statement (``api.readers.tokens``) loads
exactly what the ORM's form loads — the token, its user, the user's bank and applicant, the roles —
for every kind of user, and refuses what the ORM's form refuses."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from api import authentication
from api.models import ApiToken, hash_key
from applicants.models import Role
from tests.clients import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _fields(instance) -> dict:
    return None if instance is None else {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _loaded(token) -> dict:
    user = token.user
    return {"token": _fields(token), "user": _fields(user), "bank": _fields(user.bank),
            "applicant": _fields(user.applicant), "roles": user.roles}


def _both(digest: str):
    with CaptureQueriesContext(connection) as fast_queries:
        fast = authentication.lookup(digest)
        fast_loaded = None if fast is None else _loaded(fast)
    with override_settings(IPFUND_SQL_READERS=False):
        orm = authentication.lookup(digest)
        orm_loaded = None if orm is None else _loaded(orm)
    return fast_loaded, orm_loaded, len(fast_queries)


def test_every_kind_of_user_loads_alike_in_one_query(world):
    Group.objects.get_or_create(name=Role.FINANCE)[0].user_set.add(world.fincenter)  # two roles
    users = [world.bank1_user, world.applicant1, world.clerk, world.fincenter, world.admin, world.experts[0]]
    loaded = {}
    for user in users:
        _token, key = ApiToken.issue(user, "t")
        fast, orm, queries = _both(hash_key(key))
        assert fast == orm, user.username
        assert queries == 1, user.username
        loaded[user.username] = fast
    assert loaded["admin"]["roles"] >= {Role.ADMIN}
    assert loaded["fincenter"]["roles"] == {Role.FIN_CENTER, Role.FINANCE}
    assert loaded["bank1"]["bank"]["id"] == world.bank1.pk and loaded["applicant1"]["applicant"]["id"] == world.enterprise1.pk


def test_a_revoked_or_unknown_token_is_none_both_ways(world):
    token, key = ApiToken.issue(world.bank1_user, "t")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert _both(hash_key(key))[:2] == (None, None)
    assert _both(hash_key("not-a-key"))[:2] == (None, None)


def test_an_inactive_users_token_is_refused_by_the_api(world):
    client = token_client(world.bank1_user)
    assert client.get("/api/v1/pledges/").status_code == 200
    type(world.bank1_user).objects.filter(pk=world.bank1_user.pk).update(is_active=False)
    assert client.get("/api/v1/pledges/").status_code == 401


def test_the_timestamps_are_the_orms_aware_datetimes(world):
    token, key = ApiToken.issue(world.bank1_user, "t")
    token_client(key=key).get("/api/v1/pledges/")  # sets last_used_at
    fast, orm, _queries = _both(hash_key(key))
    assert fast["token"]["last_used_at"] is not None
    assert fast["token"]["last_used_at"] == orm["token"]["last_used_at"]
    assert fast["token"]["last_used_at"].tzinfo is not None
