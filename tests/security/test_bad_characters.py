"""Issue #10 "one cleaning step for all text": a NUL, another control character or a non-character in
a query string or a page's form post is a 400 page naming the field, before any form, service or
database sees it (``api.middleware``). Before, each form decided: Django's CharField refused NUL but
stored ESC and other controls, query filters silently dropped the value, and PostgreSQL raised on a
NUL that reached a query. Runs on both databases.
"""

import pytest

from applicants.models import IPAsset
from funding.models import Application
from tests.clients import page_client
from tests.funding.helpers import step, subsidy_app

pytestmark = pytest.mark.django_db


def assert_400_page(response, field: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert field in response.content.decode()


@pytest.mark.parametrize(("who", "url", "param"), [
    ("fincenter", "/pledges/", "bank"),
    ("fincenter", "/pledges/", "start_date_after"),
    ("clerk", "/funding/", "program"),
    ("clerk", "/funding/intake/", "q"),
    ("clerk", "/applicants/registry/", "number"),
    ("clerk", "/applicants/registry/", "owner_name"),
    ("finance", "/funding/budgets/", "year"),
])
def test_a_nul_in_a_page_query_parameter_is_a_400_page(world, who, url, param):
    response = page_client(getattr(world, who)).get(url, {param: "1\u0000"})
    assert_400_page(response, param)


def test_a_nul_in_a_new_application_form_is_a_400_page_and_stores_nothing(world):
    response = page_client(world.applicant1).post("/funding/new/application_subsidy/", {
        "title": "页面\u0000申请", "patents": "ZL201710601862.3", "official_fees_paid": "3000.00"})
    assert_400_page(response, "title")
    assert not Application.objects.exists()


def test_a_nul_in_an_ip_asset_form_is_a_400_page(world):
    response = page_client(world.applicant1).post("/applicants/ip-assets/new/", {
        "kind": "patent", "number": "ZL2017\u00001060 1862.3", "title": "x", "country": "CN"})
    assert_400_page(response, "number")
    assert not IPAsset.objects.exists()


def test_a_control_character_in_a_transition_comment_is_a_400_page(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    response = page_client(world.clerk).post(f"/funding/{app.pk}/transitions/reject/", {"comment": "不符\u001b合"})
    assert_400_page(response, "comment")
    app.refresh_from_db()
    assert app.state == "submitted"


def test_a_nul_in_the_login_form_is_a_400_page(world):
    response = page_client().post("/accounts/login/", {"username": "clerk\u0000", "password": "x"})
    assert_400_page(response, "username")


def test_clean_text_passes_the_guard(world):
    response = page_client(world.clerk).get("/applicants/registry/", {"owner_name": "巫山\t县"})
    assert response.status_code == 200
