"""Regression tests from an attack on issue #10: each once showed a defect (see the test docstrings)."""

import json
from decimal import Decimal

import pytest
from django.db import connection

from core import audit_chain
from funding import services
from funding.models import Application
from funding.verify import ledger_violations
from tests import factories
from tests.clients import api_client, page_client
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app
from tests.pledges.helpers import loan_body, register

pytestmark = pytest.mark.django_db


def _audit_findings():
    return audit_chain.verify_all(audit_chain.registered())


def _to_under_review(world, app):
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    return step(app, "send_to_review", world.clerk)


# --- SQL edits the verifiers do not see ---------------------------------------------------------

def test_sql_raised_request_and_expert_reviews_are_found(world):
    """Someone with SQL raises a case's request and the experts' recommendations before approval;
    the approval then commits the raised amount, and verify_audit + verify_ledger stay green."""
    app = industrialization_app(world, amount="100000.00")
    _to_under_review(world, app)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=80,
                               recommended_amount=Decimal("100000.00"))
    assert _audit_findings() == [] and ledger_violations() == []
    with connection.cursor() as cur:
        cur.execute("UPDATE funding_application SET requested_amount = 500000 WHERE id = %s", [app.pk])
        cur.execute("UPDATE funding_review SET recommended_amount = 500000 WHERE application_id = %s", [app.pk])
    step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")
    approved = step(app, "approve", world.finance)
    assert approved.approved_amount == Decimal("100000.00") or _audit_findings() or ledger_violations(), (
        f"SQL edits of funding_application.requested_amount and funding_review.recommended_amount were "
        f"committed at approval ({approved.approved_amount}, the experts said 100,000.00) and neither "
        f"verify_audit nor verify_ledger reports anything")


def test_sql_edit_of_rules_frozen_on_a_case_is_found(world):
    """The rules a case is judged by (``frozen_rules``) are not in any chain: an SQL edit of them
    (here: the yearly cap and the per-project cap) is not found."""
    app = industrialization_app(world, amount="100000.00")
    step(app, "submit", world.applicant1)
    assert _audit_findings() == []
    with connection.cursor() as cur:
        cur.execute("SELECT frozen_rules FROM funding_application WHERE id = %s", [app.pk])
        raw = cur.fetchone()[0]
    rules = json.loads(raw) if isinstance(raw, str) else raw
    rules["cap_per_project"] = "900000000.00"
    rules["cap_per_applicant_year"] = "900000000.00"
    Application.objects.filter(pk=app.pk).update(frozen_rules=rules)
    assert Application.objects.get(pk=app.pk).rules.cap_per_project == Decimal("900000000.00")
    assert _audit_findings(), "the case's frozen rules were rewritten in SQL and verify_audit found nothing"


# --- admin site ---------------------------------------------------------------------------------

def test_admin_site_cannot_relabel_a_chinese_patent_as_us(world):
    """Issue #10 §6: a ZL number with another country is a 400. The admin's IP-asset form takes it."""
    patent = factories.PatentFactory(owner=world.enterprise1)
    browser = page_client(world.admin)
    url = f"/admin/applicants/ipasset/{patent.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    form = {
        "kind": patent.kind, "number": patent.number, "owner": patent.owner_id, "title": patent.title,
        "patent_type": patent.patent_type, "granted_on": patent.granted_on.isoformat(), "country": "US",
        "nice_class": "", "high_value_grounds": "[]", "_save": "保存",
    }
    if patent.is_valid:
        form["is_valid"] = "on"
    browser.post(url, form)
    patent.refresh_from_db()
    app = subsidy_app(world, patents=[patent], fees="100000.00")
    assert patent.country == "CN", (
        f"the admin re-labelled Chinese patent {patent.number} as country {patent.country!r}; the subsidy "
        f"draft now asks {app.requested_amount} (the Chinese standard is 1,000.00)")


# --- strict input -------------------------------------------------------------------------------

def test_patch_of_fiscal_year_is_refused_not_dropped(world):
    app = industrialization_app(world)
    response = api_client(world.applicant1).patch(f"/api/v1/applications/{app.pk}/",
                                                   {"fiscal_year": world.year + 1}, format="json")
    app.refresh_from_db()
    assert response.status_code == 400 or app.fiscal_year == world.year + 1, (
        f"PATCH {{'fiscal_year': {world.year + 1}}} answered {response.status_code} and was ignored "
        f"(fiscal_year still {app.fiscal_year}): a field that does nothing, like the aproved_amount typo")


# --- patents by their real number ---------------------------------------------------------------

def test_a_made_up_country_prefix_is_refused(world):
    response = api_client(world.applicant1).post("/api/v1/ip-assets/", {
        "kind": "patent", "number": "XX123456", "title": "并不存在的外国专利",
        "granted_on": f"{world.year - 1}-06-01"}, format="json")
    assert response.status_code == 400, (
        f"'XX123456' (XX is no country and no patent office) registered: {response.status_code} "
        f"{response.json()}")


# --- pledge money follows the loan --------------------------------------------------------------

def test_a_right_pledged_for_one_borrower_cannot_be_registered_by_another(world):
    """§7: a right registered to another owner is a 409 at pledge time — but in the other order a
    patent pledged for borrower X is then registered by enterprise2 as its own (no 409), and the
    live pledge now sits on enterprise2's patent."""
    number = factories.make_patent_number(year=world.year - 2)
    body = loan_body()
    body["rights"][0]["number"] = number
    loan = register(world.bank1_user, **{k: v for k, v in body.items()})
    response = api_client(world.applicant2).post("/api/v1/ip-assets/", {
        "kind": "patent", "number": number, "title": "他人已质押的专利",
        "granted_on": f"{world.year - 1}-06-01"}, format="json")
    assert response.status_code == 409, (
        f"{number} is under a live pledge for borrower {loan.borrower.name} (loan #{loan.pk}); enterprise2 "
        f"registered it as its own: {response.status_code}")
