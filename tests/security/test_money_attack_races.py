"""Races on PostgreSQL with real threads against the yearly-cap claim of issue #10 §2."""

from decimal import Decimal

import pytest

from funding import services
from funding.bounds import PENDING_STATES
from funding.models import Application
from tests import factories
from tests.funding.helpers import industrialization_app, step
from tests.funding.test_concurrency import role_groups, run_in_threads  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def test_concurrent_edits_of_returned_cases_never_hold_more_than_the_yearly_cap(role_groups):  # noqa: F811
    """§2: "held = approved + pending requests … so concurrent creations, edits and approvals can never
    exceed it". A returned case is pending (it counts as held), but ``application_update_draft``
    checks the yearly room without the applicant lock: 8 returned cases of 100,000 each (800,000 held,
    cap 1,000,000) raised at once to 300,000 each all pass."""
    world = factories.build_world()
    apps = [industrialization_app(world, amount="100000.00") for _ in range(THREADS)]
    for app in apps:
        step(app, "submit", world.applicant1)
        step(app, "return_for_revision", world.clerk, comment="请补充材料")

    def raise_request(app_id):
        return services.application_update_draft(application_id=app_id, by=world.applicant1,
                                                  requested_amount=Decimal("300000.00"))

    run_in_threads(raise_request, [(a.pk,) for a in apps])
    rows = Application.objects.filter(applicant=world.enterprise1, program=world.programs["industrialization"],
                                      fiscal_year=world.year, state__in=PENDING_STATES)
    held = sum((a.requested_amount for a in rows), Decimal("0"))
    assert held <= Decimal("1000000.00"), (
        f"after concurrent edits of returned cases the applicant holds {held} in pending requests against "
        f"a yearly cap of 1,000,000.00 (a sequential run stops at 1,000,000.00)")
