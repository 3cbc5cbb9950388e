"""Issue #10: the admin site shows funding data but changes money, states and claims only through
the services (rules through program_update, recorded); nothing there deletes evidence."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import Application, LedgerEntry, PatentClaim, Program, ProgramRuleChange
from tests.funding.helpers import subsidy_app, to_approved

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["application", "ledgerentry", "transitionlog", "patentclaim", "review", "budget",
                                  "programrulechange", "program"])
def test_funding_changelists_render(admin_client, name):
    assert admin_client.get(reverse(f"admin:funding_{name}_changelist")).status_code == 200


def test_an_application_cannot_be_edited_in_the_admin(admin_client, world):
    app = to_approved(world, subsidy_app(world))
    url = reverse("admin:funding_application_change", args=[app.pk])
    assert 'name="approved_amount"' not in admin_client.get(url).content.decode()
    admin_client.post(url, {"title": app.title, "approved_amount": "900000.00", "state": "disbursed"})
    app.refresh_from_db()
    assert (app.approved_amount, app.state) == (Decimal("1000.00"), "approved")


def test_a_live_patent_claim_cannot_be_deleted_in_the_admin(admin_client, world):
    claim = PatentClaim.objects.get(application=subsidy_app(world))
    response = admin_client.post(reverse("admin:funding_patentclaim_delete", args=[claim.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert PatentClaim.objects.filter(pk=claim.pk, live=True).exists()


def test_a_ledger_entry_cannot_be_deleted_in_the_admin(admin_client, world):
    entry = LedgerEntry.objects.first()
    assert admin_client.post(reverse("admin:funding_ledgerentry_delete", args=[entry.pk]),
                             {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def _program_form(program, **changes):
    data = {name: getattr(program, name) for name in ("name_zh", "name_en", "description", "publicity_days",
                                                        "min_reviews", "grant_years_back", "fee_share",
                                                        "first_tranche_share", "interest_ratio", "risk_share",
                                                        "ban_years")}
    data.update({"cap_per_project": program.cap_per_project or "",
                 "cap_per_applicant_year": program.cap_per_applicant_year or "",
                 "subsidy_standards": '{"invention": {"CN": "1000.00"}}', "award_levels": "{}",
                 "required_documents": "[]", "is_open": "on"})
    if program.expert_review:
        data["expert_review"] = "on"
    data.update(changes)
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def test_a_rule_edit_in_the_admin_goes_through_the_service_and_is_recorded(admin_client, world):
    program = world.programs["application_subsidy"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    response = admin_client.post(url, _program_form(program, cap_per_applicant_year="80000", reason="年度调整"))
    assert response.status_code == 302, response.content.decode()[:3000]
    program.refresh_from_db()
    assert program.cap_per_applicant_year == Decimal("80000.00")
    change = ProgramRuleChange.objects.get(field="cap_per_applicant_year")
    assert (change.by, change.old_value, change.new_value, change.reason) == (
        world.admin, "100000.00", "80000.00", "年度调整")


def test_a_negative_cap_in_the_admin_is_refused(admin_client, world):
    program = world.programs["industrialization"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    response = admin_client.post(url, _program_form(program, cap_per_project="-100.00"))
    assert response.status_code == 200 and "金额不能为负数" in response.content.decode()
    assert Program.objects.get(pk=program.pk).cap_per_project == Decimal("500000.00")
    assert not ProgramRuleChange.objects.exists()
    assert Application.objects.count() == 0
