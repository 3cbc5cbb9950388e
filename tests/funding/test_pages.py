"""The pages, driven with the Django test client as each role would."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funding import ledger
from funding.models import Application, Program
from funding.verify import ledger_violations
from tests import factories
from tests.clients import page_client
from tests.funding.helpers import industrialization_app, step, subsidy_app


def test_subsidy_runs_through_the_pages(world):
    patent = factories.PatentFactory(owner=world.enterprise1)
    me = page_client(world.applicant1)
    assert me.get("/funding/new/application_subsidy/").status_code == 200
    r = me.post("/funding/new/application_subsidy/", {"title": "页面申请", "patents": patent.number,
                                                      "official_fees_paid": "3000.00"})
    assert r.status_code == 302, r.content.decode()[:2000]
    app = Application.objects.get(title="页面申请")
    assert app.requested_amount == Decimal("1000.00")
    page = me.get(f"/funding/{app.pk}/").content.decode()
    assert patent.number in page and "提交" in page
    me.post(f"/funding/{app.pk}/transitions/submit/", {"confirmed": "1", "pledge_accepted": "on"})
    clerk = page_client(world.clerk)
    assert "页面申请" in clerk.get("/funding/intake/").content.decode()
    clerk.post(f"/funding/{app.pk}/transitions/accept/")
    clerk.post(f"/funding/{app.pk}/transitions/publish/")
    notice = f"/funding/notices/{world.region.code}/application_subsidy/{world.year}/"
    assert notice in page_client().get("/funding/notices/").content.decode()
    assert "页面申请" in page_client().get(notice).content.decode()
    Application.objects.filter(pk=app.pk).update(publicity_ends_on=timezone.localdate())  # the notice runs out
    finance = page_client(world.finance)
    assert "页面申请" in finance.get("/funding/approvals/").content.decode()
    finance.post(f"/funding/{app.pk}/transitions/approve/", {"approved_amount": "", "confirmed": "1"})
    r = finance.post(f"/funding/{app.pk}/transitions/disburse/", {"amount": "1000.00", "voucher_no": "PG-1",
                                                                            "confirmed": "1"},
                     follow=True)
    assert "已完成" in r.content.decode()
    app = Application.objects.get(pk=app.pk)
    assert app.state == "disbursed" and app.disbursed_amount == Decimal("1000.00")
    assert "PG-1" in me.get(f"/funding/{app.pk}/").content.decode()
    assert ledger_violations() == []


def test_rejecting_without_a_comment_shows_a_message(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    r = page_client(world.clerk).post(f"/funding/{app.pk}/transitions/reject/", {"comment": "", "confirmed": "1"},
                                      follow=True)
    assert "请填写意见" in r.content.decode()
    assert Application.objects.get(pk=app.pk).state == "submitted"


def test_another_applicants_page_is_404(world):
    app = subsidy_app(world)
    assert page_client(world.applicant2).get(f"/funding/{app.pk}/").status_code == 404


def test_wrong_role_on_a_page_action_is_403(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    assert page_client(world.applicant1).post(f"/funding/{app.pk}/transitions/accept/").status_code == 403


def test_expert_scores_through_the_review_form(world):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    expert = page_client(world.experts[0])
    assert "脆李深加工产业化" in expert.get("/funding/reviews/").content.decode()
    expert.post(f"/funding/{app.pk}/review/", {"score": "85", "recommended_amount": "200000.00", "comment": "好"})
    assert app.reviews.get().score == 85


def test_finance_adjusts_a_budget_on_the_budget_page(world):
    finance = page_client(world.finance)
    body = {"program": "patent_award", "year": world.year, "amount": "-1000.00", "reason": "年中调减"}
    first = finance.post("/funding/budgets/", body).content.decode()
    assert "负壹仟元整" in first and "999,000.00 元" in first  # the cut and what it leaves, before it runs
    assert ledger.budget_figures(world.budgets["patent_award"]).available == Decimal("1000000.00")
    r = finance.post("/funding/budgets/", {**body, "confirmed": "1"}, follow=True)
    assert "预算已调整" in r.content.decode() and "999,000.00 元" in r.content.decode()  # core.money.format_money


@pytest.mark.parametrize("url", ["/funding/", "/funding/intake/", "/funding/approvals/", "/funding/budgets/"])
def test_lists_export_to_excel(world, url):
    subsidy_app(world)
    user = world.applicant1 if url == "/funding/" else world.admin
    r = page_client(user).get(url + "?format=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_home_page_counts_tasks(world):
    step(subsidy_app(world), "submit", world.applicant1)
    page = page_client(world.clerk).get("/").content.decode()
    assert "待受理" in page


def test_industrialization_runs_through_the_pages_with_three_experts_and_two_tranches(world):
    patent = factories.PatentFactory(owner=world.enterprise1)
    Program.objects.filter(pk=world.programs["industrialization"].pk).update(required_documents=["项目计划书"])
    me = page_client(world.applicant1)
    r = me.post("/funding/new/industrialization/", {
        "title": "巫山脆李冷链加工产业化", "requested_amount": "300000.00", "patents": patent.number,
        "total_investment": "2000000.00", "self_funding": "1200000.00", "expected_output_value": "8000000.00",
        "jobs": "25"})
    assert r.status_code == 302, r.content.decode()[:2000]
    app = Application.objects.get(title="巫山脆李冷链加工产业化")
    r = me.post(f"/funding/{app.pk}/transitions/submit/", {"confirmed": "1", "pledge_accepted": "on"}, follow=True)
    assert "项目计划书" in r.content.decode() and Application.objects.get(pk=app.pk).state == "draft"
    pdf = SimpleUploadedFile("计划书.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    me.post(f"/funding/{app.pk}/documents/", {"kind": "项目计划书", "file": pdf})
    me.post(f"/funding/{app.pk}/transitions/submit/", {"confirmed": "1", "pledge_accepted": "on"})
    clerk = page_client(world.clerk)
    clerk.post(f"/funding/{app.pk}/transitions/accept/")
    clerk.post(f"/funding/{app.pk}/transitions/send_to_review/", {"experts": ""})
    for expert, score in zip(world.experts, (88, 82, 90), strict=True):
        page_client(expert).post(f"/funding/{app.pk}/review/", {"score": str(score),
                                                               "recommended_amount": "250000.00", "comment": "可行"})
    clerk.post(f"/funding/{app.pk}/transitions/publish/")
    assert Application.objects.get(pk=app.pk).state == "publicity"
    Application.objects.filter(pk=app.pk).update(publicity_ends_on=timezone.localdate())  # the notice runs out
    finance = page_client(world.finance)
    finance.post(f"/funding/{app.pk}/transitions/approve/", {"approved_amount": "250000.00", "confirmed": "1"})
    finance.post(f"/funding/{app.pk}/transitions/disburse/", {"amount": "150000.00", "voucher_no": "IND-1", "confirmed": "1"})
    r = finance.post(f"/funding/{app.pk}/transitions/disburse/", {"amount": "100000.00", "voucher_no": "IND-2",
                                                                               "confirmed": "1"}, follow=True)
    assert "验收" in r.content.decode()  # the rest waits for the acceptance check
    report = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    me.post(f"/funding/{app.pk}/documents/", {"kind": "验收报告", "file": report})
    me.post(f"/funding/{app.pk}/transitions/submit_completion/",
            {"output_value": "3200000.00", "jobs": "18", "patents_implemented": "1", "comment": "项目已完成",
             "confirmed": "1"})
    assert Application.objects.get(pk=app.pk).state == "completion_review"
    clerk.post(f"/funding/{app.pk}/transitions/pass_completion/", {"grade": "good", "comment": "验收合格", "confirmed": "1"})
    assert Application.objects.get(pk=app.pk).state == "completed"
    finance.post(f"/funding/{app.pk}/transitions/disburse/", {"amount": "100000.00", "voucher_no": "IND-2",
                                                              "confirmed": "1"})
    app = Application.objects.get(pk=app.pk)
    assert (app.state, app.approved_amount, app.disbursed_amount) == ("disbursed", Decimal("250000.00"),
                                                                      Decimal("250000.00"))
    assert app.reviews.count() == 3
    assert ledger_violations() == []
