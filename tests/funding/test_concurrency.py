"""Races against real databases: row locks keep the budget whole and one transition per state."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from applicants.errors import Conflict
from funding import counts, ledger, services
from funding.models import Application, PatentClaim
from funding.verify import ledger_violations
from tests import factories
from tests.clients import api_client
from tests.funding.helpers import no_publicity, step, subsidy_app


@pytest.fixture(autouse=True)
def role_groups(request):
    """transaction=True tests flush the database, groups from the data migration included."""
    if "django_db" in request.keywords:
        request.getfixturevalue("transactional_db")
        factories.ensure_role_groups()


def run_in_threads(fn, args_list):
    """Run ``fn(*args)`` in one thread per args, all released together; each thread its own connection."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def worker(i, args):
        try:
            barrier.wait()
            results[i] = fn(*args)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _publicity_apps(world, n):
    """``n`` applications under an already elapsed notice, inserted in one statement (approval needs no details)."""
    no_publicity(world)
    program = world.programs["application_subsidy"]
    apps = Application.objects.bulk_create([
        Application(program=program, applicant=world.enterprise1, fiscal_year=world.year, title=f"并发审批 {i}",
                    requested_amount=Decimal("1000.00"), state="publicity", publicity_started_on=timezone.localdate())
        for i in range(n)
    ])
    counts.rebuild()  # the bulk insert bypassed Application.save
    return apps


def _approve(app_id, user):
    close_old_connections()
    return services.application_transition(application_id=app_id, name="approve", by=user).state


def _room_for(world, n):
    cut = ledger.budget_figures(world.budgets["application_subsidy"]).available - Decimal("1000.00") * n
    services.budget_adjust(by=world.finance, program_code="application_subsidy", year=world.year, amount=-cut,
                           reason="测试：只够 n 项")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_approvals_never_overdraw_the_budget():
    world = factories.build_world()
    apps = _publicity_apps(world, 50)
    _room_for(world, 10)
    results = run_in_threads(_approve, [(a.pk, world.finance) for a in apps])
    approved = [r for r in results if r == "approved"]
    conflicts = [r for r in results if isinstance(r, Conflict) and r.code == "budget_exhausted"]
    assert len(approved) == 10 and len(conflicts) == 40, results
    assert ledger.budget_figures(world.budgets["application_subsidy"]).available == Decimal("0.00")
    assert ledger_violations() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_accepting_at_once_one_wins_one_conflicts():
    world = factories.build_world()
    clerk2 = factories.UserFactory(username="clerk2", role="ip_office", region=world.region)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)

    def accept(user):
        return api_client(user).post(f"/api/v1/applications/{app.pk}/transitions/accept/", {}, format="json").status_code

    assert sorted(run_in_threads(accept, [(world.clerk,), (clerk2,)])) == [200, 409]
    assert Application.objects.get(pk=app.pk).history.count() == 2  # submit + one accept


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_claims_for_one_patent_one_wins():
    world = factories.build_world()
    patent = factories.PatentFactory(owner=world.enterprise1)

    def claim():
        return subsidy_app(world, patents=[patent]).pk

    results = run_in_threads(claim, [(), ()])
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, Conflict) and r.code == "patent_already_claimed" for r in results) == 1, results
    assert PatentClaim.objects.filter(patent=patent, live=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_small_burst_on_sqlite_is_serialized_without_errors():
    world = factories.build_world()
    apps = _publicity_apps(world, 5)
    _room_for(world, 2)
    results = run_in_threads(_approve, [(a.pk, world.finance) for a in apps])
    assert not any(isinstance(r, OperationalError) for r in results), results
    assert results.count("approved") == 2
    assert all(r == "approved" or (isinstance(r, Conflict) and r.code == "budget_exhausted") for r in results)
    assert ledger_violations() == []
