"""Every list endpoint and page runs the same number of queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding import services
from tests.clients import api_client, page_client
from tests.funding.helpers import industrialization_app, step, subsidy_app


def _many(world, n=6):
    apps = [subsidy_app(world) for _ in range(n)]
    for app in apps:
        step(app, "submit", world.applicant1)
    return apps


def _count(client, url) -> int:
    client.get(url)  # warm per-user caches (roles) so both page sizes are measured alike
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who,url", [
    ("applicant1", "/api/v1/applications/"),
    ("clerk", "/api/v1/applications/"),
    ("finance", "/api/v1/budgets/"),
    ("clerk", "/api/v1/programs/"),
])
def test_api_lists_run_a_fixed_number_of_queries(world, who, url):
    _many(world)
    client = api_client(getattr(world, who))
    sep = "&" if "?" in url else "?"
    assert _count(client, f"{url}{sep}page_size=2") == _count(client, f"{url}{sep}page_size=50")


def test_history_runs_a_fixed_number_of_queries(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk, comment="补正")
    step(app, "submit", world.applicant1)
    client = api_client(world.applicant1)
    url = f"/api/v1/applications/{app.pk}/history/"
    assert _count(client, url + "?page_size=1") == _count(client, url + "?page_size=50")


@pytest.mark.parametrize("who,url", [
    ("applicant1", "/funding/"),
    ("clerk", "/funding/intake/"),
    ("finance", "/funding/approvals/"),
    ("finance", "/funding/budgets/"),
    ("admin", "/funding/notices/"),
])
def test_pages_run_a_fixed_number_of_queries(world, who, url):
    _many(world)
    client = page_client(getattr(world, who))
    assert _count(client, f"{url}?page_size=2") == _count(client, f"{url}?page_size=50")


def test_review_queue_runs_a_fixed_number_of_queries(world):
    for user in (world.applicant1, world.applicant2):
        app = industrialization_app(world, user, amount="1000.00")
        step(app, "submit", user)
        step(app, "accept", world.clerk)
        step(app, "send_to_review", world.clerk)
    client = page_client(world.experts[0])
    assert _count(client, "/funding/reviews/?page_size=1") == _count(client, "/funding/reviews/?page_size=50")


def test_reviews_list_runs_a_fixed_number_of_queries(world):
    app = industrialization_app(world, amount="1000.00")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=60, recommended_amount="500.00")
    client = api_client(world.clerk)
    url = f"/api/v1/applications/{app.pk}/reviews/"
    assert _count(client, url + "?page_size=1") == _count(client, url + "?page_size=50")
