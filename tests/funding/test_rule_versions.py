"""Issue #14, item 1: a program's rules as dated versions citing their basis; a case is judged by
the version in force on its submission date; an ended program takes no new cases."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from applicants.errors import Conflict, Invalid, NotAllowed
from core import audit_chain
from funding import rule_versions
from funding.models import Application, RuleVersion
from tests.clients import api_client
from tests.funding.helpers import step, subsidy_app

pytestmark = pytest.mark.django_db
JUNE_30, JULY_2 = dt.date(2026, 6, 30), dt.date(2026, 7, 2)


def _on(monkeypatch, day):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


def _standard(world, cn: str, *, start: dt.date, **extra):
    return rule_versions.version_create(
        by=world.admin, program=world.programs["application_subsidy"], effective_from=start,
        changes={"subsidy_standards": {"invention": {"CN": cn, "*": "10000.00"}}},
        basis={"basis_title": "关于调整专利资助标准的通知", "basis_doc_no": "巫市监发〔2026〕3号", "basis_article": "第二条"},
        **extra,
    )


def test_cases_on_both_sides_of_a_mid_year_change_keep_the_version_of_their_submission_day(world, monkeypatch):
    _standard(world, "2000.00", start=dt.date(2026, 7, 1))
    _on(monkeypatch, JUNE_30)
    before = step(subsidy_app(world), "submit", world.applicant1)
    _on(monkeypatch, JULY_2)
    after = step(subsidy_app(world), "submit", world.applicant1)
    assert (before.requested_amount, before.rule_version.number) == (Decimal("1000.00"), 1)
    assert (after.requested_amount, after.rule_version.number) == (Decimal("2000.00"), 2)
    assert before.rules.subsidy_standard("invention", "CN") == Decimal("1000.00")


def test_a_version_written_after_submission_never_changes_the_running_case(world, monkeypatch):
    _on(monkeypatch, JULY_2)
    app = step(subsidy_app(world), "submit", world.applicant1)
    _standard(world, "3000.00", start=JULY_2)  # same day: the later-written version supersedes
    assert rule_versions.current_rules(world.programs["application_subsidy"]).subsidy_standard("invention", "CN") \
        == Decimal("3000.00")
    approved = _finish(world, app)
    assert approved.approved_amount == Decimal("1000.00")


def test_a_scheduled_version_starts_on_its_day_even_when_a_later_written_one_started_earlier(world, monkeypatch):
    _standard(world, "2000.00", start=dt.date(2027, 1, 1))
    _standard(world, "1500.00", start=dt.date(2026, 7, 1))
    program = world.programs["application_subsidy"]
    assert rule_versions.current_rules(program, dt.date(2026, 8, 1)).subsidy_standard("invention", "CN") == \
        Decimal("1500.00")
    assert rule_versions.current_rules(program, dt.date(2027, 2, 1)).subsidy_standard("invention", "CN") == \
        Decimal("2000.00")


def test_an_ended_program_refuses_new_cases_naming_the_basis_and_the_date(world, monkeypatch):
    _on(monkeypatch, JUNE_30)
    running = step(subsidy_app(world), "submit", world.applicant1)
    rule_versions.version_create(
        by=world.admin, program=world.programs["application_subsidy"], changes={}, ends=True,
        effective_from=dt.date(2026, 7, 1),
        basis={"basis_title": "关于进一步严格规范专利申请行为的通知", "basis_doc_no": "国知发保字〔2021〕1号"})
    _on(monkeypatch, JULY_2)
    with pytest.raises(Conflict) as err:
        subsidy_app(world)
    assert err.value.code == "program_ended"
    assert "2026-07-01" in err.value.message and "国知发保字〔2021〕1号" in err.value.message
    assert _finish(world, running).state == "approved"  # running cases finish


def _finish(world, app):
    """Accept, publish and approve a submitted case; its notice (5 days under its frozen rules) is
    ended by hand, as the notice tests do."""
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    Application.objects.filter(pk=app.pk).update(publicity_ends_on=timezone.localdate() - dt.timedelta(days=1))
    return step(app, "approve", world.finance)


def test_a_program_whose_last_version_expired_refuses_new_cases(world, monkeypatch):
    _standard(world, "1000.00", start=dt.date(2026, 1, 1), effective_until=dt.date(2026, 6, 30))
    _on(monkeypatch, JULY_2)
    with pytest.raises(Conflict) as err:
        subsidy_app(world)
    assert err.value.code == "program_ended" and "2026-06-30" in err.value.message


def test_the_api_refuses_an_application_to_an_ended_program_with_409(world, monkeypatch):
    rule_versions.version_create(by=world.admin, program=world.programs["application_subsidy"], changes={},
                                 ends=True, effective_from=timezone.localdate(), basis={"basis_doc_no": "X〔2026〕1号"})
    response = api_client(world.applicant1).post("/api/v1/applications/", {
        "program": "application_subsidy", "title": "资助", "patents": ["ZL201710601862.3"],
        "official_fees_paid": "5000.00"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "program_ended"


def test_the_first_version_keeps_the_rules_as_they_stood(world):
    program = world.programs["application_subsidy"]
    _standard(world, "2000.00", start=dt.date(2026, 7, 1))
    first = RuleVersion.objects.get(program=program, number=1)
    assert first.effective_from == rule_versions.BEFORE_VERSIONING and first.basis == ""
    assert first.rules["subsidy_standards"]["invention"]["CN"] == "1000.00"


def test_versions_are_listed_with_their_basis_over_the_api(world):
    _standard(world, "2000.00", start=dt.date(2026, 7, 1))
    body = api_client(world.applicant1).get("/api/v1/programs/application_subsidy/versions/").json()
    assert body["count"] == 2
    assert body["results"][1]["basis"] == "《关于调整专利资助标准的通知》（巫市监发〔2026〕3号）第二条"
    assert body["results"][1]["effective_from"] == "2026-07-01"


def test_an_admin_posts_a_version_and_others_are_refused(world):
    url = "/api/v1/programs/application_subsidy/versions/"
    body = {"effective_from": "2027-01-01", "basis_doc_no": "渝知发〔2025〕2号", "rules": {"fee_share": "0.4"}}
    assert api_client(world.finance).post(url, body, format="json").status_code == 403
    response = api_client(world.admin).post(url, body, format="json")
    assert response.status_code == 201 and response.json()["rules"]["fee_share"] == "0.4000"


@pytest.mark.parametrize("body, field", [
    ({"effective_from": "2027-02-30"}, "effective_from"),
    ({"effective_from": "1999-01-01"}, "effective_from"),
    ({"effective_from": "2027-01-01", "effective_until": "2026-01-01"}, "effective_until"),
    ({"effective_from": "2027-01-01", "rules": {"fee_share": "1.5"}}, "fee_share"),
    ({"effective_from": "2027-01-01", "rules": {"no_such_rule": 1}}, "no_such_rule"),
    ({"effective_from": "2027-01-01", "basis_url": "javascript:alert(1)"}, "basis_url"),
    ({"effective_from": "2027-01-01", "colour": "red"}, "colour"),
])
def test_a_bad_version_is_a_400_naming_the_field(world, body, field):
    response = api_client(world.admin).post("/api/v1/programs/application_subsidy/versions/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json())


def test_only_the_admin_writes_a_version(world):
    with pytest.raises(NotAllowed):
        rule_versions.version_create(by=world.clerk, program=world.programs["application_subsidy"], changes={})


def test_an_ends_version_carries_no_rule_values(world):
    with pytest.raises(Invalid):
        rule_versions.version_create(by=world.admin, program=world.programs["application_subsidy"], ends=True,
                                     changes={"fee_share": "0.4"})


def test_a_patch_is_a_new_version_from_today_and_the_detail_shows_the_version_in_force(world):
    response = api_client(world.admin).patch("/api/v1/programs/application_subsidy/", {
        "fee_share": "0.4", "basis_doc_no": "巫市监发〔2026〕9号", "reason": "年度调整"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["fee_share"] == "0.4000" and body["in_force"] is True
    assert body["version"]["number"] == 2 and body["version"]["basis_doc_no"] == "巫市监发〔2026〕9号"


def test_the_program_shows_the_rules_in_force_today_not_a_scheduled_version(world):
    _standard(world, "2000.00", start=timezone.localdate() + dt.timedelta(days=30))
    body = api_client(world.admin).get("/api/v1/programs/application_subsidy/").json()
    assert body["subsidy_standards"]["invention"]["CN"] == "1000.00" and body["version"]["number"] == 1


@pytest.mark.tampers
def test_an_sql_edit_of_a_version_is_a_finding(world):
    version = _standard(world, "2000.00", start=dt.date(2026, 7, 1))
    assert audit_chain.verify_all(audit_chain.registered()) == []
    with connection.cursor() as cursor:
        cursor.execute("UPDATE funding_ruleversion SET effective_from = %s WHERE id = %s",
                       [dt.date(2026, 1, 1), version.pk])
    assert audit_chain.verify_all(audit_chain.registered())


@pytest.mark.tampers
def test_a_case_pointed_at_another_version_in_sql_is_a_finding(world, monkeypatch):
    _on(monkeypatch, JUNE_30)
    _standard(world, "2000.00", start=dt.date(2026, 7, 1))
    app = step(subsidy_app(world), "submit", world.applicant1)
    other = RuleVersion.objects.get(program=app.program, number=2)
    Application.objects.filter(pk=app.pk).update(rule_version=other)
    assert any(f"#{app.pk}" in finding for finding in audit_chain.verify_all(audit_chain.registered()))
