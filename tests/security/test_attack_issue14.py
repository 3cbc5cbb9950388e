"""An attack on issue #14 (dated rule versions, 免申即享, the interest formula, the risk pool, the monthly
pledge statistics), written as its users would try it.

Naming: ``test_defect_*`` shows a defect and fails until it is fixed (the docstring says how to
reproduce it and what goes wrong); ``test_holds_*`` proves a defence that held under the attack.
"""

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applicants.errors import Conflict, Invalid, NotAllowed, NotFound
from applicants.models import Role
from core import audit_chain
from funding import rule_versions
from funding import services as funding
from funding.models import Application, RuleVersion
from funding.program_rules import program_update
from funding.verify import ledger_violations
from funding.workflow import ProgramCode, State
from pledges import pool, services
from pledges.auto_subsidy import auto_subsidy_run
from pledges.models import InterestSubsidyLoan, LoanPrimeRate, PledgeLoan, RiskPoolShare
from tests import factories
from tests.clients import api_client, page_client
from tests.factories import build_world, ensure_role_groups
from tests.pledges.helpers import defaulted, loan_body, pay_claim, register
from tests.pledges.test_programs import LAST_YEAR, _loan_with_interest, _step, _subsidy_application
from tests.pledges.test_risk_pool import make_pool

pytestmark = pytest.mark.django_db
THIS_YEAR = timezone.localdate().year
IS = ProgramCode.INTEREST_SUBSIDY


def _findings() -> list[str]:
    return [*audit_chain.verify_all(audit_chain.registered()), *ledger_violations()]


def _rules(world, **changes):
    program_update(by=world.admin, code=IS, changes=changes)
    return world.programs[IS]


def _run(world, year=LAST_YEAR, by=None):
    return auto_subsidy_run(by=by or world.fincenter, program=world.programs[IS], year=year)


def _return(app, by):
    return funding.application_transition(application_id=app.pk, name="return_for_revision", by=by, comment="核对")


def _lpr(month: str, one_year: str) -> LoanPrimeRate:
    return LoanPrimeRate.objects.create(month=dt.date.fromisoformat(f"{month}-01"), one_year=Decimal(one_year),
                                        five_year=Decimal("0.0395"))


def _other_region_world():
    """A second county with its own programs and a fin_center, bank and expert."""
    region = factories.RegionFactory(code="500238", name="巫溪县")
    for code in ProgramCode.values:
        factories.ProgramFactory(region=region, code=code)
    return {
        "region": region,
        "fincenter": factories.UserFactory(username="fincenter-wx", role=Role.FIN_CENTER, region=region),
        "clerk": factories.UserFactory(username="clerk-wx", role=Role.IP_OFFICE, region=region),
        "finance": factories.UserFactory(username="finance-wx", role=Role.FINANCE, region=region),
    }


# =============================================================================================
# 1. Rule versions
# =============================================================================================

def test_holds_a_backdated_version_does_not_change_a_submitted_case(world):
    """The admin writes a version effective from last year that doubles the ratio: the case submitted
    before keeps its frozen rules, its version and its amount."""
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    app = _subsidy_application(world, [loan])
    _step(app, "submit", world.applicant1)
    before = Application.objects.get(pk=app.pk)
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "1.0"},
                                 effective_from=f"{LAST_YEAR}-01-01")
    after = Application.objects.get(pk=app.pk)
    assert after.frozen_rules == before.frozen_rules and after.rule_version_id == before.rule_version_id
    assert after.rules.interest_ratio == Decimal("0.5000") and after.requested_amount == Decimal("5000.00")
    from funding import bounds  # noqa: PLC0415
    assert bounds.preview(after).amount == Decimal("5000.00")


def test_holds_an_ended_program_refuses_new_cases_but_a_returned_case_finishes(world):
    loan1 = _loan_with_interest(world, world.enterprise1, "10000.00")
    loan2 = _loan_with_interest(world, world.enterprise1, "10000.00")
    app = _subsidy_application(world, [loan1])
    _step(app, "submit", world.applicant1)
    _return(app, world.fincenter)
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={}, ends=True,
                                 basis={"basis_title": "关于停止执行的通知", "basis_doc_no": "巫知发〔2026〕1号"})
    with pytest.raises(Conflict) as err:
        _subsidy_application(world, [loan2])
    assert err.value.code == "program_ended"
    response = api_client(world.applicant1).post("/api/v1/applications/", {
        "program": IS, "title": "贴息", "loans": [loan2.pk], "year": LAST_YEAR}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "program_ended"
    assert _step(app, "submit", world.applicant1).state == State.SUBMITTED  # the running case finishes


def test_holds_a_draft_opened_before_the_end_cannot_be_submitted_after_it(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    app = _subsidy_application(world, [loan])
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={}, ends=True)
    with pytest.raises(Conflict) as err:
        _step(app, "submit", world.applicant1)
    assert err.value.code == "program_ended"


@pytest.mark.tampers
def test_holds_sql_edits_of_a_version_or_a_cases_version_are_found(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "0.6"},
                                 effective_from=f"{LAST_YEAR}-01-01")
    app = _subsidy_application(world, [loan])
    _step(app, "submit", world.applicant1)
    app.refresh_from_db()
    assert app.rule_version_id is not None and _findings() == []
    version = RuleVersion.objects.get(pk=app.rule_version_id)
    with connection.cursor() as cur:  # a version's rules
        cur.execute("UPDATE funding_ruleversion SET rules = %s WHERE id = %s",
                    ['{"interest_ratio": "1.0000"}', version.pk])
    assert _findings()
    with connection.cursor() as cur:  # put it back, then point the case at version 1
        cur.execute("UPDATE funding_ruleversion SET rules = %s WHERE id = %s",
                    [json.dumps(version.rules), version.pk])
    assert _findings() == []
    first = RuleVersion.objects.get(program=world.programs[IS], number=1)
    Application.objects.filter(pk=app.pk).update(rule_version=first)
    assert any("规则版本" in f for f in _findings())
    Application.objects.filter(pk=app.pk).update(rule_version=None)
    assert any("规则版本" in f for f in _findings())


@pytest.mark.tampers
def test_holds_a_version_inserted_around_the_service_is_found(world):
    RuleVersion.objects.create(program=world.programs[IS], number=7, effective_from=dt.date(THIS_YEAR, 1, 1),
                               rules={"interest_ratio": "1.0000"})
    assert _findings()


@pytest.mark.parametrize("body", [
    {"effective_from": "0001-01-01", "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "9999-12-31", "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "2026-02-30", "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "2026-01-01\x00", "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "2026-01-01", "basis_title": "通\x00知", "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "2026-01-01", "basis_url": "javascript:alert(1)"},
    {"effective_from": "2026-01-01", "rules": {"interest_ratio": 1e308}},
    {"effective_from": "2026-01-01", "rules": {"interest_ratio": "1" * 5000}},
    {"effective_from": "2026-01-01", "rules": {"max_years_per_loan": 10 ** 30}},
    {"effective_from": "2026-01-01", "rules": {"auto_subsidy_on": "02-29"}},
    {"effective_from": "2026-01-01", "rules": {"auto_subsidy_mode": ["direct"]}},
    {"effective_from": "2026-01-01", "rules": {"cap_per_applicant_year": "-1"}},
    {"effective_from": "2026-01-01", "rules": {"no_such_rule": 1}},
    {"effective_from": "2026-01-01", "no_such_field": 1},
    {"effective_from": "2026-01-01", "ends": True, "rules": {"interest_ratio": "0.6"}},
    {"effective_from": "2026-03-01", "effective_until": "2026-02-01"},
    {"effective_from": "2026-01-01", "ends": "maybe"},
    {"effective_from": "2026-01-01", "rules": "interest_ratio=1"},
])
def test_holds_odd_version_bodies_are_400_never_500(world, body):
    response = api_client(world.admin).post(f"/api/v1/programs/{IS}/versions/", body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert RuleVersion.objects.count() == 0


@pytest.mark.parametrize("raw", [
    '{"effective_from": "2026-01-01", "basis_title": "\\ud800", "rules": {"interest_ratio": "0.6"}}',
    '{"effective_from": "\\udfff2026-01-01", "rules": {"interest_ratio": "0.6"}}',
    '{"effective_from": "2026-01-01", "rules": {"interest_ratio": "0.6", "auto_subsidy_on": "\\ud83d"}}',
    '{"effective_from": "2026-01-01", "rules": {"interest_ratio": 1e999}}',
    '{"effective_from": "2026-01-01", "rules": {"interest_ratio": NaN}}',
])
def test_holds_lone_surrogates_and_non_finite_numbers_in_version_bodies_are_400(world, raw):
    client = api_client(world.admin, raise_request_exception=False)
    response = client.post(f"/api/v1/programs/{IS}/versions/", data=raw, content_type="application/json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert RuleVersion.objects.count() == 0


def test_no_longer_minor_version_dates_accept_forms_other_than_yyyy_mm_dd(world):
    """``rule_versions._date`` promises YYYY-MM-DD but parses with ``date.fromisoformat`` (Python
    3.11+: basic and ISO-week forms too) after ``str()``: a JSON number ``20260101`` or the string
    ``"2026W011"`` (= 2025-12-29, a different year!) become a version's effective date without a word
    (funding/rule_versions.py _date). The rest of the system refuses these (pledges.validation.parse_date)."""
    client = api_client(world.admin)
    for value in (20260101, "2026W011"):
        response = client.post(f"/api/v1/programs/{IS}/versions/",
                               {"effective_from": value, "rules": {"interest_ratio": "0.6"}}, format="json")
        assert response.status_code == 400, (value, response.status_code, response.json().get("effective_from"))


def test_holds_only_the_admin_writes_versions_and_only_of_its_region(world):
    other = _other_region_world()
    for user in (world.fincenter, world.finance, world.clerk, world.applicant1, world.bank1_user):
        response = api_client(user).post(f"/api/v1/programs/{IS}/versions/",
                                         {"effective_from": f"{THIS_YEAR}-01-01", "rules": {"interest_ratio": "1"}},
                                         format="json")
        assert response.status_code == 403
    admin2 = factories.UserFactory(username="admin-wx", role=Role.ADMIN, region=other["region"])
    api_client(admin2).post(f"/api/v1/programs/{IS}/versions/",
                            {"effective_from": f"{THIS_YEAR}-01-01", "rules": {"interest_ratio": "1"}}, format="json")
    assert not RuleVersion.objects.filter(program=world.programs[IS]).exists()


def test_no_longer_versions_api_500s_for_a_national_admin_when_two_counties_exist(world):
    """GET/POST /api/v1/programs/{code}/versions/ as a superuser without a region, once a second
    county exists: ``get_object_or_404(programs_for(user), code=code)`` matches one program per county
    and raises MultipleObjectsReturned — a 500 (api/views/funding.py ProgramVersions.get/post; the
    same pattern as ProgramDetail)."""
    _other_region_world()
    national = factories.UserFactory(username="national", region=None, is_staff=True, is_superuser=True)
    client = api_client(national, raise_request_exception=False)
    response = client.get(f"/api/v1/programs/{IS}/versions/")
    assert response.status_code in (200, 400, 404), response.status_code
    response = client.post(f"/api/v1/programs/{IS}/versions/",
                           {"effective_from": f"{THIS_YEAR}-01-01", "rules": {"interest_ratio": "0.6"}}, format="json")
    assert response.status_code in (201, 400, 403, 404), response.status_code


def test_no_longer_any_dated_rule_write_crashes_on_the_29th_of_february(world, monkeypatch):
    """On 29 February (2028, 2032 …) every version write with a date — the API's POST versions,
    PATCH /programs/{code}/ with ``effective_from``, the admin form — is a 500: ``rule_versions._date``
    computes its upper bound with ``today.replace(year=today.year + 10)``, a ValueError on a leap day
    (funding/rule_versions.py, ``_date``)."""
    leap = dt.date(2028, 2, 29)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: leap)
    client = api_client(world.admin, raise_request_exception=False)
    response = client.post(f"/api/v1/programs/{IS}/versions/",
                           {"effective_from": "2028-03-01", "rules": {"interest_ratio": "0.6"}}, format="json")
    assert response.status_code in (201, 400), response.status_code


def test_holds_versions_api_is_region_scoped_for_readers(world):
    other = _other_region_world()
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "0.6"},
                                 basis={"basis_title": "巫山县内部文件"})
    response = api_client(other["fincenter"]).get(f"/api/v1/programs/{IS}/versions/")
    assert response.status_code == 200
    assert "巫山县内部文件" not in response.content.decode()


@pytest.mark.parametrize("version", [
    {"effective_from": "1999-12-31"},
    {"effective_from": f"{THIS_YEAR}-03-01", "effective_until": f"{THIS_YEAR}-02-01"},
    {"basis_url": "ftp://example.com/notice.pdf"},
])
def test_no_longer_a_bad_version_date_or_basis_in_the_admin_form_is_a_500(world, version):
    """In /admin/funding/program/<id>/change/ the version fields (effective_from, effective_until,
    basis_*) are plain form fields; they are only checked by ``program_update`` inside
    ``ProgramAdmin.save_model``, where an ``Invalid`` is no longer a form error: the admin sees a 500
    instead of the message (funding/admin.py ProgramAdmin.save_model / ProgramForm.clean)."""
    from django.urls import reverse  # noqa: PLC0415

    from tests.funding.test_admin import _program_form  # noqa: PLC0415

    program = world.programs[IS]
    client = page_client(world.admin, raise_request_exception=False)
    response = client.post(reverse("admin:funding_program_change", args=[program.pk]),
                           _program_form(program, interest_ratio="60%", **version))
    assert response.status_code == 200, response.status_code  # the form again, with the error
    assert not RuleVersion.objects.exists()


def test_holds_a_good_version_through_the_admin_form_is_saved(world):
    from django.urls import reverse  # noqa: PLC0415

    from tests.funding.test_admin import _program_form  # noqa: PLC0415

    program = world.programs[IS]
    response = page_client(world.admin).post(
        reverse("admin:funding_program_change", args=[program.pk]),
        _program_form(program, interest_ratio="60%", effective_from=f"{THIS_YEAR}-01-01", basis_title="通知",
                      basis_doc_no="巫知发〔2026〕1号"))
    assert response.status_code == 302
    assert RuleVersion.objects.filter(program=program, basis_doc_no="巫知发〔2026〕1号").exists()


def test_no_longer_an_ended_risk_program_stops_banks_reporting_defaults(world):
    """The risk-compensation program gets an ``ends`` version. A covered loan registered before then
    defaults: ``loan_default`` opens the bank's claim through ``application_create``, which now
    refuses with 409 program_ended — and the whole default is rolled back: the loan stays *active*,
    the default is not on record, the statistics and the pool never see it (pledges/services.py
    loan_default; funding/services.py application_create → require_in_force). A default is a fact;
    at most the compensation claim should be refused."""
    loan = register(world.bank1_user)
    rule_versions.version_create(by=world.admin, program=world.programs[ProgramCode.RISK_COMPENSATION],
                                 changes={}, ends=True)
    response = api_client(world.bank1_user).post(f"/api/v1/pledges/{loan.pk}/default/", {
        "date": timezone.localdate().isoformat(), "outstanding_principal": "1000000.00"}, format="json")
    loan.refresh_from_db()
    assert loan.status == "defaulted", (response.status_code, response.json().get("code"))


# =============================================================================================
# 2. 免申即享: who acts as the claimant, who sees the drafts
# =============================================================================================

def test_no_longer_switching_to_direct_lets_the_fin_center_submit_drafts_meant_for_the_enterprise(world):
    """A confirm-mode run opens a draft for the enterprise to confirm (and sign the 承诺书). The admin
    then writes a version with ``auto_subsidy_mode=direct``: ``is_claimant`` reads the mode from
    ``application.rules`` — for a draft the rules in force *today* — so the fin_center becomes the
    claimant of the enterprise's existing drafts and submits them (funding/workflow.py is_claimant).
    The mode a case was opened under should be fixed on the case (the run's mode)."""
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="confirm")
    _run(world)
    app = Application.objects.get(auto_opened=True)
    _rules(world, auto_subsidy_mode="direct")
    with pytest.raises(NotAllowed):
        _step(app, "submit", world.fincenter, pledge_accepted=True)


def test_no_longer_direct_mode_fin_center_can_withdraw_the_enterprises_case(world):
    """Direct mode: the run submits for the fin_center; the fin_center returns the case to itself
    for correction, and is then the claimant: it can *withdraw* the enterprise's case (the loan-year is
    freed, the enterprise never asked), edit its loans and year, and remove its documents — more than
    taking the case directly (funding/workflow.py is_claimant grants every CLAIMANT step)."""
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="direct")
    _run(world)
    app = Application.objects.get(auto_opened=True)
    _return(app, world.fincenter)
    with pytest.raises(NotAllowed):
        funding.application_transition(application_id=app.pk, name="withdraw", by=world.fincenter)


def test_holds_direct_mode_gives_no_claimant_power_over_hand_made_cases_or_other_regions(world):
    other = _other_region_world()
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="direct")
    manual = _subsidy_application(world, [loan])  # the enterprise's own draft
    with pytest.raises((NotAllowed, NotFound)):
        _step(manual, "submit", world.fincenter)
    with pytest.raises((NotAllowed, NotFound)):
        funding.application_update_draft(application_id=manual.pk, by=world.fincenter, title="改")
    _loan_with_interest(world, world.enterprise2, "10000.00")
    _run(world)
    auto = Application.objects.get(auto_opened=True)
    _return(auto, world.fincenter)
    for user in (other["fincenter"], world.clerk, world.finance, world.bank1_user):
        with pytest.raises(Exception) as err:  # NotAllowed or NotFound
            _step(auto, "submit", user)
        assert type(err.value).__name__ in ("NotAllowed", "NotFound")


def test_holds_the_fin_center_cannot_open_a_case_for_an_enterprise_over_the_api(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    response = api_client(world.fincenter).post("/api/v1/applications/", {
        "program": IS, "title": "贴息", "loans": [loan.pk], "year": LAST_YEAR, "auto_opened": True,
        "applicant": world.enterprise1.pk}, format="json")
    assert response.status_code in (400, 403)
    assert not Application.objects.exists()


def test_holds_auto_opened_drafts_stay_hidden_from_experts_banks_other_regions_and_other_firms(world):
    other = _other_region_world()
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="confirm")
    _run(world)
    app = Application.objects.get(auto_opened=True)
    manual_loan = _loan_with_interest(world, world.enterprise2, "10000.00")
    manual = _subsidy_application(world, [manual_loan], user=world.applicant2)  # a private draft
    for user in (*world.experts, world.bank1_user, world.bank2_user, world.applicant2, other["fincenter"],
                 other["clerk"], other["finance"]):
        client = api_client(user)
        assert client.get(f"/api/v1/applications/{app.pk}/").status_code == 404, user.username
        assert str(app.pk) not in [str(r["id"]) for r in client.get("/api/v1/applications/").json()["results"]]
        assert page_client(user).get(f"/funding/{app.pk}/").status_code in (403, 404)
    assert api_client(world.fincenter).get(f"/api/v1/applications/{manual.pk}/").status_code == 404
    assert api_client(world.applicant1).get(f"/api/v1/applications/{app.pk}/").status_code == 200
    assert app.interest_claim.claim_loans.get().loan_id == loan.pk


def test_holds_the_run_is_for_the_regions_fin_center_or_admin_only(world):
    other = _other_region_world()
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="confirm")
    for user in (other["fincenter"], world.clerk, world.finance, world.applicant1, world.bank1_user):
        with pytest.raises(NotAllowed):
            _run(world, by=user)
    assert not Application.objects.exists()


def test_holds_a_run_and_a_hand_claim_never_hold_one_loan_year_twice(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="confirm")
    _run(world)
    with pytest.raises(Conflict):
        _subsidy_application(world, [loan])
    auto = Application.objects.get(auto_opened=True)
    _step(auto, "withdraw", world.applicant1)
    manual = _subsidy_application(world, [loan])
    assert _run(world).created == 0
    assert InterestSubsidyLoan.objects.filter(loan=loan, year=LAST_YEAR, live=True).get().claim.application_id \
        == manual.pk


# =============================================================================================
# 3. The interest formula and what the banks report
# =============================================================================================

def test_no_longer_lpr_ceiling_is_bypassed_by_interest_above_the_contract_rate(world):
    """Rule ``lpr_markup_cap=0.40`` (rates above LPR×140 % count at LPR×140 %). The bank reports a
    contract rate of 3.85 % (under the ceiling 4.83 %) but interest paid of 200,000 on a 1,000,000
    loan running 10 months — an effective rate near 24 %. ``_paid_counted`` compares only the
    *contract* rate with the ceiling, so all 200,000 is counted and the subsidy is 100,000 instead of
    at most LPR×140 % × principal × days ÷ 365 × 50 % ≈ 20,247 (pledges/interest.py _paid_counted).
    Counted interest on the paid basis should also be bounded by the ceiling applied to the balance."""
    _lpr(f"{LAST_YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    start_date=f"{LAST_YEAR}-03-01", principal="1000000.00", annual_rate="0.0385")
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "200000.00"})
    app = _subsidy_application(world, [loan])
    days = (dt.date(LAST_YEAR + 1, 1, 1) - dt.date(LAST_YEAR, 3, 1)).days
    ceiling = Decimal("1000000.00") * Decimal("0.0345") * Decimal("1.40") * days / 365 * Decimal("0.5")
    assert app.requested_amount <= ceiling.quantize(Decimal("0.01")), app.requested_amount


@pytest.mark.parametrize("total", ["0", "-1", "0.001", "1" * 40, "1e9", "NaN", "Infinity", True, [], "１０００"])
def test_holds_odd_collateral_totals_are_400(world, total):
    body = loan_body(collateral_total=total)
    response = api_client(world.bank1_user).post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])


def test_holds_collateral_below_the_ip_valuation_is_refused(world):
    body = loan_body(collateral_total="100.00")  # the rights are valued 5,300,000
    response = api_client(world.bank1_user).post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 400 and "collateral_total" in response.content.decode()


@pytest.mark.parametrize("flag", ["maybe", 2, {"x": 1}, "\x00"])
def test_holds_odd_insured_flags_are_400(world, flag):
    response = api_client(world.bank1_user).post("/api/v1/pledges/", loan_body(insured_or_guaranteed=flag),
                                                 format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])


def test_holds_unknown_fields_on_a_loan_registration_are_400(world):
    for extra in ({"risk_pool": 1}, {"ip_share": "1.0"}, {"interest_ratio": "1"}):
        response = api_client(world.bank1_user).post("/api/v1/pledges/", loan_body(**extra), format="json")
        assert response.status_code == 400, extra


def test_holds_mixed_collateral_and_insured_ratio_are_exact_to_the_fen(world):
    _rules(world, insured_interest_ratio="0.80")
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    start_date=f"{LAST_YEAR}-03-01", collateral_total="15900000.00", insured_or_guaranteed=True)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "33333.33"})
    app = _subsidy_application(world, [loan])
    # 33,333.33 × (5,300,000 ÷ 15,900,000 = 1/3) × 80 % = 8,888.888 → 8,888.89
    assert app.requested_amount == Decimal("8888.89")


def test_holds_the_yearly_cap_is_not_split_across_fiscal_years_for_one_interest_year(world):
    """Cap per firm per year 3,000. The enterprise claims loan A's interest of year Y under fiscal year
    Y (its free choice: ``fiscal_year`` is an input of POST /applications/), then the 免申即享 run opens
    loan B's interest of the same year Y under fiscal year Y + 1 (auto_subsidy._open_case). The cap is
    held per (program, fiscal_year) (funding/bounds.py held_by_others), so the firm holds 4,000 for
    one interest year. For 贴息 the cap's year should be the claim's interest year (or fiscal_year
    should be fixed to it)."""
    _rules(world, cap_per_applicant_year="3000.00", auto_subsidy_mode="confirm")
    loan_a = _loan_with_interest(world, world.enterprise1, "4000.00")
    _loan_with_interest(world, world.enterprise1, "4000.00")
    with pytest.raises(Invalid) as err:  # one interest year is one fiscal year (the next one)
        funding.application_create(by=world.applicant1, program_code=IS, title="贴息", fiscal_year=LAST_YEAR,
                                   details={"loans": [loan_a.pk], "year": LAST_YEAR})
    assert err.value.field == "fiscal_year"
    manual = funding.application_create(by=world.applicant1, program_code=IS, title="贴息",
                                        details={"loans": [loan_a.pk], "year": LAST_YEAR})
    _step(manual, "submit", world.applicant1)
    _run(world)
    auto = Application.objects.get(auto_opened=True)
    held = manual.requested_amount + auto.requested_amount
    assert held <= Decimal("3000.00"), f"{manual.requested_amount} + {auto.requested_amount} for year {LAST_YEAR}"


def test_holds_money_facts_edited_after_submission_cannot_raise_the_approval(world):
    """SQL raising the LPR, dropping collateral_total or setting the insured flag *after* submission
    does not raise the approval: the bound includes the amount requested at submission."""
    _lpr(f"{LAST_YEAR}-02", "0.0300")
    _rules(world, interest_basis="lpr", insured_interest_ratio="0.9", publicity_days=0)
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    start_date=f"{LAST_YEAR}-03-01", principal="1000000.00", annual_rate="0.0600",
                    collateral_total="15900000.00")
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "50000.00"})
    app = _subsidy_application(world, [loan])
    submitted = _step(app, "submit", world.applicant1).requested_amount
    _step(app, "accept", world.fincenter)
    _step(app, "publish", world.fincenter)
    LoanPrimeRate.objects.filter(month=dt.date(LAST_YEAR, 2, 1)).update(one_year=Decimal("0.0590"))
    PledgeLoan.objects.filter(pk=loan.pk).update(collateral_total=None, insured_or_guaranteed=True)
    assert _step(app, "approve", world.finance).approved_amount <= submitted


def _pay_interest_case(world, app):
    _step(app, "submit", world.applicant1)
    _step(app, "accept", world.fincenter)
    _step(app, "publish", world.fincenter)
    app = _step(app, "approve", world.finance)
    return _step(app, "disburse", world.finance, amount=str(app.approved_amount), voucher_no=f"V-IS-{app.pk}")


@pytest.mark.tampers
def test_no_longer_sql_edits_of_the_loan_facts_behind_a_subsidy_are_not_found(world):
    """What decides a subsidy besides the chained repayments — the loan's ``collateral_total`` and
    ``insured_or_guaranteed`` (pledges.models.PledgeLoan) and the LPR table (``LoanPrimeRate``) — is in
    no chained row and copied onto no case: the ``registered`` loan event records only the principal
    and the rights' numbers (pledges/registration.py loan_register → _event). SQL that drops
    collateral_total (IP share 1/3 → 100 %), sets the insured flag (ratio 50 % → 90 %) and raises the
    LPR before the claim pays ~5× the subsidy, and verify_audit / verify_ledger stay clean."""
    _lpr(f"{LAST_YEAR}-02", "0.0300")
    _rules(world, interest_basis="lpr", insured_interest_ratio="0.9", publicity_days=0)
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    start_date=f"{LAST_YEAR}-03-01", principal="1000000.00", annual_rate="0.0600",
                    collateral_total="15900000.00")
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "50000.00"})
    assert _findings() == []
    PledgeLoan.objects.filter(pk=loan.pk).update(collateral_total=None, insured_or_guaranteed=True)
    LoanPrimeRate.objects.filter(month=dt.date(LAST_YEAR, 2, 1)).update(one_year=Decimal("0.0590"))
    paid = _pay_interest_case(world, _subsidy_application(world, [loan]))
    assert paid.disbursed_amount > 0
    assert _findings(), f"paid {paid.disbursed_amount} on SQL-edited loan facts; verifiers clean"


@pytest.mark.tampers
def test_no_longer_sql_unticking_a_paid_loan_year_lets_it_be_paid_twice_unseen(world):
    """A paid interest subsidy's ``InterestSubsidyLoan.live`` is set to false by SQL; the same loan-year
    is then claimed, approved and paid again, and the verifiers find nothing: no check that two paid
    cases cover one loan-year (the partial unique index only guards live rows)."""
    _rules(world, publicity_days=0)
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")

    _pay_interest_case(world, _subsidy_application(world, [loan]))
    InterestSubsidyLoan.objects.filter(loan=loan).update(live=False)
    _pay_interest_case(world, _subsidy_application(world, [loan]))
    assert _findings(), "one loan-year paid twice, verifiers clean"


def test_no_longer_a_backdated_registration_steals_the_first_pledge_subsidy(world):
    """Rule ``first_pledge_only``. Enterprise 1 pledges patent P at bank 1 (loan A, from March of
    year Y): A is the first pledge of P and its subsidy for Y is paid. A is settled and P released;
    bank 2 then registers loan B pledging P with a start date of February Y — before A started,
    while P was in fact pledged to A (registration accepts any past start date). ``first_pledge_problem``
    orders pledges by *start_date*, so B is now the "first" pledge of P and is subsidised for Y as
    well: the first pledge of one patent is paid twice (pledges/interest.py first_pledge_problem;
    pledges/registration.py accepts a start date overlapping an earlier pledge of the same right)."""
    _rules(world, first_pledge_only=True, publicity_days=0)
    patent = factories.make_patent_number(year=LAST_YEAR - 2)
    rights = [{"kind": "patent", "number": patent, "valuation": "2000000.00"}]
    loan_a = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code, rights=rights,
                      start_date=f"{LAST_YEAR}-03-01")
    services.repayment_record(by=world.bank1_user, loan_id=loan_a.pk,
                              **{"date": f"{LAST_YEAR}-06-01", "principal": "0", "interest": "10000.00"})
    _pay_interest_case(world, _subsidy_application(world, [loan_a]))
    services.loan_settle(by=world.bank1_user, loan_id=loan_a.pk, date=f"{LAST_YEAR}-07-01")
    loan_b = register(world.bank2_user, borrower_credit_code=world.enterprise1.credit_code, rights=rights,
                      start_date=f"{LAST_YEAR}-02-01")
    services.repayment_record(by=world.bank2_user, loan_id=loan_b.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "10000.00"})
    with pytest.raises(Exception) as err:  # Invalid (not a first pledge) expected
        _subsidy_application(world, [loan_b])
    assert type(err.value).__name__ in ("Invalid", "Conflict")


def test_no_longer_the_interest_form_states_the_stale_mirror_ratio_after_a_scheduled_version_starts(world, monkeypatch):
    """The admin schedules a version from tomorrow raising the ratio to 80 %. Tomorrow the
    application form still says the subsidy is 50 % of the interest: it reads ``program.interest_ratio``,
    the mirror written when the version was saved, not the rules in force
    (pledges/forms_subsidy.py InterestSubsidyForm.__init__). Display only: the amount is right."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "0.8"},
                                 effective_from=tomorrow)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    html = page_client(world.applicant1).get(f"/funding/new/{IS}/").content.decode()
    assert "80%" in html and "50%" not in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_holds_a_claim_over_the_money_column_is_a_400_on_postgresql():
    """A bank reports two interest payments of 999,999,999,999.99 in one year; the claim's
    interest_paid (1,999,999,999,999.98) overflows numeric(14, 2): the API's DataError handler makes
    it a 400, not a 500."""
    ensure_role_groups()
    world = build_world()
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    principal="999999999999.99", start_date=f"{LAST_YEAR}-03-01")
    for month in (4, 5):
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": f"{LAST_YEAR}-{month:02d}-01", "principal": "0",
                                     "interest": "999999999999.99"})
    client = api_client(world.applicant1, raise_request_exception=False)
    response = client.post("/api/v1/applications/", {"program": IS, "title": "贴息", "loans": [loan.pk],
                                                     "year": LAST_YEAR}, format="json")
    assert response.status_code in (201, 400, 409), (response.status_code, response.content[:200])
    assert not Application.objects.exists()


def test_holds_unknown_fields_on_money_transitions_are_400(world):
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    app = defaulted(world, loan, "1000000.00")
    funding.application_transition(application_id=app.pk, name="accept", by=world.fincenter)
    client = api_client(world.finance)
    url = f"/api/v1/applications/{app.pk}/transitions/"
    for name, body in (("approve", {"approved_amount": "1.00", "pool": 1}),
                       ("approve", {"approved_amount": 400000}),
                       ("approve", {"approved_amount": "1e3"}),
                       ("approve", {"approved_amount": "400000.001"})):
        response = client.post(url + name + "/", body, format="json")
        assert response.status_code == 400, (name, body, response.status_code)
    assert Application.objects.get(pk=app.pk).state == State.ACCEPTED


# =============================================================================================
# 4. The risk pool
# =============================================================================================

@pytest.mark.tampers
def test_no_longer_sql_moving_money_between_funders_is_not_found(world):
    """After a payout split city 40 % : county 60 %, SQL moves 100,000 from the county's part to the
    city's: the sum per payout is unchanged, so ``pool_shares.share_findings`` (which only compares sums)
    and the chains find nothing (RiskPoolShare is unchained; pledges/pool.py share_findings)."""
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    app = defaulted(world, loan, "1000000.00")
    pay_claim(world, app)
    assert _findings() == []
    shares = {s.funder.name: s for s in RiskPoolShare.objects.filter(application=app).select_related("funder")}
    city, county = shares["重庆市知识产权局"], shares["巫山县财政局"]
    RiskPoolShare.objects.filter(pk=city.pk).update(amount=city.amount + 100000)
    RiskPoolShare.objects.filter(pk=county.pk).update(amount=county.amount - 100000)
    assert _findings(), "the funders' parts were rewritten, the verifiers are clean"


@pytest.mark.tampers
def test_holds_sql_changing_a_payouts_total_parts_is_found(world):
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    app = defaulted(world, loan, "1000000.00")
    pay_claim(world, app)
    RiskPoolShare.objects.filter(application=app).update(amount=0)
    assert _findings()


@pytest.mark.tampers
def test_no_longer_sql_covering_an_uncovered_loan_gets_it_compensated_unseen(world):
    """A loan registered beyond the pool's leverage is uncovered (approval 409 loan_not_covered).
    An SQL edit of ``pledges_pledgeloan.risk_pool_id`` covers it: the approval and payment go through,
    past the leverage, and the verifiers find nothing (the coverage decision is in no chained row)."""
    make_pool(world, city="40000.00", county="60000.00")  # 100,000 × 5 = 500,000 covered at most
    loan = register(world.bank1_user, principal="1000000.00")
    assert loan.risk_pool_id is None
    app = defaulted(world, loan, "1000000.00")
    PledgeLoan.objects.filter(pk=loan.pk).update(risk_pool=world.region.risk_pool)
    pay_claim(world, app)
    assert _findings(), "a loan beyond the leverage was compensated; verifiers clean"


def test_holds_an_uncovered_loan_is_never_approved(world):
    make_pool(world, city="40000.00", county="60000.00")
    loan = register(world.bank1_user, principal="1000000.00")
    app = defaulted(world, loan, "1000000.00")
    funding.application_transition(application_id=app.pk, name="accept", by=world.fincenter)
    with pytest.raises(Conflict) as err:
        funding.application_transition(application_id=app.pk, name="approve", by=world.finance)
    assert err.value.code == "loan_not_covered"


def test_holds_payout_and_recovery_split_to_the_fen(world):
    pool.pool_save(by=world.admin, region=world.region, name="巫山县风险补偿资金池", leverage="5",
                   loss_breaker="0.30", loss_warning="0.24", funders=[
                       {"name": "重庆市知识产权局", "share": "0.3333", "contribution": "333333.33"},
                       {"name": "巫山县财政局", "share": "0.6667", "contribution": "666666.67"}])
    loan = register(world.bank1_user, principal="1000000.00")
    app = defaulted(world, loan, "999999.99")
    pay_claim(world, app)
    app.refresh_from_db()
    parts = RiskPoolShare.objects.filter(application=app)
    assert sum(p.amount for p in parts) == app.disbursed_amount
    services.recovery_record(by=world.bank1_user, loan_id=loan.pk, date=timezone.localdate().isoformat(),
                             amount="100000.01")
    back = RiskPoolShare.objects.filter(recovery__loan=loan)
    from pledges.models import Recovery  # noqa: PLC0415
    assert sum(p.amount for p in back) == Recovery.objects.get(loan=loan).pool_share
    assert _findings() == []


def test_no_longer_a_bank_dilutes_the_loss_ratio_below_the_breaker_with_same_day_loans(world):
    """Pool 1,000,000 × 5, breaker 30 %. A covered 2,000,000 loan defaults and is compensated
    800,000: loss ratio 40 %, the breaker has tripped and a second default is refused. The bank then
    registers a covered 3,000,000 loan starting today and settles it the same day: the loss ratio's
    base is "the principal of every loan the pool ever covered" (settled ones included), so the
    ratio falls to 13 % and the second default is compensated. A loan that never ran (and gave back
    its leverage room at once) should not dilute the breaker (pledges/pool.py status_of)."""
    make_pool(world)
    first = register(world.bank1_user, principal="2000000.00")
    pay_claim(world, defaulted(world, first, "2000000.00"))
    # (adjusted: a second loan of 1,000,000 would itself take the ratio to 800,000 ÷ 3,000,000 = 26.7 %,
    # under the breaker; 500,000 keeps it at 800,000 ÷ 2,500,000 = 32 %)
    second = register(world.bank1_user, principal="500000.00")
    claim = defaulted(world, second, "500000.00")
    funding.application_transition(application_id=claim.pk, name="accept", by=world.fincenter)
    with pytest.raises(Conflict) as err:
        funding.application_transition(application_id=claim.pk, name="approve", by=world.finance)
    assert err.value.code == "pool_breaker_tripped"
    today = timezone.localdate().isoformat()
    padding = register(world.bank1_user, principal="3000000.00", start_date=today)
    assert padding.risk_pool_id is not None
    services.loan_settle(by=world.bank1_user, loan_id=padding.pk, date=today)
    with pytest.raises(Conflict) as err:
        funding.application_transition(application_id=claim.pk, name="approve", by=world.finance)
    assert err.value.code == "pool_breaker_tripped"


# =============================================================================================
# 5. Monthly pledge statistics
# =============================================================================================

@pytest.mark.parametrize("query", [
    "year=%00", "year=%ED%A0%80", "year=%FF", "year=0001",
    "year=9999", "year=2025&from_month=13", "year=2025&from_month=0&to_month=-1", "year=2025&format=pdf",
    "year=2025&from_month=%EF%BC%91",
])
def test_holds_odd_statistics_queries_are_400_never_500(world, query):
    client = page_client(world.fincenter, raise_request_exception=False)
    for url in ("/reports/pledges/monthly/?", "/reports/pledges/monthly/download/?format=csv&"):
        response = client.get(url + query)
        assert response.status_code in (200, 400), (url, query, response.status_code)


@pytest.mark.parametrize("query", ["year=" + "9" * 5000, "year=2025&from_month=" + "1" * 5000,
                                   "year=2025&to_month=" + "0" * 4400 + "1"])
def test_no_longer_statistics_500_on_a_number_of_more_than_4300_digits(world, query):
    """GET /reports/pledges/monthly/?year=999…9 (5,000 digits): ``reports.pledge_stats._whole`` calls
    ``int()`` on any ASCII digit string, and Python refuses strings over 4,300 digits with a ValueError
    — a 500 on the page and the download (reports/pledge_stats.py _whole). Check the length first."""
    client = page_client(world.fincenter, raise_request_exception=False)
    for url in ("/reports/pledges/monthly/?", "/reports/pledges/monthly/download/?format=csv&"):
        response = client.get(url + query)
        assert response.status_code == 400, (url, response.status_code)


def test_holds_statistics_are_refused_to_banks_applicants_and_experts(world):
    for user in (world.bank1_user, world.applicant1, world.experts[0], world.clerk):
        assert page_client(user).get("/reports/pledges/monthly/").status_code in (302, 403)


def test_holds_statistics_run_a_fixed_number_of_queries(world):
    def count():
        client = page_client(world.fincenter)
        client.get(f"/reports/pledges/monthly/?year={LAST_YEAR}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/reports/pledges/monthly/?year={LAST_YEAR}").status_code == 200
        return len(ctx.captured_queries)

    _loan_with_interest(world, world.enterprise1, "100.00")
    few = count()
    for _ in range(6):
        _loan_with_interest(world, world.enterprise2, "100.00", bank_user=world.bank2_user)
    assert count() == few


def test_holds_statistics_of_another_county_are_not_counted(world):
    other = _other_region_world()
    bank = factories.BankFactory(region=other["region"], code="WX-BANK")
    bank_user = factories.UserFactory(username="bank-wx", role=Role.BANK, region=other["region"], bank=bank)
    firm = factories.EnterpriseFactory(region=other["region"])
    register(bank_user, borrower_credit_code=firm.credit_code, contract_no="WX-SECRET-1", principal="7777777.00",
             start_date=f"{LAST_YEAR}-03-01")
    html = page_client(world.fincenter).get(f"/reports/pledges/monthly/?year={LAST_YEAR}").content.decode()
    assert "7,777,777.00" not in html


# =============================================================================================
# 6. Query counts on the lists with versions and auto-opened drafts
# =============================================================================================

def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_holds_lists_of_auto_opened_drafts_run_a_fixed_number_of_queries(world):
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"auto_subsidy_mode": "direct"},
                                 effective_from=f"{LAST_YEAR}-01-01")
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "0.4"},
                                 effective_from=f"{THIS_YEAR}-01-01")
    for _ in range(4):
        firm = factories.EnterpriseFactory(region=world.region)
        _loan_with_interest(world, firm, "1000.00")
    _rules(world, auto_subsidy_mode="confirm")
    _run(world)
    assert Application.objects.filter(auto_opened=True, state=State.DRAFT).count() == 4
    for user, url in ((world.fincenter, "/api/v1/applications/"), (world.fincenter, "/funding/"),
                      (world.clerk, "/api/v1/applications/"), (world.admin, "/api/v1/programs/")):
        client = api_client(user) if url.startswith("/api") else page_client(user)
        assert _count(client, f"{url}?page_size=1") == _count(client, f"{url}?page_size=50"), (user.username, url)


def test_holds_program_versions_list_runs_a_fixed_number_of_queries(world):
    client = api_client(world.admin)
    url = f"/api/v1/programs/{IS}/versions/"
    rule_versions.version_create(by=world.admin, program=world.programs[IS], changes={"interest_ratio": "0.4"})
    few = _count(client, url)
    for i in range(5):
        rule_versions.version_create(by=world.admin, program=world.programs[IS],
                                     changes={"interest_ratio": f"0.{i + 1}"})
    assert _count(client, url) == few


def test_holds_compliance_flags_a_filing_subsidy_and_a_high_fee_share_before_it_starts(world):
    from funding import compliance  # noqa: PLC0415
    rule_versions.version_create(by=world.admin, program=world.programs[ProgramCode.APPLICATION_SUBSIDY],
                                 changes={"subsidy_trigger": "filing", "fee_share": "0.6"},
                                 effective_from=f"{THIS_YEAR + 1}-01-01")
    kinds = {f.kind for row in compliance.compliance_rows(world.region.pk) for f in row["findings"]}
    assert {"filing_subsidy", "fee_share_above_limit"} <= kinds
    assert page_client(world.applicant1).get("/funding/compliance/").status_code in (302, 403)
    assert page_client(world.fincenter).get("/funding/compliance/").status_code in (302, 403)


# =============================================================================================
# 7. Races (PostgreSQL)
# =============================================================================================

def _race(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            return fn(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_holds_two_registrations_at_once_never_exceed_the_leverage():
    ensure_role_groups()
    world = build_world()
    make_pool(world)  # 5,000,000 covered at most
    users = [world.bank1_user, world.bank2_user]

    def go(i):
        response = api_client(users[i % 2]).post("/api/v1/pledges/", loan_body(contract_no=f"RACE-POOL-{i}",
                                                                                principal="3000000.00"),
                                                 format="json")
        return response.status_code

    assert sorted(_race(4, go)) == [201] * 4
    covered = PledgeLoan.objects.filter(risk_pool__isnull=False)
    assert sum(loan.principal for loan in covered) <= Decimal("5000000.00") and covered.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_longer_a_run_and_hand_claims_at_once_deadlock_on_postgresql():
    """The 免申即享 run and two enterprises' hand claims of the same loan-year at the same moment.
    The run takes ``Program … FOR UPDATE`` (pledges/auto_subsidy.py auto_subsidy_run), which conflicts
    with the ``FOR KEY SHARE`` every insert or re-save of an application of that program takes for
    its foreign key; the run then waits on the hand claim's row in the unique index
    ``interest_claim_once_per_loan_year`` while the hand claim waits on the program row:
    PostgreSQL reports a deadlock and one side fails with OperationalError (a 500 on the page or the
    API) instead of a clean 409 interest_already_claimed. Fix: ``select_for_update(no_key=True)``
    (FOR NO KEY UPDATE does not block FK checks) or an advisory lock; the same FOR UPDATE on the
    program is taken by rule_versions.version_create and program_rules.program_update."""
    ensure_role_groups()
    world = build_world()
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    _rules(world, auto_subsidy_mode="confirm")
    errors = []

    def go(i):
        try:
            if i == 0:
                return _run(world).created
            return _subsidy_application(world, [loan]).pk
        except Conflict:
            return "409"
        except Exception as exc:  # collected for the assertion
            errors.append(repr(exc)[:200])
            return "error"

    for _ in range(3):
        Application.objects.filter(program__code=IS).update(state=State.WITHDRAWN)
        InterestSubsidyLoan.objects.update(live=False)
        _race(3, go)
        assert InterestSubsidyLoan.objects.filter(loan=loan, year=LAST_YEAR, live=True).count() == 1
    assert errors == [], errors
