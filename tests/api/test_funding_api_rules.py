"""The funding API's rules and error answers, as the demo roles (build_world): subsidy eligibility, amounts,
budgets, programs, reviews, documents, filters and the schema."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applicants.models import PatentType
from funding import services
from funding.models import Application, Program
from funding.programs import handler_for
from tests import factories
from tests.api.helpers import create, go
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_approved

pytestmark = pytest.mark.django_db


# --- subsidy rules ---

def test_subsidy_request_above_the_fee_share_is_400_naming_the_rule(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1)
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00", requested_amount="600.00")
    assert r.status_code == 400 and "50" in r.json()["requested_amount"][0] and "500.00" in r.json()["requested_amount"][0]


def test_subsidy_is_capped_at_the_fee_share(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1)
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00")
    assert r.json()["requested_amount"] == "500.00"


def test_utility_model_is_not_eligible_and_named(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1, patent_type=PatentType.UTILITY_MODEL,
                                     number=factories.make_patent_number(type_digit="2"))
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00")
    assert r.status_code == 400 and patent.number in r.json()["patents"][0] and "发明专利" in r.json()["patents"][0]


def test_patent_granted_too_long_ago_is_not_eligible(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1, granted_on=datetime.date(world.year - 3, 1, 1))
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00")
    assert r.status_code == 400 and patent.number in r.json()["patents"][0] and "授权" in r.json()["patents"][0]


def test_someone_elses_patent_is_not_eligible(world, api):
    patent = factories.PatentFactory(owner=world.enterprise2)
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00")
    assert r.status_code == 400 and "权利人" in r.json()["patents"][0]


def test_second_claim_for_a_patent_is_409_naming_it(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1)
    subsidy_app(world, patents=[patent])
    r = create(api(world.applicant1), program="application_subsidy", title="t", patents=[patent.number],
               official_fees_paid="1000.00")
    assert r.status_code == 409 and patent.number in r.json()["detail"]


def test_a_withdrawn_claim_frees_the_patent(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1)
    step(subsidy_app(world, patents=[patent]), "withdraw", world.applicant1)
    assert subsidy_app(world, patents=[patent]).requested_amount == Decimal("1000.00")


def test_yearly_cap_per_applicant_limits_the_subsidy(world, api):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(cap_per_applicant_year="1500.00")
    step(subsidy_app(world), "submit", world.applicant1)  # a submitted request is held; a draft is not
    assert subsidy_app(world).requested_amount == Decimal("500.00")


@pytest.mark.parametrize("amount", ["-1.00", "0", "0.00", "1.234", 12.5, "abc"])
def test_bad_amounts_are_400(world, api, amount):
    r = create(api(world.applicant1), program="industrialization", title="t", requested_amount=amount)
    assert r.status_code == 400 and "requested_amount" in r.json()


@pytest.mark.parametrize("amount", ["-5.00", "0", "10.001"])
def test_bad_disbursement_amounts_are_400(world, api, amount):
    app = to_approved(world, subsidy_app(world))
    r = go(api(world.finance), app.pk, "disburse", amount=amount, voucher_no="V")
    assert r.status_code == 400 and "amount" in r.json()


def test_disbursement_needs_a_voucher(world, api):
    app = to_approved(world, subsidy_app(world))
    assert "voucher_no" in go(api(world.finance), app.pk, "disburse", amount="1.00").json()


def test_paying_more_than_approved_is_409(world, api):
    app = to_approved(world, subsidy_app(world))
    r = go(api(world.finance), app.pk, "disburse", amount="1000.01", voucher_no="V1")
    assert r.status_code == 409 and r.json()["code"] == "over_disbursement"


def test_a_voucher_number_is_used_once(world, api):
    a, b = to_approved(world, subsidy_app(world)), to_approved(world, subsidy_app(world, world.applicant2))
    go(api(world.finance), a.pk, "disburse", amount="100.00", voucher_no="DUP")
    r = go(api(world.finance), b.pk, "disburse", amount="100.00", voucher_no="DUP")
    assert r.status_code == 409 and r.json()["code"] == "duplicate_voucher"


# --- approvals against the budget ---

def test_approval_beyond_available_budget_is_409_with_figures(world, api):
    app = industrialization_app(world)
    api(world.finance).post("/api/v1/budgets/adjustments/", {"program": "industrialization", "year": world.year,
                            "amount": "-4900000.00", "reason": "调减"}, format="json")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=70, recommended_amount=Decimal("300000.00"))
    step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")
    r = go(api(world.finance), app.pk, "approve")
    assert r.status_code == 409 and r.json()["code"] == "budget_exhausted"
    assert "100,000.00 元" in r.json()["detail"] and "300,000.00 元" in r.json()["detail"]


def test_approved_amount_above_requested_is_409_naming_the_limit(world, api):
    app = subsidy_app(world)
    no_publicity(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    r = go(api(world.finance), app.pk, "approve", approved_amount="1000.01")
    assert r.status_code == 409 and r.json()["code"] == "above_requested_amount"
    assert "1,000.01 元" in r.json()["detail"] and "1,000.00 元" in r.json()["detail"]


def test_cap_by_budget_room_approves_what_is_left(world):
    handler = handler_for("application_subsidy")
    handler.cap_by_budget_room = True
    try:
        services.budget_adjust(by=world.finance, program_code="application_subsidy", year=world.year,
                               amount=Decimal("-999600.00"), reason="调减")
        app = to_approved(world, subsidy_app(world))
        assert app.approved_amount == Decimal("400.00")
    finally:
        handler.cap_by_budget_room = False


# --- budgets, programs ---

def test_budget_list_shows_figures_by_program_code(world, api):
    r = api(world.finance).get(f"/api/v1/budgets/?year={world.year}")
    rows = {row["program"]: row for row in r.json()["results"]}
    assert rows["risk_compensation"]["allocated"] == "10000000.00" and rows["risk_compensation"]["available"] == \
        "10000000.00"


def test_budgets_are_403_for_applicants(world, api):
    assert api(world.applicant1).get("/api/v1/budgets/").status_code == 403


def test_adjustment_top_up_is_201(world, api):
    r = api(world.finance).post("/api/v1/budgets/adjustments/", {"program": "patent_award", "year": world.year,
                                "amount": "50000.00", "reason": "追加"}, format="json")
    assert r.status_code == 201 and r.json()["amount"] == "50000.00"


def test_adjustment_cut_below_committed_is_409(world, api):
    r = api(world.finance).post("/api/v1/budgets/adjustments/", {"program": "patent_award", "year": world.year,
                                "amount": "-1000000.01", "reason": "调减"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "budget_cut_too_deep"


def test_adjustment_by_clerk_is_403(world, api):
    r = api(world.clerk).post("/api/v1/budgets/adjustments/", {"program": "patent_award", "year": world.year,
                              "amount": "1.00", "reason": "x"}, format="json")
    assert r.status_code == 403


def test_program_patch_by_non_admin_is_403(world, api):
    assert api(world.finance).patch("/api/v1/programs/patent_award/", {"publicity_days": 0},
                                    format="json").status_code == 403


def test_program_patch_rejects_float_ratios(world, api):
    r = api(world.admin).patch("/api/v1/programs/application_subsidy/", {"fee_share": 0.4}, format="json")
    assert r.status_code == 400 and "fee_share" in r.json()


# --- reviews ---

def _under_review(world):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    return step(app, "send_to_review", world.clerk)


def test_second_review_by_one_expert_is_409(world, api):
    app = _under_review(world)
    client = api(world.experts[0])
    body = {"score": 80, "recommended_amount": "1000.00"}
    assert client.post(f"/api/v1/applications/{app.pk}/reviews/", body, format="json").status_code == 201
    assert client.post(f"/api/v1/applications/{app.pk}/reviews/", body, format="json").status_code == 409


def test_recommended_amount_above_requested_is_400(world, api):
    app = _under_review(world)
    r = api(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                   {"score": 80, "recommended_amount": "300000.01"}, format="json")
    assert r.status_code == 400 and "recommended_amount" in r.json()


def test_expert_tied_to_the_applicant_is_never_assigned(world, api):
    tied = factories.UserFactory(username="expert_tied", role="expert", region=world.region,
                                 applicant=world.enterprise1)
    app = _under_review(world)
    assert not app.review_assignments.filter(expert=tied).exists()
    r = api(tied).post(f"/api/v1/applications/{app.pk}/reviews/", {"score": 1, "recommended_amount": "1.00"},
                       format="json")
    assert r.status_code in (403, 404)


def test_unassigned_expert_cannot_see_the_application(world, api):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    outsider = factories.UserFactory(username="expert9", role="expert", region=world.region)
    assert api(outsider).get(f"/api/v1/applications/{app.pk}/").status_code == 404


# --- documents ---

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def test_document_upload_and_download(world, api):
    app = subsidy_app(world)
    client = api(world.applicant1)
    upload = SimpleUploadedFile("../../缴费凭证.pdf", PDF, content_type="application/pdf")
    r = client.post(f"/api/v1/applications/{app.pk}/documents/", {"kind": "缴费凭证", "file": upload},
                    format="multipart")
    assert r.status_code == 201 and r.json()["original_name"] == "缴费凭证.pdf"
    doc_id = r.json()["id"]
    r = client.get(f"/api/v1/applications/{app.pk}/documents/{doc_id}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert api(world.applicant2).get(f"/api/v1/applications/{app.pk}/documents/{doc_id}/").status_code == 404


def test_document_that_is_not_pdf_or_image_is_400(world, api):
    app = subsidy_app(world)
    upload = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    r = api(world.applicant1).post(f"/api/v1/applications/{app.pk}/documents/", {"kind": "x", "file": upload},
                                   format="multipart")
    assert r.status_code == 400 and "file" in r.json()


def test_document_too_large_is_400(world, api, settings):
    settings.IPFUND_UPLOAD_MAX_BYTES = 10
    app = subsidy_app(world)
    upload = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    r = api(world.applicant1).post(f"/api/v1/applications/{app.pk}/documents/", {"kind": "x", "file": upload},
                                   format="multipart")
    assert r.status_code == 400


# --- filters and schema ---

def test_list_filters_by_state_program_and_year(world, api):
    subsidy_app(world)
    step(subsidy_app(world), "submit", world.applicant1)
    client = api(world.applicant1)
    assert client.get("/api/v1/applications/?state=draft").json()["count"] == 1
    assert client.get(f"/api/v1/applications/?program=application_subsidy&year={world.year}").json()["count"] == 2
    assert client.get("/api/v1/applications/?program=industrialization").json()["count"] == 0
    assert client.get("/api/v1/applications/?state=nonsense").status_code == 400


def test_schema_documents_the_error_answers(world, api):
    r = api(world.admin).get("/api/schema/?format=json")
    assert r.status_code == 200
    post = r.json()["paths"]["/api/v1/applications/{id}/transitions/{name}/"]["post"]
    assert {"400", "403", "404", "409"} <= set(post["responses"])
    assert Application.objects.count() == 0


@pytest.mark.parametrize("changes", [{"subsidy_standards": "x"}, {"subsidy_standards": {"invention": {"CN": "abc"}}},
                                     {"award_levels": {"gold": 1.5}}, {"required_documents": "营业执照"}])
def test_program_rules_in_the_wrong_shape_are_400(world, api, changes):
    r = api(world.admin).patch("/api/v1/programs/application_subsidy/", changes, format="json")
    assert r.status_code == 400 and set(changes) <= set(r.json())


@pytest.mark.parametrize("body", [{"program": "application_subsidy", "title": "t", "patents": "ZL1"},
                                  {"program": "industrialization", "title": "t", "requested_amount": "1.00",
                                   "jobs": "many"},
                                  {"program": "nope", "title": "t"}, [], "text"])
def test_malformed_create_bodies_are_400(world, api, body):
    assert create(api(world.applicant1), **body).status_code == 400 if isinstance(body, dict) else \
        api(world.applicant1).post("/api/v1/applications/", body, format="json").status_code == 400


def test_staff_cannot_create_applications(world, api):
    r = create(api(world.clerk), program="application_subsidy", title="t", patents=[], official_fees_paid="1.00")
    assert r.status_code in (400, 403)
    r = create(api(world.clerk), program="patent_award", title="t", patent="ZL201710601862.3", level="gold")
    assert r.status_code == 403


def test_unknown_transition_is_404(world, api):
    app = subsidy_app(world)
    assert go(api(world.applicant1), app.pk, "explode").status_code == 404


def test_required_documents_block_submission_with_a_message(world, api):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(required_documents=["缴费凭证"])
    app = subsidy_app(world)
    r = go(api(world.applicant1), app.pk, "submit")
    assert r.status_code == 409 and r.json()["code"] == "requirements_missing" and "缴费凭证" in r.json()["detail"]
