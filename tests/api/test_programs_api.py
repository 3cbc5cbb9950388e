"""Programs and budgets over the API (issue #10): the programs list is paginated like every list,
experts do not read budgets (the budgets page refuses them), every rule change is listed under
``/programs/{code}/history/``, and the history and review rows carry their amounts and rounds."""

import pytest

from tests.clients import api_client
from tests.funding.helpers import industrialization_app, step, subsidy_app, to_approved

pytestmark = pytest.mark.django_db
PAGE_KEYS = {"count", "next", "previous", "results"}


def test_the_programs_list_is_paginated(world):
    body = api_client(world.applicant1).get("/api/v1/programs/").json()
    assert set(body) == PAGE_KEYS
    assert body["count"] == 5 and {p["code"] for p in body["results"]} == {
        "industrialization", "application_subsidy", "patent_award", "interest_subsidy", "risk_compensation"}


def test_the_programs_list_pages_like_the_others(world):
    body = api_client(world.clerk).get("/api/v1/programs/", {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"] and body["previous"] is None


def test_experts_may_not_read_budgets(world):
    response = api_client(world.experts[0]).get("/api/v1/budgets/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("who", ["clerk", "finance", "fincenter", "admin"])
def test_the_staff_of_the_budgets_page_read_budgets(world, who):
    assert api_client(getattr(world, who)).get("/api/v1/budgets/").status_code == 200


# --- rule history -------------------------------------------------------------------------------

def test_a_rule_change_is_listed_with_who_when_old_new_and_why(world):
    r = api_client(world.admin).patch("/api/v1/programs/industrialization/",
                               {"cap_per_project": "400000.00", "reason": "2026 年新办法"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["cap_per_project"] == "400000.00"

    body = api_client(world.clerk).get("/api/v1/programs/industrialization/history/").json()

    assert set(body) == PAGE_KEYS and body["count"] == 1
    row = body["results"][0]
    assert set(row) == {"id", "field", "old_value", "new_value", "by", "at", "reason"}
    assert (row["field"], row["old_value"], row["new_value"], row["by"], row["reason"]) == (
        "cap_per_project", "500000.00", "400000.00", "admin", "2026 年新办法")


def test_each_changed_field_is_a_row_newest_first(world):
    client = api_client(world.admin)
    client.patch("/api/v1/programs/application_subsidy/", {"publicity_days": 9}, format="json")
    client.patch("/api/v1/programs/application_subsidy/", {"fee_share": "0.4000"}, format="json")
    rows = client.get("/api/v1/programs/application_subsidy/history/").json()["results"]
    assert [r["field"] for r in rows] == ["fee_share", "publicity_days"]
    assert rows[1]["new_value"] == 9


def test_an_unchanged_value_writes_no_history(world):
    current = api_client(world.admin).get("/api/v1/programs/patent_award/").json()["publicity_days"]
    api_client(world.admin).patch("/api/v1/programs/patent_award/", {"publicity_days": current}, format="json")
    assert api_client(world.admin).get("/api/v1/programs/patent_award/history/").json()["count"] == 0


@pytest.mark.parametrize("who", ["applicant1", "bank1_user"])
def test_rule_history_is_for_staff(world, who):
    assert api_client(getattr(world, who)).get("/api/v1/programs/patent_award/history/").status_code == 404


def test_rule_history_of_an_unknown_program_is_404(world):
    assert api_client(world.clerk).get("/api/v1/programs/nope/history/").status_code == 404


# --- history rows with amounts, reviews with rounds ------------------------------------------------

def test_application_history_carries_the_amount_and_voucher(world):
    app = to_approved(world, subsidy_app(world))
    step(app, "disburse", world.finance, data={"amount": "400.00", "voucher_no": "PZ-77"})
    rows = api_client(world.applicant1).get(f"/api/v1/applications/{app.pk}/history/").json()["results"]
    by_name = {r["transition"]: r for r in rows}
    assert by_name["accept"]["amount"] is None and by_name["accept"]["voucher_no"] is None
    assert by_name["approve"]["amount"] == "1000.00"
    assert (by_name["disburse"]["amount"], by_name["disburse"]["voucher_no"]) == ("400.00", "PZ-77")


def test_reviews_carry_their_round(world):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    r = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                   {"score": 80, "recommended_amount": "1000.00"}, format="json")
    assert r.status_code == 201 and r.json()["round"] == 1
    rows = api_client(world.clerk).get(f"/api/v1/applications/{app.pk}/reviews/").json()["results"]
    assert [row["round"] for row in rows] == [1]
