"""The pages after approval (funding/views_lifecycle.py), driven as each role would: the confirmation
that repeats the amount before money or a decision moves, 追回, 公示异议, 失信, the history's money.
One behaviour per test."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applicants.models import Role
from funding import clawbacks, ledger, objections, services
from funding.models import ApplicantBar, Application, Clawback, EntryKind, Objection, TransitionLog
from funding.verify import ledger_violations
from tests import factories
from tests.clients import page_client
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_approved, to_publicity

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _html(response) -> str:
    return unescape(response.content.decode())


def _url(app, name: str) -> str:
    return f"/funding/{app.pk}/transitions/{name}/"


def _figures(world, code="application_subsidy"):
    return ledger.budget_figures(world.budgets[code])


def _approvable(world):
    no_publicity(world)
    return to_publicity(world, subsidy_app(world))


def _paid(world, voucher="PZ-1"):
    app = to_approved(world, subsidy_app(world))
    return step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": voucher})


def _project(world, amount="300000.00"):
    """An industrialization project approved at ``amount``, paid in tranches (60 % before 验收)."""
    app = industrialization_app(world, amount=amount)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal(amount))
    no_publicity(world, "industrialization")
    step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")
    return step(app, "approve", world.finance)


def _attach_report(world, app):
    services.document_attach(application_id=app.pk, by=world.applicant1, kind="验收报告",
                             uploaded_file=SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%x\n"))


def _elsewhere(role: str, username: str):
    return factories.UserFactory(username=username, role=role,
                                 region=factories.RegionFactory(code="500238", name="巫溪县"))


def _input(html: str, name: str) -> str:
    """The value of the first input called ``name``."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


# --- the confirmation of a transition ---------------------------------------------------------

def test_approving_first_repeats_the_bound_in_figures_and_capitals_and_changes_nothing(world):
    app = _approvable(world)
    before, rows = _figures(world), TransitionLog.objects.count()
    r = page_client(world.finance).post(_url(app, "approve"), {"approved_amount": ""})
    assert r.status_code == 200
    html = _html(r)
    assert "1,000.00 元" in html and "壹仟元整" in html
    assert "申请金额 1,000.00 元" in html  # the limit that binds, by its label
    assert 'name="confirmed" value="1"' in html and app.title in html and world.enterprise1.name in html
    assert Application.objects.get(pk=app.pk).state == "publicity"
    assert _figures(world) == before and TransitionLog.objects.count() == rows


def test_the_confirmed_approval_commits_the_amount_repeated(world):
    app = _approvable(world)
    before = _figures(world)
    finance = page_client(world.finance)
    html = _html(finance.post(_url(app, "approve"), {"approved_amount": ""}))
    r = finance.post(_url(app, "approve"), {"approved_amount": "", "expected_amount": _input(html, "expected_amount"),
                                            "confirmed": "1"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert (app.state, app.approved_amount) == ("approved", Decimal("1000.00"))
    assert _figures(world).committed == before.committed + Decimal("1000.00")


def test_a_typed_approval_amount_is_the_one_repeated(world):
    app = _approvable(world)
    html = _html(page_client(world.finance).post(_url(app, "approve"), {"approved_amount": "800.00"}))
    assert "800.00 元" in html and "捌佰元整" in html
    assert _input(html, "approved_amount") == "800.00"


def test_an_approval_whose_bound_moved_since_the_confirmation_asks_again(world):
    app = _approvable(world)
    r = page_client(world.finance).post(_url(app, "approve"), {"approved_amount": "", "expected_amount": "900.00",
                                                                "confirmed": "1"})
    assert r.status_code == 200 and "可批准金额已变为 1,000.00 元" in _html(r)
    assert Application.objects.get(pk=app.pk).state == "publicity"


def test_only_finance_of_the_region_reaches_the_confirmation(world):
    app = _approvable(world)
    assert page_client(world.clerk).post(_url(app, "approve"), {"approved_amount": ""}).status_code == 403
    elsewhere = _elsewhere(Role.FINANCE, "finance-wx")
    assert page_client(elsewhere).post(_url(app, "approve"), {"approved_amount": ""}).status_code == 404
    assert Application.objects.get(pk=app.pk).state == "publicity"


def test_disbursing_first_repeats_the_amount_and_voucher_and_pays_nothing(world):
    app = to_approved(world, subsidy_app(world))
    before = _figures(world)
    r = page_client(world.finance).post(_url(app, "disburse"), {"amount": "1000.00", "voucher_no": "PZ-7"})
    html = _html(r)
    assert r.status_code == 200 and "1,000.00 元" in html and "壹仟元整" in html
    assert _input(html, "voucher_no") == "PZ-7"
    assert _figures(world) == before
    assert not app.ledger_entries.filter(kind=EntryKind.PAYMENT).exists()
    assert Application.objects.get(pk=app.pk).state == "approved"


def test_the_confirmed_disbursement_pays(world):
    app = to_approved(world, subsidy_app(world))
    r = page_client(world.finance).post(_url(app, "disburse"), {"amount": "1000.00", "voucher_no": "PZ-7",
                                                                 "confirmed": "1"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert (app.state, app.disbursed_amount) == ("disbursed", Decimal("1000.00"))
    assert app.ledger_entries.get(kind=EntryKind.PAYMENT).voucher_no == "PZ-7"
    assert ledger_violations() == []


def test_a_refused_confirmation_keeps_what_was_typed(world):
    _paid(world, voucher="PZ-1")
    other = to_approved(world, subsidy_app(world))
    r = page_client(world.finance).post(_url(other, "disburse"), {"amount": "999.99", "voucher_no": "PZ-1",
                                                                   "confirmed": "1"})
    html = _html(r)
    assert r.status_code == 200 and "凭证号 PZ-1 已使用" in html  # the service's 409, as a message
    form = html[html.index('id="action-disburse"'):]
    assert _input(form, "voucher_no") == "PZ-1" and _input(form, "amount") == "999.99"
    assert Application.objects.get(pk=other.pk).state == "approved"


def test_going_back_from_the_confirmation_keeps_what_was_typed(world):
    app = to_approved(world, subsidy_app(world))
    finance = page_client(world.finance)
    html = _html(finance.post(_url(app, "disburse"), {"amount": "500.00", "voucher_no": "PZ-8"}))
    back = re.search(r'href="([^"]*)"[^>]*>Go back and change|href="([^"]*)"[^>]*>返回修改', html)
    url = unescape(back.group(1) or back.group(2))
    form = _html(finance.get(url))
    form = form[form.index('id="action-disburse"'):]
    assert _input(form, "voucher_no") == "PZ-8" and _input(form, "amount") == "500.00"


def test_terminating_first_repeats_what_is_released_and_what_stays_paid(world):
    app = _project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "IND-1"})
    r = page_client(world.finance).post(_url(app, "terminate"), {"comment": "企业停产"})
    html = _html(r)
    assert r.status_code == 200
    assert "120,000.00 元" in html and "壹拾贰万元整" in html  # released: approved − paid
    assert "180,000.00 元" in html and "壹拾捌万元整" in html  # stays paid
    assert _input(html, "comment") == "企业停产"
    assert Application.objects.get(pk=app.pk).state == "approved"
    assert ledger.application_balances(app.pk)["committed"] == Decimal("120000.00")


def test_the_confirmed_termination_releases_the_rest(world):
    app = _project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "IND-1"})
    r = page_client(world.finance).post(_url(app, "terminate"), {"comment": "企业停产", "confirmed": "1"})
    assert r.status_code == 302
    assert Application.objects.get(pk=app.pk).state == "terminated"
    assert ledger.application_balances(app.pk) == {"committed": Decimal("0.00"), "paid": Decimal("180000.00")}


def test_a_missing_comment_is_said_before_the_confirmation(world):
    app = _project(world)
    r = page_client(world.finance).post(_url(app, "terminate"), {"comment": ""})
    assert r.status_code == 200 and "请填写意见" in _html(r) and 'name="confirmed"' not in _html(r)


def test_a_step_without_confirmation_runs_at_once(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    assert page_client(world.clerk).post(_url(app, "accept")).status_code == 302
    assert Application.objects.get(pk=app.pk).state == "accepted"


# --- history and completion -------------------------------------------------------------------

def test_the_history_shows_amounts_vouchers_and_the_grade(world):
    app = _project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "IND-1"})
    _attach_report(world, app)
    step(app, "submit_completion", world.applicant1,
         data={"outcomes": {"output_value": "4800000.00", "jobs": 12, "patents_implemented": 1}})
    step(app, "pass_completion", world.clerk, data={"grade": "good"})
    html = _html(page_client(world.applicant1).get(f"/funding/{app.pk}/"))
    start = html.index('id="h-history"')
    history = html[start:html.index("</section>", start)]
    assert "300,000.00 元" in history and "180,000.00 元" in history and "IND-1" in history and "良好" in history


def test_the_claimant_is_told_to_attach_the_completion_report_first(world):
    app = _project(world)
    page = page_client(world.applicant1)
    html = _html(page.get(f"/funding/{app.pk}/"))
    assert 'id="h-completion"' in html and "验收报告" in html and 'id="action-submit_completion"' not in html
    _attach_report(world, app)
    html = _html(page.get(f"/funding/{app.pk}/"))
    assert 'id="h-completion"' not in html and 'id="completion-report-note"' in html


def test_returning_a_completion_needs_its_comment(world):
    app = _project(world)
    _attach_report(world, app)
    step(app, "submit_completion", world.applicant1,
         data={"outcomes": {"output_value": "4800000.00", "jobs": 12, "patents_implemented": 1}})
    r = page_client(world.clerk).post(_url(app, "return_completion"), {"comment": ""})
    assert "请填写意见" in _html(r)
    assert Application.objects.get(pk=app.pk).state == "completion_review"


# --- 追回 ---------------------------------------------------------------------------------------

CLAW = {"amount": "400.00", "date": TODAY.isoformat(), "voucher_no": "ZH-1", "reason": "伪造缴费凭证", "fraud": "on"}


def test_the_clawback_form_is_prefilled_with_what_is_paid_and_not_recovered(world):
    app = _paid(world)
    html = _html(page_client(world.finance).get(f"/funding/{app.pk}/clawback/"))
    assert _input(html, "amount") == "1000.00" and _input(html, "date") == TODAY.isoformat()
    assert 'id="fraud-warning"' in html
    detail = _html(page_client(world.finance).get(f"/funding/{app.pk}/"))
    assert f"/funding/{app.pk}/clawback/" in detail


def test_a_clawback_is_confirmed_first_with_the_amount_and_the_bars_end(world):
    app = _paid(world)
    before = _figures(world)
    r = page_client(world.finance).post(f"/funding/{app.pk}/clawback/", CLAW)
    html = _html(r)
    assert r.status_code == 200 and "400.00 元" in html and "肆佰元整" in html
    assert clawbacks.bar_end(app, TODAY).isoformat() in html
    assert not Clawback.objects.exists() and not ApplicantBar.objects.exists()
    assert _figures(world) == before and Application.objects.get(pk=app.pk).clawed_back_amount == 0


def test_the_confirmed_clawback_is_recorded_and_listed(world):
    app = _paid(world)
    finance = page_client(world.finance)
    r = finance.post(f"/funding/{app.pk}/clawback/", {**CLAW, "confirmed": "1"})
    assert r.status_code == 302
    claw = Clawback.objects.get()
    assert (claw.amount, claw.voucher_no, claw.fraud) == (Decimal("400.00"), "ZH-1", True)
    assert ApplicantBar.objects.get().until == clawbacks.bar_end(app, TODAY)
    html = _html(finance.get(f"/funding/{app.pk}/"))
    assert 'id="h-clawbacks"' in html and "ZH-1" in html and "400.00 元" in html
    assert ledger_violations() == []


def test_a_refused_clawback_keeps_the_voucher(world):
    app = _paid(world)
    r = page_client(world.finance).post(f"/funding/{app.pk}/clawback/", {**CLAW, "voucher_no": "PZ-1",
                                                                          "confirmed": "1"})
    html = _html(r)
    assert r.status_code == 200 and "凭证号 PZ-1 已使用" in html and _input(html, "voucher_no") == "PZ-1"
    assert not Clawback.objects.exists()


def test_the_clawback_page_is_for_finance_of_the_region(world):
    app = _paid(world)
    assert page_client(world.clerk).get(f"/funding/{app.pk}/clawback/").status_code == 403
    assert page_client(world.applicant1).post(f"/funding/{app.pk}/clawback/",
                                              {**CLAW, "confirmed": "1"}).status_code == 403
    elsewhere = _elsewhere(Role.FINANCE, "finance-wx")
    assert page_client(elsewhere).get(f"/funding/{app.pk}/clawback/").status_code == 404
    assert not Clawback.objects.exists()


# --- 失信 ---------------------------------------------------------------------------------------

def _barred(world):
    app = _paid(world)
    clawbacks.clawback_record(by=world.finance, application_id=app.pk, amount="400.00", date=TODAY,
                              voucher_no="ZH-1", reason="伪造缴费凭证", fraud=True)
    return app, ApplicantBar.objects.get()


def test_the_bar_shows_where_staff_see_the_applicant(world):
    app, bar = _barred(world)
    clerk = page_client(world.clerk)
    standing = _html(clerk.get(f"/funding/applicants/{world.enterprise1.pk}/"))
    assert bar.until.isoformat() in standing and "伪造缴费凭证" in standing
    detail = _html(clerk.get(f"/funding/{app.pk}/"))
    assert 'id="applicant-bar"' in detail and bar.until.isoformat() in detail
    assert f"/funding/applicants/{world.enterprise1.pk}/" in _html(clerk.get("/applicants/registry/"))
    assert f"/funding/applicants/{world.enterprise1.pk}/" in _html(clerk.get("/funding/"))
    assert 'id="applicant-bar"' not in _html(page_client(world.applicant1).get(f"/funding/{app.pk}/"))


def test_the_applicant_page_is_for_staff_of_the_region(world):
    url = f"/funding/applicants/{world.enterprise1.pk}/"
    assert page_client(world.applicant1).get(url).status_code == 403
    assert page_client(world.experts[0]).get(url).status_code == 403
    assert page_client(_elsewhere(Role.IP_OFFICE, "clerk-wx")).get(url).status_code == 404


def test_the_admin_lifts_a_bar_with_a_reason_after_confirming(world):
    _app, bar = _barred(world)
    admin = page_client(world.admin)
    url = f"/funding/applicants/{world.enterprise1.pk}/lift-bar/"
    r = admin.post(url, {"bar": bar.pk, "reason": "行政复议撤销原处理决定"})
    assert r.status_code == 200 and 'name="confirmed"' in _html(r) and bar.until.isoformat() in _html(r)
    assert ApplicantBar.objects.get().lifted_at is None
    assert admin.post(url, {"bar": bar.pk, "reason": "行政复议撤销原处理决定", "confirmed": "1"}).status_code == 302
    bar.refresh_from_db()
    assert (bar.lifted_by, bar.lift_reason) == (world.admin, "行政复议撤销原处理决定")
    assert clawbacks.active_bar(world.enterprise1.pk, world.region.pk) is None


def test_a_bar_is_not_lifted_without_a_reason_nor_by_anyone_but_the_admin(world):
    _app, bar = _barred(world)
    url = f"/funding/applicants/{world.enterprise1.pk}/lift-bar/"
    r = page_client(world.admin).post(url, {"bar": bar.pk, "reason": "  ", "confirmed": "1"})
    assert r.status_code == 200 and f'id="lift-{bar.pk}-errors"' in _html(r)
    assert page_client(world.finance).post(url, {"bar": bar.pk, "reason": "复议撤销", "confirmed": "1"}).status_code == 403
    assert ApplicantBar.objects.get().lifted_at is None


# --- 公示异议 -------------------------------------------------------------------------------------

REASON = "该项目申报的专利实际由他人发明，申报材料与事实不符。"


def _objected(world, app=None):
    app = app or _approvable(world)
    objection = objections.objection_submit(application_id=app.pk, name="王五", phone="023-57681234", reason=REASON,
                                            address="203.0.113.7")
    return app, objection


def _resolve(app) -> str:
    return f"/funding/{app.pk}/objections/resolve/"


def test_staff_see_the_objections_and_the_claimant_does_not(world):
    app, _objection = _objected(world)
    assert "023-57681234" in _html(page_client(world.clerk).get(f"/funding/{app.pk}/"))
    assert "023-57681234" not in _html(page_client(world.applicant1).get(f"/funding/{app.pk}/"))


def test_dismissing_an_objection_from_the_page(world):
    app, objection = _objected(world)
    clerk = page_client(world.clerk)
    body = {"objection": objection.pk, "decision": "dismissed", "comment": "经核查，发明人署名无误"}
    r = clerk.post(_resolve(app), body)
    assert r.status_code == 200 and "公示继续" in _html(r)
    assert Objection.objects.get().resolved_at is None
    assert clerk.post(_resolve(app), {**body, "confirmed": "1"}).status_code == 302
    objection.refresh_from_db()
    assert (objection.upheld, objection.comment, objection.resolved_by) == (False, body["comment"], world.clerk)
    assert Application.objects.get(pk=app.pk).state == "publicity"


def test_upholding_an_objection_from_the_page(world):
    app, objection = _objected(world)
    body = {"objection": objection.pk, "decision": "upheld", "comment": "异议成立，重新审查", "confirmed": "1"}
    assert page_client(world.clerk).post(_resolve(app), body).status_code == 302
    assert Objection.objects.get().upheld is True
    assert Application.objects.get(pk=app.pk).state == "accepted"


def test_an_objection_is_not_resolved_without_a_comment_nor_by_finance(world):
    app, objection = _objected(world)
    body = {"objection": objection.pk, "decision": "dismissed", "comment": "", "confirmed": "1"}
    r = page_client(world.clerk).post(_resolve(app), body, follow=True)
    assert "处理意见" in _html(r)
    assert page_client(world.finance).post(_resolve(app), {**body, "comment": "驳回"}).status_code == 403
    assert page_client(_elsewhere(Role.IP_OFFICE, "clerk-wx")).post(_resolve(app), body).status_code == 404
    assert Objection.objects.get().resolved_at is None
