"""Issue #10 "strict, uniform input": unknown fields refused, one money parser, one text-cleaning step.

Every test names the defect it pins: on the old code an unknown field was silently dropped (a typo'd
``aproved_amount`` approved the full request), pledge money took JSON floats, ``"2e5"`` and full-width
digits were refused (or not) with no word on why, and a NUL or lone surrogate reached the database (a
500 on PostgreSQL) or the JSON encoder (a 500 on both).
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funding.models import Application, LedgerEntry
from pledges.models import PledgeLoan, Repayment
from tests import factories
from tests.clients import api_client
from tests.funding.helpers import industrialization_app, step, subsidy_app, to_publicity
from tests.funding.helpers import no_publicity as end_notices
from tests.pledges.helpers import IN_TERM, loan_body, register

pytestmark = pytest.mark.django_db
PLEDGES = "/api/v1/pledges/"


def raw_post(client, url: str, text: str):
    """POST a JSON text as is (so escapes like ``\\ud800`` reach the server's parser unchanged)."""
    return client.post(url, text, content_type="application/json")


# --- unknown fields ---------------------------------------------------------------------------

def test_a_typo_in_approved_amount_is_400_keyed_by_the_typo_and_approves_nothing(world):
    app = subsidy_app(world)
    end_notices(world)
    to_publicity(world, app)

    response = api_client(world.finance).post(f"/api/v1/applications/{app.pk}/transitions/approve/",
                                       {"aproved_amount": "100.00"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["aproved_amount"]
    assert response.json()["aproved_amount"][0].startswith("未知字段")
    app.refresh_from_db()
    assert app.state == "publicity" and app.approved_amount is None
    assert not LedgerEntry.objects.filter(application=app).exists()


def test_an_unknown_field_on_application_create_is_400(world):
    patent = factories.PatentFactory(owner=world.enterprise1)
    response = api_client(world.applicant1).post("/api/v1/applications/", {
        "program": "application_subsidy", "title": "t", "patents": [patent.number],
        "official_fees_paid": "1000.00", "requested_amont": "1.00"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"requested_amont"}
    assert not Application.objects.exists()


def test_program_is_unknown_on_a_draft_patch(world):
    app = subsidy_app(world)
    response = api_client(world.applicant1).patch(f"/api/v1/applications/{app.pk}/", {"program": "patent_award"},
                                           format="json")
    assert response.status_code == 400 and set(response.json()) == {"program"}


def test_an_unknown_field_on_a_review_is_400(world):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    response = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {"score": 80, "recommended_amount": "1.00", "scor": 1}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"scor"}
    assert not app.reviews.exists()


def test_an_unknown_field_on_a_budget_adjustment_is_400(world):
    response = api_client(world.finance).post("/api/v1/budgets/adjustments/", {
        "program": "patent_award", "year": world.year, "amount": "1.00", "reason": "追加", "memo": "x"},
        format="json")
    assert response.status_code == 400 and set(response.json()) == {"memo"}


def test_an_unknown_or_read_only_field_on_a_program_patch_is_400(world):
    client = api_client(world.admin)
    response = client.patch("/api/v1/programs/patent_award/", {"publicity_dais": 3}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"publicity_dais"}
    response = client.patch("/api/v1/programs/patent_award/", {"region": "x"}, format="json")
    assert response.status_code == 400 and "只读" in response.json()["region"][0]


def test_an_unknown_field_on_ip_asset_registration_is_400(world):
    response = api_client(world.applicant1).post("/api/v1/ip-assets/", {
        "kind": "trademark", "number": "12345678", "title": "x", "nice_class": 3, "grantd_on": "2020-01-01"},
        format="json")
    assert response.status_code == 400 and set(response.json()) == {"grantd_on"}


@pytest.mark.parametrize(("suffix", "body"), [
    ("repayments/", {"date": IN_TERM, "principal": "1.00", "interest": "1.00", "penalty": "1.00"}),
    ("settle/", {"dat": IN_TERM}),
    ("default/", {"date": IN_TERM, "outstanding_principal": "1.00", "outstanding": "1.00"}),
    ("recoveries/", {"date": IN_TERM, "amount": "1.00", "amout": "1.00"}),
])
def test_an_unknown_field_on_a_loan_action_is_400_and_changes_nothing(world, suffix, body):
    loan = register(world.bank1_user)
    unknown = (set(body) - {"date", "principal", "interest", "outstanding_principal", "amount"}).pop()
    response = api_client(world.bank1_user).post(f"{PLEDGES}{loan.pk}/{suffix}", body, format="json")
    assert response.status_code == 400 and set(response.json()) == {unknown}
    loan.refresh_from_db()
    assert loan.status == "active" and not Repayment.objects.filter(loan=loan).exists()


def test_an_unknown_field_in_a_pledged_right_is_400_on_rights(world):
    body = loan_body()
    body["rights"][0]["owner"] = "someone"
    response = api_client(world.bank1_user).post(PLEDGES, body, format="json")
    assert response.status_code == 400 and set(response.json()) == {"rights"}
    assert "owner" in response.json()["rights"][0] and not PledgeLoan.objects.exists()


def test_an_unknown_loan_field_is_400(world):
    response = api_client(world.bank1_user).post(PLEDGES, loan_body(outstanding_principal="1.00"), format="json")
    assert response.status_code == 400 and set(response.json()) == {"outstanding_principal"}


def test_a_refused_unknown_field_is_replayed_under_its_idempotency_key(world):
    client = api_client(world.bank1_user)
    body = loan_body(extra="x")
    first = client.post(PLEDGES, body, format="json", HTTP_IDEMPOTENCY_KEY="typo")
    second = client.post(PLEDGES, body, format="json", HTTP_IDEMPOTENCY_KEY="typo")
    assert first.status_code == second.status_code == 400 and first.json() == second.json()


# --- one money parser -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "says"), [
    ("2e5", "科学计数法"),
    ("２００", "半角"),
    ("1_000", "下划线"),
    ("1,000.00", "千位分隔符"),
    (1000.5, "浮点数"),
    (1000, "JSON 数字"),
    ("NaN", "有限"),
])
def test_money_in_another_notation_is_refused_saying_why(world, value, says):
    response = api_client(world.finance).post("/api/v1/budgets/adjustments/", {
        "program": "patent_award", "year": world.year, "amount": value, "reason": "追加"}, format="json")
    assert response.status_code == 400
    assert says in response.json()["amount"][0]


@pytest.mark.parametrize("value", ["2e5", "２００００", 200000.0])
def test_a_review_recommendation_goes_through_the_same_parser(world, value):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    response = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {"score": 80, "recommended_amount": value}, format="json")
    assert response.status_code == 400 and "recommended_amount" in response.json()


@pytest.mark.parametrize(("field", "value"), [("principal", 3000000.0), ("principal", "3e6"),
                                              ("principal", 3000000)])
def test_pledge_principal_must_be_a_decimal_string(world, field, value):
    response = api_client(world.bank1_user).post(PLEDGES, loan_body(**{field: value}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not PledgeLoan.objects.exists()


def test_a_right_valued_as_a_json_float_is_refused(world):
    body = loan_body()
    body["rights"][0]["valuation"] = 4500000.5
    response = api_client(world.bank1_user).post(PLEDGES, body, format="json")
    assert response.status_code == 400 and "浮点数" in response.json()["rights"][0]
    assert not PledgeLoan.objects.exists()


@pytest.mark.parametrize(("suffix", "body", "field"), [
    ("repayments/", {"date": IN_TERM, "principal": 1000.0, "interest": "1.00"}, "principal"),
    ("repayments/", {"date": IN_TERM, "principal": "1.00", "interest": 10.25}, "interest"),
    ("default/", {"date": IN_TERM, "outstanding_principal": 2000000.0}, "outstanding_principal"),
])
def test_json_floats_are_refused_on_loan_actions(world, suffix, body, field):
    loan = register(world.bank1_user)
    response = api_client(world.bank1_user).post(f"{PLEDGES}{loan.pk}/{suffix}", body, format="json")
    assert response.status_code == 400 and field in response.json()
    loan.refresh_from_db()
    assert loan.status == "active" and str(loan.outstanding_principal) == "3000000.00"


def test_a_rate_as_a_json_float_is_refused(world):
    response = api_client(world.bank1_user).post(PLEDGES, loan_body(annual_rate=0.0385), format="json")
    assert response.status_code == 400 and "annual_rate" in response.json()


def test_a_program_share_in_an_exponent_is_refused(world):
    response = api_client(world.admin).patch("/api/v1/programs/application_subsidy/", {"fee_share": "5e-1"},
                                      format="json")
    assert response.status_code == 400 and "科学计数法" in response.json()["fee_share"][0]


def test_a_negative_cap_is_refused(world):
    response = api_client(world.admin).patch("/api/v1/programs/industrialization/", {"cap_per_project": "-100.00"},
                                      format="json")
    assert response.status_code == 400 and "cap_per_project" in response.json()


# --- one text-cleaning step -------------------------------------------------------------------

def test_a_nul_in_a_contract_number_is_400_on_contract_no(world):
    # PostgreSQL: ValueError/DataError on the NUL, a 500; SQLite stored it.
    text = json.dumps(loan_body(contract_no="C\u0000NUL"))
    response = raw_post(api_client(world.bank1_user), PLEDGES, text)
    assert response.status_code == 400
    assert list(response.json()) == ["contract_no"] and "U+0000" in response.json()["contract_no"][0]
    assert not PledgeLoan.objects.exists()


@pytest.mark.parametrize("field", ["start_date", "maturity_date"])
def test_a_lone_surrogate_in_a_pledge_date_is_400_on_the_date(world, field):
    body = loan_body()
    body[field] = "@@"
    text = json.dumps(body).replace('"@@"', '"\\ud800"')
    response = raw_post(api_client(world.bank1_user), PLEDGES, text)
    assert response.status_code == 400
    assert list(response.json()) == [field] and "U+D800" in response.json()[field][0]


@pytest.mark.parametrize("suffix", ["repayments/", "default/", "recoveries/", "settle/"])
def test_a_lone_surrogate_in_a_loan_action_date_is_400(world, suffix):
    loan = register(world.bank1_user)
    response = raw_post(api_client(world.bank1_user), f"{PLEDGES}{loan.pk}/{suffix}",
                        '{"date": "\\ud800", "principal": "1.00", "interest": "1.00"}')
    assert response.status_code == 400 and "date" in response.json()


def test_a_bad_character_deep_in_the_body_names_its_path(world):
    body = loan_body()
    body["rights"][1]["number"] = "123\u0007"
    response = raw_post(api_client(world.bank1_user), PLEDGES, json.dumps(body))
    assert response.status_code == 400 and list(response.json()) == ["rights.1.number"]


def test_a_bad_character_in_a_key_is_400(world):
    response = raw_post(api_client(world.bank1_user), PLEDGES, '{"contract\\u0000no": "x"}')
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_nul_in_an_application_title_is_400_on_title(world):
    patent = factories.PatentFactory(owner=world.enterprise1)
    text = json.dumps({"program": "application_subsidy", "title": "专利\u0000资助", "patents": [patent.number],
                       "official_fees_paid": "1000.00"})
    response = raw_post(api_client(world.applicant1), "/api/v1/applications/", text)
    assert response.status_code == 400 and list(response.json()) == ["title"]


def test_a_non_character_in_a_transition_comment_is_400(world):
    app = subsidy_app(world)
    response = raw_post(api_client(world.applicant1), f"/api/v1/applications/{app.pk}/transitions/submit/",
                        '{"comment": "ok\\ufffe"}')
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    app.refresh_from_db()
    assert app.state == "draft"


@pytest.mark.parametrize(("url", "param"), [
    (PLEDGES, "borrower_credit_code"), (PLEDGES, "status"), ("/api/v1/ip-assets/", "number"),
    ("/api/v1/applications/", "program"), ("/api/v1/budgets/", "year"),
])
def test_a_nul_in_an_api_query_parameter_is_a_json_400_naming_it(world, url, param):
    response = api_client(world.fincenter if url != "/api/v1/ip-assets/" else world.clerk).get(url, {param: "a\u0000b"})
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert list(response.json()) == [param]


def test_a_nul_in_the_idempotency_key_is_400(world):
    response = api_client(world.bank1_user).post(PLEDGES, loan_body(), format="json", HTTP_IDEMPOTENCY_KEY="k\u0000")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not PledgeLoan.objects.exists()


def test_a_nul_in_an_api_path_is_a_json_404(world):
    response = api_client(world.clerk).get("/api/v1/programs/a%00b/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_nul_in_a_multipart_field_is_400(world):
    app = subsidy_app(world)
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = api_client(world.applicant1).post(f"/api/v1/applications/{app.pk}/documents/",
                                          {"kind": "缴费\u0000凭证", "file": upload}, format="multipart")
    assert response.status_code == 400 and "kind" in response.json()
    assert not app.documents.exists()
