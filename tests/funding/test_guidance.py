"""Applicants are guided (issue #13 item 5): a guide per program, patents picked from the registry with
their eligibility, the computed amount explained, the integrity pledge, returned cases, removing files."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applicants.errors import Conflict, Invalid, NotAllowed
from applicants.models import PatentType
from funding import documents, integrity_pledge
from funding.models import Application, Program, TransitionLog
from funding.programs import handler_for
from tests import factories
from tests.clients import api_client, page_client
from tests.funding.helpers import industrialization_app, step, subsidy_app

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]
PDF = b"%PDF-1.4\n%test\n"


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- 1. a guide per program -----------------------------------------------------------------

def test_the_subsidy_guide_writes_the_formula_out_from_the_current_rules(world):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(
        required_documents=["专利证书", "官费缴费票据"], description="资助本县授权的发明专利。")
    page = _page(page_client(world.applicant1), "/funding/programs/application_subsidy/")
    assert "资助本县授权的发明专利。" in page and "渝知发〔2020〕21号" in page  # the policy basis
    assert "专利权人" in page  # who may apply
    assert "国内发明专利每件 1,000.00 元" in page
    assert "国外发明专利（美国、日本、韩国、欧洲专利局）每件 20,000.00 元" in page
    assert "其他国家或地区每件 10,000.00 元" in page
    assert "不超过已缴官费的 50%" in page
    assert "专利证书" in page and "官费缴费票据" in page  # the materials checklist
    assert "公示 5 天" in page
    assert 'id="guide-deadline"' in page
    assert 'href="/funding/new/application_subsidy/"' in page  # 开始申报


def test_a_rule_change_shows_on_the_guide_at_once(world):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(
        subsidy_standards={"invention": {"CN": "1500.00"}}, fee_share=Decimal("0.4000"))
    page = _page(page_client(world.applicant1), "/funding/programs/application_subsidy/")
    assert "国内发明专利每件 1,500.00 元" in page and "不超过已缴官费的 40%" in page
    assert "实用新型" in page  # named as not funded


@pytest.mark.parametrize(("code", "expected"), [
    ("patent_award", ["金奖 200,000.00 元", "银奖 100,000.00 元", "优秀奖 50,000.00 元", "公示 5 天"]),
    ("industrialization", ["单个项目不超过 500,000.00 元", "不超过批准金额的 60%", "每个申请主体每年累计不超过 1,000,000.00 元"]),
    ("interest_subsidy", ["× 50%", "每个申请主体每年累计不超过 300,000.00 元"]),
    ("risk_compensation", ["× 40%", "每笔贷款补偿不超过 1,000,000.00 元", "无公示"]),
])
def test_each_programs_guide_states_its_rules(world, code, expected):
    page = _page(page_client(world.applicant1), f"/funding/programs/{code}/")
    for text in expected:
        assert text in page, text


def test_staff_read_the_guide_without_the_start_button(world):
    page = _page(page_client(world.clerk), "/funding/programs/application_subsidy/")
    assert "国内发明专利每件" in page and 'id="start-application"' not in page


def test_a_closed_program_has_no_start_button(world):
    Program.objects.filter(pk=world.programs["patent_award"].pk).update(is_open=False)
    page = _page(page_client(world.applicant1), "/funding/programs/patent_award/")
    assert 'id="start-application"' not in page


def test_the_guide_of_another_region_or_an_unknown_program_is_404(world):
    other = factories.RegionFactory(code="500238", name="巫溪县")
    stranger = factories.UserFactory(username="stranger", role="applicant", region=other,
                                     applicant=factories.EnterpriseFactory(region=other))
    assert page_client(stranger).get("/funding/programs/application_subsidy/").status_code == 404
    assert page_client(world.applicant1).get("/funding/programs/nonsense/").status_code == 404
    assert page_client().get("/funding/programs/application_subsidy/").status_code == 302  # to the login


def test_the_list_and_the_form_link_to_the_guide(world):
    me = page_client(world.applicant1)
    assert 'href="/funding/programs/application_subsidy/"' in _page(me, "/funding/")
    form = _page(me, "/funding/new/application_subsidy/")
    assert "专利资助" in form.split("</h1>")[0]  # the heading names its program
    assert 'href="/funding/programs/application_subsidy/"' in form
    app = subsidy_app(world)
    assert 'href="/funding/programs/application_subsidy/"' in _page(me, f"/funding/{app.pk}/edit/")


# --- 2. patents from the applicant's registry ---------------------------------------------

def _patents(world):
    last_year = timezone.localdate().year - 1
    owner = world.enterprise1
    return {
        "ok": factories.PatentFactory(owner=owner, title="可资助的发明"),
        "utility": factories.PatentFactory(owner=owner, title="实用新型", patent_type=PatentType.UTILITY_MODEL),
        "old": factories.PatentFactory(owner=owner, title="老专利", granted_on=datetime.date(last_year - 3, 1, 1)),
        "lapsed": factories.PatentFactory(owner=owner, title="失效专利", is_valid=False),
        "theirs": factories.PatentFactory(owner=world.enterprise2, title="别人的专利"),
    }


def test_the_subsidy_form_offers_the_applicants_patents_with_their_eligibility(world):
    patents = _patents(world)
    claimed = subsidy_app(world, patents=[factories.PatentFactory(owner=world.enterprise1, title="已申报")])
    form = _page(page_client(world.applicant1), "/funding/new/application_subsidy/")
    assert patents["ok"].number in form and patents["theirs"].number not in form
    assert "只资助已授权的发明专利" in form  # the utility model
    assert "年授权的专利" in form  # the old one
    assert "已失效" in form
    assert f"已在申请 #{claimed.pk} 中申报" in form
    assert 'type="checkbox"' in form


def test_the_picker_gives_the_reason_the_service_gives(world):
    patents = _patents(world)
    program = world.programs["application_subsidy"]
    handler = handler_for("application_subsidy")
    ok, reason = handler.patent_eligibility(program, world.enterprise1, patents["utility"])
    assert not ok
    with pytest.raises(Invalid) as refused:
        subsidy_app(world, patents=[patents["utility"]])
    assert refused.value.as_field_errors()["patents"] == [reason]
    assert handler.patent_eligibility(program, world.enterprise1, patents["ok"]) == (True, "")


def test_a_patent_ticked_in_the_picker_is_claimed(world):
    patents = _patents(world)
    me = page_client(world.applicant1)
    response = me.post("/funding/new/application_subsidy/", {
        "title": "勾选申报", "registered_patents": [patents["ok"].number], "official_fees_paid": "3000.00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    app = Application.objects.get(title="勾选申报")
    assert [c.patent_id for c in app.patent_claims.all()] == [patents["ok"].pk]
    edit = _page(me, f"/funding/{app.pk}/edit/")  # on the edit page it stays ticked (and eligible)
    ticked = edit.split(f'value="{patents["ok"].number}"')[1].split(">")[0]
    assert "checked" in ticked and "disabled" not in ticked


def test_picked_and_typed_patents_go_together_and_nothing_at_all_is_refused(world):
    patents = _patents(world)
    typed = factories.PatentFactory(owner=world.enterprise1, title="另一件")
    me = page_client(world.applicant1)
    me.post("/funding/new/industrialization/", {
        "title": "产业化", "requested_amount": "300000.00", "registered_patents": [patents["ok"].number],
        "patents": typed.number, "total_investment": "2000000.00", "self_funding": "1000000.00",
        "expected_output_value": "5000000.00", "jobs": "20"})
    app = Application.objects.get(title="产业化")
    assert {c.patent_id for c in app.patent_claims.all()} == {patents["ok"].pk, typed.pk}
    response = me.post("/funding/new/application_subsidy/", {"title": "空", "official_fees_paid": "3000.00"})
    assert response.status_code == 200 and "请至少选择或填写一件专利" in response.content.decode()


# --- 3. the amount explained ----------------------------------------------------------------

def test_the_subsidy_amount_is_explained_from_the_numbers_of_the_rule(world):
    app = subsidy_app(world, fees="3000.00")
    handler = handler_for("application_subsidy")
    lines = handler.explain(app)
    assert lines[0] == "1 件国内发明专利 × 1,000.00 元 = 1,000.00 元"
    assert lines[1] == "不超过已缴官费 3,000.00 元的 50%（1,500.00 元）"
    assert handler.rule_amount(app) == Decimal("1000.00") == app.requested_amount
    page = _page(page_client(world.applicant1), f"/funding/{app.pk}/")
    assert "1 件国内发明专利 × 1,000.00 元 = 1,000.00 元" in page


def test_the_fee_share_binds_in_the_explanation_too(world):
    foreign = factories.PatentFactory(owner=world.enterprise1, country="US")
    app = subsidy_app(world, fees="30000.00", patents=[foreign, factories.PatentFactory(owner=world.enterprise1)])
    lines = handler_for("application_subsidy").explain(app)
    assert "1 件国外发明专利（US） × 20,000.00 元 = 20,000.00 元" in lines
    assert "资助标准合计 21,000.00 元" in lines
    assert lines[-1] == "按规则计算的资助金额：15,000.00 元" and app.requested_amount == Decimal("15000.00")


def test_industrialization_explains_the_gap_cap_and_tranche(world):
    lines = handler_for("industrialization").explain(industrialization_app(world))
    assert lines[0].startswith("总投资 2,000,000.00 元 − 自筹资金 1,000,000.00 元 = 资金缺口 1,000,000.00 元")
    assert "单个项目资助不超过 500,000.00 元" in lines
    assert any("60%" in line for line in lines)


def test_the_submit_confirmation_explains_the_amount_and_shows_the_pledge(world):
    app = subsidy_app(world, fees="3000.00")
    page = page_client(world.applicant1).post(f"/funding/{app.pk}/transitions/submit/").content.decode()
    assert "1 件国内发明专利 × 1,000.00 元 = 1,000.00 元" in page
    assert "诚信承诺书" in page and 'name="pledge_accepted"' in page
    assert "3 年内不得申报巫山县知识产权专项资金项目" in page  # the program's ban_years
    assert integrity_pledge.VERSION in page


# --- 4. the integrity pledge ---------------------------------------------------------------

def test_the_page_refuses_a_submission_without_the_pledge(world):
    app = subsidy_app(world)
    response = page_client(world.applicant1).post(f"/funding/{app.pk}/transitions/submit/", {"confirmed": "1"})
    assert response.status_code == 400
    assert "请阅读并勾选诚信承诺书" in response.content.decode()
    assert Application.objects.get(pk=app.pk).state == "draft"


def test_the_page_submission_records_the_pledge_and_keeps_the_rules(world):
    app = subsidy_app(world)
    response = page_client(world.applicant1).post(f"/funding/{app.pk}/transitions/submit/",
                                                  {"confirmed": "1", "pledge_accepted": "on"})
    assert response.status_code == 302 and response["Location"] == f"/funding/{app.pk}/receipt/"
    row = TransitionLog.objects.get(application=app, transition="submit")
    assert row.detail["pledge"] == integrity_pledge.VERSION and row.detail["pledge_accepted"] is True
    assert row.detail["rules"] == Application.objects.get(pk=app.pk).frozen_rules  # what verify_audit compares


def test_the_api_stays_compatible_and_records_whether_the_pledge_was_accepted(world):
    client = api_client(world.applicant1)
    old = subsidy_app(world)
    assert client.post(f"/api/v1/applications/{old.pk}/transitions/submit/", {}, format="json").status_code == 200
    assert TransitionLog.objects.get(application=old, transition="submit").detail["pledge_accepted"] is False
    new = subsidy_app(world)
    response = client.post(f"/api/v1/applications/{new.pk}/transitions/submit/", {"pledge_accepted": True},
                           format="json")
    assert response.status_code == 200
    assert TransitionLog.objects.get(application=new, transition="submit").detail["pledge_accepted"] is True
    clerk = api_client(world.clerk)
    refused = clerk.post(f"/api/v1/applications/{new.pk}/transitions/accept/", {"pledge_accepted": True},
                         format="json")
    assert refused.status_code == 400  # only submit takes it
    assert clerk.post(f"/api/v1/applications/{new.pk}/transitions/accept/", {"comment": "受理"},
                       format="json").status_code == 200


# --- 7. returned cases, removed files -------------------------------------------------------

def _returned(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk, comment="缺少官费票据，请补正")
    return app


def test_a_returned_case_shows_why_at_the_top_and_asks_what_changed(world):
    app = _returned(world)
    page = _page(page_client(world.applicant1), f"/funding/{app.pk}/")
    assert page.index("缺少官费票据，请补正") < page.index('id="h-info"')
    assert 'id="revision-note"' in page


def test_a_resubmission_needs_the_revision_note_and_keeps_it(world):
    app = _returned(world)
    number = Application.objects.get(pk=app.pk).case_no
    me = page_client(world.applicant1)
    first = me.post(f"/funding/{app.pk}/transitions/submit/", {"comment": "已补"})
    assert "缺少官费票据，请补正" in first.content.decode() and 'name="comment"' in first.content.decode()
    refused = me.post(f"/funding/{app.pk}/transitions/submit/", {"confirmed": "1", "pledge_accepted": "on"})
    assert refused.status_code == 400 and "请填写修改说明" in refused.content.decode()
    me.post(f"/funding/{app.pk}/transitions/submit/",
            {"confirmed": "1", "pledge_accepted": "on", "comment": "已补充官费缴费票据"})
    app = Application.objects.get(pk=app.pk)
    assert app.state == "submitted" and app.case_no == number
    assert app.history.filter(transition="submit").last().comment == "已补充官费缴费票据"


def _with_document(world, app):
    return documents.document_attach(application_id=app.pk, by=world.applicant1, kind="专利证书",
                                     uploaded_file=SimpleUploadedFile("证书.pdf", PDF, content_type="application/pdf"))


def test_the_claimant_removes_a_file_from_a_draft_and_storage_forgets_it(world, django_capture_on_commit_callbacks):
    app = subsidy_app(world)
    doc = _with_document(world, app)
    name = doc.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = page_client(world.applicant1).post(f"/funding/{app.pk}/documents/{doc.pk}/remove/")
    assert response.status_code == 302
    assert not app.documents.exists() and not default_storage.exists(name)


def test_removing_files_is_the_claimants_and_only_before_submission(world):
    app = _returned(world)
    doc = _with_document(world, app)
    assert "/remove/" in _page(page_client(world.applicant1), f"/funding/{app.pk}/")
    assert page_client(world.applicant2).post(f"/funding/{app.pk}/documents/{doc.pk}/remove/").status_code == 404
    assert page_client(world.clerk).post(f"/funding/{app.pk}/documents/{doc.pk}/remove/").status_code == 403
    with pytest.raises(NotAllowed):
        documents.document_remove(by=world.clerk, application_id=app.pk, document_id=doc.pk)
    step(app, "submit", world.applicant1, comment="已补")
    with pytest.raises(Conflict):
        documents.document_remove(by=world.applicant1, application_id=app.pk, document_id=doc.pk)
    assert "/remove/" not in _page(page_client(world.applicant1), f"/funding/{app.pk}/")
    response = page_client(world.applicant1).post(f"/funding/{app.pk}/documents/{doc.pk}/remove/", follow=True)
    assert "只有草稿或退回补正的申请可以删除材料" in response.content.decode()
    assert app.documents.filter(pk=doc.pk).exists()
