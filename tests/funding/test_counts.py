"""Issue #15: the application counters — kept with every save, equal to what the lists count,
rebuilt after bulk loads, and an SQL edit shows against them."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import audit_chain
from funding import counts, selectors
from funding.filters import ApplicationFilter
from funding.models import Application, ApplicationCount
from tests import factories
from tests.clients import api_client
from tests.funding.helpers import industrialization_app, step, subsidy_app, to_approved

pytestmark = pytest.mark.django_db


def _world_with_cases(world):
    subsidy_app(world)  # a draft
    to_approved(world, subsidy_app(world))
    returned = step(subsidy_app(world), "submit", world.applicant1)
    step(returned, "return_for_revision", world.clerk, comment="请补充材料")
    step(industrialization_app(world), "submit", world.applicant1)
    return world


def _listed(user, params) -> int:
    qs = selectors.applications_visible_to(user)
    return ApplicationFilter(params, queryset=qs).qs.count()


def test_counters_follow_creation_and_every_transition(world):
    _world_with_cases(world)
    assert counts.findings() == []
    kept = {(c.state, c.n) for c in ApplicationCount.objects.filter(n__gt=0)}
    assert ("draft", 1) in kept and ("approved", 1) in kept and ("returned", 1) in kept


@pytest.mark.parametrize("who", ["clerk", "finance", "fincenter", "admin"])
@pytest.mark.parametrize("params", [{}, {"state": "approved"}, {"program": "application_subsidy"},
                                    {"year": "2026"}, {"state": "draft"},
                                    {"program": "industrialization", "state": "submitted", "year": "2026"}])
def test_the_counted_number_is_what_the_list_counts(world, who, params):
    _world_with_cases(world)
    user = getattr(world, who)
    assert counts.visible_count(user, params) == _listed(user, params)


def test_a_list_with_a_search_or_an_applicant_counts_rows(world):
    assert counts.visible_count(world.clerk, {"q": "脆李"}) is None
    assert counts.visible_count(world.applicant1, {}) is None
    assert counts.visible_count(world.clerk, {"state": "no-such-state"}) is None


def test_the_api_list_does_not_count_the_application_table(world):
    _world_with_cases(world)
    with CaptureQueriesContext(connection) as ctx:
        body = api_client(world.clerk).get("/api/v1/applications/?program=application_subsidy").json()
    assert body["count"] == _listed(world.clerk, {"program": "application_subsidy"})
    assert not any("COUNT(" in q["sql"] and "funding_application\"" in q["sql"].split("FROM")[1][:40]
                   for q in ctx.captured_queries if "FROM" in q["sql"])


@pytest.mark.tampers
def test_a_state_changed_in_sql_is_a_finding_against_the_counters(world):
    _world_with_cases(world)
    app = Application.objects.filter(state="approved").first()
    Application.objects.filter(pk=app.pk).update(state="disbursed")
    assert any("申请数量计数" in finding for finding in audit_chain.verify_all(audit_chain.registered()))


@pytest.mark.tampers
def test_rebuild_recounts_after_a_bulk_load(world):
    _world_with_cases(world)
    ApplicationCount.objects.all().delete()
    assert counts.findings()
    counts.rebuild()
    assert counts.findings() == []


def test_a_programs_cases_spread_over_the_counter_shards(world):
    apps = [subsidy_app(world) for _ in range(counts.SHARDS)]
    shards = set(ApplicationCount.objects.filter(state="draft", n__gt=0).values_list("shard", flat=True))
    assert shards == {counts.shard_of(a) for a in apps} and len(shards) == counts.SHARDS
    assert counts.visible_count(world.admin, {"state": "draft"}) == counts.SHARDS
    assert counts.findings() == []


@pytest.fixture
def committed_world(transactional_db):
    factories.ensure_role_groups()  # a transaction=True test flushes the groups of the data migration
    return factories.build_world()


@pytest.mark.postgres
@pytest.mark.parametrize("direction", ["to_the_smaller_key", "to_the_larger_key"])
def test_a_move_locks_the_smaller_key_first_in_its_one_statement(committed_world, direction):
    """A case moving between two keys takes their rows in key order (so transactions moving cases in
    opposite directions never deadlock), although PostgreSQL moves both in one statement: with the
    smaller key's row held by another session, the move waits there and holds nothing else."""
    world = committed_world
    app = step(subsidy_app(world), "submit", world.applicant1)
    shard = counts.shard_of(app)
    accepted, submitted = (counts.key_of(app)[:2] + (state, False) for state in ("accepted", "submitted"))
    with transaction.atomic():  # both rows exist, and the one the move takes from counts 1
        counts.moved(submitted, accepted, shard)
        if direction == "to_the_smaller_key":
            counts.moved(accepted, submitted, shard)
    old, new = (submitted, accepted) if direction == "to_the_smaller_key" else (accepted, submitted)
    smaller, larger = sorted([accepted, submitted])
    rows = ApplicationCount.objects.filter(shard=shard, program_id=app.program_id, fiscal_year=app.fiscal_year)
    held, release, moved = threading.Event(), threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(rows.select_for_update().filter(state=smaller[2]))
                held.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def move():
        try:
            with transaction.atomic():
                counts.moved(old, new, shard)
            moved.set()
        finally:
            connection.close()

    holder, mover = threading.Thread(target=hold), threading.Thread(target=move)
    holder.start()
    assert held.wait(timeout=5)
    mover.start()
    try:
        assert not moved.wait(timeout=0.5)  # waiting on the smaller key's row
        with transaction.atomic():  # the larger key's row is free: nothing was taken out of order
            assert list(rows.select_for_update(nowait=True).filter(state=larger[2]).values_list("state", flat=True))
    finally:
        release.set()
        holder.join(timeout=10)
        mover.join(timeout=10)
    assert moved.is_set()
    assert dict(rows.filter(state__in=[old[2], new[2]]).values_list("state", "n")) == {new[2]: 1, old[2]: 0}
