"""An enterprise applies for an interest subsidy (贴息) on the web from its own loans (issue #13 item 7):
the form lists its loans with the interest reported for the year and says which cannot be claimed."""

import re
from decimal import Decimal

import pytest

from funding.models import Application
from pledges.models import InterestSubsidyLoan
from tests.clients import page_client
from tests.pledges.test_programs import LAST_YEAR, _loan_with_interest, _subsidy_application

pytestmark = pytest.mark.django_db
URL = "/funding/new/interest_subsidy/"


def test_the_form_lists_the_enterprises_loans_with_last_years_interest(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00", "5000.01")
    other = _loan_with_interest(world, world.enterprise2, "800.00")
    html = page_client(world.applicant1).get(URL).content.decode()
    assert loan.contract_no in html and "15,000.01 元" in html
    assert other.contract_no not in html
    assert f'value="{LAST_YEAR}"' in html


def test_saving_computes_the_subsidy_from_the_reported_interest(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00", "5000.01")
    r = page_client(world.applicant1).post(URL, {"title": "质押贷款贴息", "year": LAST_YEAR, "loans": [loan.pk]})
    assert r.status_code == 302, r.content.decode()[:1500]
    app = Application.objects.get(title="质押贷款贴息")
    assert app.requested_amount == Decimal("7500.01")  # 0.5 × 15,000.01, half up
    assert InterestSubsidyLoan.objects.get(claim__application=app).loan_id == loan.pk


def test_a_loan_already_claimed_for_the_year_is_shown_disabled_with_why(world):
    loan = _loan_with_interest(world, world.enterprise1, "1000.00")
    _subsidy_application(world, [loan])
    html = page_client(world.applicant1).get(URL).content.decode()
    tag = re.search(rf'<input[^>]*id="loan-{loan.pk}"[^>]*>', html).group(0)
    assert "disabled" in tag and "已申请过贴息" in html


def test_another_enterprises_loan_cannot_be_posted(world):
    other = _loan_with_interest(world, world.enterprise2, "800.00")
    r = page_client(world.applicant1).post(URL, {"title": "贴息", "year": LAST_YEAR, "loans": [other.pk]})
    assert r.status_code == 200
    assert not Application.objects.filter(title="贴息").exists()


def test_the_list_offers_the_interest_subsidy(world):
    html = page_client(world.applicant1).get("/funding/").content.decode()
    assert URL in html
