"""The funding API end to end, as the demo roles (build_world): each program's flow and who may take each step."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funding.models import Application
from funding.verify import ledger_violations
from tests import factories
from tests.api.helpers import create, go
from tests.funding.helpers import no_publicity, step, subsidy_app

pytestmark = pytest.mark.django_db


# --- each program end to end ---

def test_subsidy_runs_from_draft_to_paid_with_history_and_emails(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _subsidy_flow(world, api)
    assert len(mail.outbox) == 5
    assert world.enterprise1.contact_email in mail.outbox[0].to and "applicant1@example.com" in mail.outbox[0].to
    assert "已提交" in mail.outbox[0].subject


def _subsidy_flow(world, api):
    patent = factories.PatentFactory(owner=world.enterprise1)
    foreign = factories.PatentFactory(owner=world.enterprise1, country="US", number="US11234567")
    me = api(world.applicant1)
    r = create(me, program="application_subsidy", title="2025 年专利资助", patents=[patent.number, foreign.number],
               official_fees_paid="60000.00", requested_amount="1.00")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["state"] == "draft" and body["requested_amount"] == "21000.00"  # the rule wins over the request
    assert body["program"] == "application_subsidy" and body["applicant"]["name"] == world.enterprise1.name
    assert "submit" in body["available_transitions"]
    app_id = body["id"]
    assert go(me, app_id, "submit").status_code == 200
    clerk = api(world.clerk)
    assert go(clerk, app_id, "accept").json()["state"] == "accepted"
    assert go(clerk, app_id, "publish").json()["state"] == "publicity"
    # The notice's end is fixed at publication (a rule change does not end it): let it run out.
    Application.objects.filter(pk=app_id).update(publicity_ends_on=timezone.localdate())
    finance = api(world.finance)
    r = go(finance, app_id, "approve")
    assert r.status_code == 200 and r.json()["approved_amount"] == "21000.00"
    r = go(finance, app_id, "disburse", amount="21000.00", voucher_no="WS-PZ-0001")
    assert r.status_code == 200 and r.json()["state"] == "disbursed" and r.json()["disbursed_amount"] == "21000.00"
    history = me.get(f"/api/v1/applications/{app_id}/history/").json()["results"]
    assert [h["transition"] for h in history] == ["submit", "accept", "publish", "approve", "disburse"]
    assert history[1] | {"at": None, "id": None} == {"id": None, "transition": "accept", "from_state": "submitted",
                                                     "to_state": "accepted", "by": "clerk", "at": None, "comment": "",
                                                     "amount": None, "voucher_no": None, "detail": None}
    assert history[2]["amount"] == "21000.00"  # publish records the proposed amount
    assert ledger_violations() == []


def test_industrialization_runs_through_expert_review_and_tranches(world, api):
    me = api(world.applicant1)
    patent = factories.PatentFactory(owner=world.enterprise1)
    r = create(me, program="industrialization", title="脆李深加工", requested_amount="400000.00",
               patents=[patent.number], total_investment="2000000.00", self_funding="1200000.00",
               expected_output_value="8000000.00", jobs=30)
    assert r.status_code == 201, r.json()
    app_id = r.json()["id"]
    clerk = api(world.clerk)
    go(me, app_id, "submit")
    go(clerk, app_id, "accept")
    r = go(clerk, app_id, "publish")
    assert r.status_code == 409 and r.json() == {"detail": "该项目需先送专家评审", "code": "reviews_incomplete"}
    assert go(clerk, app_id, "send_to_review").json()["state"] == "under_review"
    for i, expert in enumerate(world.experts):
        r = api(expert).post(f"/api/v1/applications/{app_id}/reviews/",
                             {"score": 80 + i, "recommended_amount": "350000.00", "comment": "可行"}, format="json")
        assert r.status_code == 201, r.json()
    assert go(clerk, app_id, "publish").status_code == 200
    no_publicity(world, "industrialization")
    finance = api(world.finance)
    assert go(finance, app_id, "approve", approved_amount="350000.00").json()["approved_amount"] == "350000.00"
    r = go(finance, app_id, "disburse", amount="250000.00", voucher_no="IND-1")
    assert r.status_code == 409 and r.json()["code"] == "tranche_limit" and "210,000.00 元" in r.json()["detail"]
    r = go(finance, app_id, "disburse", amount="210000.00", voucher_no="IND-1")
    assert r.json()["state"] == "approved" and r.json()["disbursed_amount"] == "210000.00"
    report = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%x\n", content_type="application/pdf")
    assert me.post(f"/api/v1/applications/{app_id}/documents/", {"kind": "验收报告", "file": report},
                   format="multipart").status_code == 201
    r = go(me, app_id, "submit_completion",
           outcomes={"output_value": "5200000.00", "jobs": 22, "patents_implemented": 1})
    assert r.status_code == 200 and r.json()["state"] == "completion_review", r.json()
    assert go(clerk, app_id, "pass_completion", grade="excellent").json()["state"] == "completed"
    r = go(finance, app_id, "disburse", amount="140000.00", voucher_no="IND-2")
    assert r.json()["state"] == "disbursed"
    assert ledger_violations() == []


def test_award_pays_the_level_amount(world, api):
    me = api(world.applicant1)
    patent = factories.PatentFactory(owner=world.enterprise1)
    r = create(me, program="patent_award", title="专利奖", patent=patent.number, level="silver")
    assert r.status_code == 201 and r.json()["requested_amount"] == "100000.00"
    app_id = r.json()["id"]
    clerk = api(world.clerk)
    go(me, app_id, "submit")
    go(clerk, app_id, "accept")
    go(clerk, app_id, "send_to_review", experts=["expert1", "expert2", "expert3"])
    for expert in world.experts:
        api(expert).post(f"/api/v1/applications/{app_id}/reviews/", {"score": 90, "recommended_amount": "100000.00"},
                         format="json")
    go(clerk, app_id, "publish")
    no_publicity(world, "patent_award")
    finance = api(world.finance)
    go(finance, app_id, "approve")
    r = go(finance, app_id, "disburse", amount="100000.00", voucher_no="AW-1")
    assert r.json()["state"] == "disbursed" and r.json()["details"] == {"level": "silver", "patent": patent.number}


# --- who may do what ---

def test_wrong_role_is_403_even_in_the_wrong_state(world, api):
    app = subsidy_app(world)
    r = go(api(world.applicant1), app.pk, "approve")
    assert r.status_code == 403


def test_right_role_in_the_wrong_state_is_409(world, api):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    r = go(api(world.finance), app.pk, "disburse", amount="1.00", voucher_no="X")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    r = go(api(world.clerk), app.pk, "publish")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"


def test_drafts_are_invisible_to_staff(world, api):
    app = subsidy_app(world)
    assert go(api(world.finance), app.pk, "disburse", amount="1.00", voucher_no="X").status_code == 404


def test_another_applicants_application_is_404(world, api):
    app = subsidy_app(world)
    assert api(world.applicant2).get(f"/api/v1/applications/{app.pk}/").status_code == 404
    assert go(api(world.applicant2), app.pk, "withdraw").status_code == 404


def test_bank_sees_only_its_own_claims(world, api):
    subsidy_app(world)
    assert api(world.bank1_user).get("/api/v1/applications/").json()["count"] == 0


def test_return_without_comment_is_400(world, api):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    r = go(api(world.clerk), app.pk, "return_for_revision")
    assert r.status_code == 400 and "comment" in r.json()


def test_reject_without_comment_is_400(world, api):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    assert go(api(world.clerk), app.pk, "reject", comment="  ").status_code == 400


def test_approval_before_the_notice_ends_is_409_with_the_dates(world, api):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    r = go(api(world.finance), app.pk, "approve")
    assert r.status_code == 409 and r.json()["code"] == "publicity_not_elapsed" and "公示期未满" in r.json()["detail"]


def test_returned_application_can_be_corrected_and_resubmitted(world, api):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk, comment="补充缴费凭证")
    r = api(world.applicant1).patch(f"/api/v1/applications/{app.pk}/", {"title": "改后的名称"}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "改后的名称"
    assert go(api(world.applicant1), app.pk, "submit").json()["state"] == "submitted"
