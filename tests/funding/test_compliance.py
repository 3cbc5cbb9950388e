"""Issue #14, item 2: the administrator's compliance view."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from funding import compliance, rule_versions
from funding.models import RuleVersion
from funding.program_rules import program_update
from tests.clients import page_client

pytestmark = pytest.mark.django_db


def _kinds(world, code="application_subsidy"):
    return {f.kind for f in compliance.program_findings(world.programs[code])}


def _cited(world, code="application_subsidy", **changes):
    return rule_versions.version_create(by=world.admin, program=world.programs[code], changes=changes,
                                        effective_from=dt.date(2026, 1, 1), basis={"basis_doc_no": "渝知发〔2025〕2号"})


def test_a_filing_subsidy_is_flagged(world):
    _cited(world, subsidy_trigger="filing")
    assert "filing_subsidy" in _kinds(world)


def test_a_sixty_percent_fee_share_is_flagged(world):
    _cited(world, fee_share="0.6")
    findings = compliance.program_findings(world.programs["application_subsidy"])
    flagged = [f for f in findings if f.kind == "fee_share_above_limit"]
    assert flagged and "60%" in flagged[0].message and flagged[0].severity == "danger"


def test_fifty_percent_is_within_the_limit(world):
    _cited(world, fee_share="0.5")
    assert "fee_share_above_limit" not in _kinds(world)


def test_a_subsidy_for_utility_models_is_flagged(world):
    _cited(world, subsidy_standards={"invention": {"CN": "1000"}, "utility_model": {"CN": "300"}})
    assert "non_invention_subsidy" in _kinds(world)


def test_a_scheduled_bad_version_is_flagged_before_it_starts(world):
    rule_versions.version_create(by=world.admin, program=world.programs["application_subsidy"],
                                 changes={"fee_share": "0.8"}, effective_from=timezone.localdate() + dt.timedelta(days=200),
                                 basis={"basis_doc_no": "X"})
    assert "fee_share_above_limit" in _kinds(world)


def test_a_program_without_versions_has_no_basis(world):
    assert "no_basis" in _kinds(world, "industrialization")


def test_a_version_citing_nothing_is_flagged(world):
    program_update(by=world.admin, code="industrialization", changes={"min_reviews": 2})
    assert "no_basis" in _kinds(world, "industrialization")


def test_a_basis_ending_within_ninety_days_with_nothing_after_is_flagged(world):
    today = timezone.localdate()
    rule_versions.version_create(by=world.admin, program=world.programs["industrialization"], changes={},
                                 effective_from=today - dt.timedelta(days=10),
                                 effective_until=today + dt.timedelta(days=60), basis={"basis_doc_no": "X〔2025〕1号"})
    assert "basis_ends_soon" in _kinds(world, "industrialization")


def test_an_ended_program_is_flagged(world):
    rule_versions.version_create(by=world.admin, program=world.programs["industrialization"], changes={},
                                 ends=True, effective_from=timezone.localdate(), basis={"basis_doc_no": "X〔2026〕1号"})
    assert "basis_ended" in _kinds(world, "industrialization")


def test_the_page_lists_findings_for_the_admin_and_refuses_the_clerk(world):
    _cited(world, fee_share="0.6")
    html = page_client(world.admin).get("/funding/compliance/").content.decode()
    assert 'data-kind="fee_share_above_limit"' in html and "渝知发〔2025〕2号" in html
    assert page_client(world.clerk).get("/funding/compliance/").status_code == 403


def test_the_guide_shows_the_basis_in_force_and_an_ended_program_offers_no_start(world):
    _cited(world)
    html = page_client(world.applicant1).get("/funding/programs/application_subsidy/").content.decode()
    assert 'id="guide-version"' in html and "渝知发〔2025〕2号" in html and 'id="start-application"' in html
    rule_versions.version_create(by=world.admin, program=world.programs["application_subsidy"], changes={},
                                 ends=True, effective_from=timezone.localdate(), basis={"basis_doc_no": "国知发保字〔2021〕1号"})
    html = page_client(world.applicant1).get("/funding/programs/application_subsidy/").content.decode()
    assert 'id="guide-ended"' in html and 'id="start-application"' not in html


def test_the_demo_carries_real_bases_and_a_dated_history(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    subsidy = RuleVersion.objects.filter(program__code="application_subsidy").order_by("number")
    assert [v.basis_doc_no for v in subsidy][1:] == ["渝知发〔2020〕21号", "渝知发〔2025〕2号", "国知发保字〔2021〕1号"]
    assert subsidy.last().ends
    program = subsidy.first().program
    assert rule_versions.version_on(program, dt.date(2025, 6, 1)).basis_doc_no == "渝知发〔2025〕2号"
    assert {f.kind for f in compliance.program_findings(program)} >= {"grant_subsidy_after_phase_out"}
