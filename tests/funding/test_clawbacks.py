"""追回 and 失信 (issue #12): paid money back to the budget it left, the bar fraud brings, lifted only
by the fund administrator with a reason. One behaviour per test."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applicants.errors import Conflict, Invalid, NotAllowed
from core import audit_chain
from funding import clawbacks, ledger
from funding.models import ApplicantBar, Application, Clawback
from funding.verify import ledger_violations
from tests.clients import api_client
from tests.funding.helpers import step, subsidy_app, to_approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]
TODAY = timezone.localdate()


def _paid(world):
    app = to_approved(world, subsidy_app(world))
    return step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "PZ-1"})


def _claw(world, app, **overrides):
    body = {"amount": "400.00", "date": TODAY, "voucher_no": "ZH-1", "reason": "重复资助", "fraud": False}
    body.update(overrides)
    return clawbacks.clawback_record(by=world.finance, application_id=app.pk, **body)


def test_a_clawback_returns_the_money_to_the_budget_it_was_paid_from(world):
    app = _paid(world)
    budget = world.budgets["application_subsidy"]
    before = ledger.budget_figures(budget)
    _claw(world, app)
    after = ledger.budget_figures(budget)
    assert after.available == before.available + Decimal("400.00")
    assert after.disbursed == before.disbursed - Decimal("400.00")  # net of the clawback
    assert after.clawed_back == Decimal("400.00")
    assert Application.objects.get(pk=app.pk).clawed_back_amount == Decimal("400.00")
    assert ledger_violations() == [] and audit_chain.verify_all(audit_chain.registered()) == []


def test_at_most_what_was_paid_and_not_yet_recovered(world):
    app = _paid(world)
    _claw(world, app, amount="600.00")
    with pytest.raises(Conflict) as err:
        _claw(world, app, amount="400.01", voucher_no="ZH-2")
    assert err.value.code == "above_paid" and "400.00 元" in err.value.message


def test_only_finance_of_the_region_claws_back(world):
    app = _paid(world)
    with pytest.raises(NotAllowed):
        clawbacks.clawback_record(by=world.clerk, application_id=app.pk, amount="1.00", date=TODAY,
                                  voucher_no="ZH-9", reason="x")


def test_a_clawback_in_the_future_is_refused(world):
    app = _paid(world)
    with pytest.raises(Invalid) as err:
        _claw(world, app, date=TODAY.replace(year=TODAY.year + 1))
    assert err.value.field == "date"


def test_fraud_bars_the_applicant_from_new_applications_until_the_date(world):
    app = _paid(world)
    _claw(world, app, fraud=True, reason="伪造缴费凭证")
    bar = ApplicantBar.objects.get()
    assert bar.until == clawbacks._years_after(TODAY, 3)  # the program's ban_years (default 3)
    with pytest.raises(Conflict) as err:
        subsidy_app(world)
    assert err.value.code == "applicant_barred" and bar.until.isoformat() in err.value.message


def test_a_barred_applicant_cannot_submit_a_draft_made_before(world):
    draft = subsidy_app(world)
    _claw(world, _paid(world), fraud=True)
    with pytest.raises(Conflict) as err:
        step(draft, "submit", world.applicant1)
    assert err.value.code == "applicant_barred"


def test_an_admin_lifts_a_bar_only_with_a_reason(world):
    _claw(world, _paid(world), fraud=True)
    bar = ApplicantBar.objects.get()
    with pytest.raises(Invalid):
        clawbacks.bar_lift(by=world.admin, bar_id=bar.pk, reason=" ")
    with pytest.raises(NotAllowed):
        clawbacks.bar_lift(by=world.finance, bar_id=bar.pk, reason="复议撤销")
    clawbacks.bar_lift(by=world.admin, bar_id=bar.pk, reason="行政复议撤销原处理决定")
    bar.refresh_from_db()
    assert (bar.lifted_by, bar.lift_reason) == (world.admin, "行政复议撤销原处理决定")
    assert subsidy_app(world).state == "draft"


def test_the_admin_form_lifts_through_the_service(world, client):
    _claw(world, _paid(world), fraud=True)
    bar = ApplicantBar.objects.get()
    client.force_login(world.admin)
    url = reverse("admin:funding_applicantbar_change", args=[bar.pk])
    assert client.post(url, {"lift_reason": ""}).status_code == 200  # refused: a reason is required
    assert client.post(url, {"lift_reason": "复议撤销"}).status_code == 302
    bar.refresh_from_db()
    assert bar.lifted_by == world.admin and bar.lifted_at is not None


@pytest.mark.tampers
def test_a_clawback_edited_in_sql_is_found(world):
    _claw(world, _paid(world))
    row = Clawback.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(Clawback._meta.db_table)} SET amount = 1 WHERE id = %s",
                       [row.pk])
    assert any(f"#{row.pk}" in finding for finding in audit_chain.verify_all(audit_chain.registered()))


def test_the_api_records_and_lists_clawbacks_and_budgets_show_them(world):
    app = _paid(world)
    finance = api_client(world.finance)
    url = f"/api/v1/applications/{app.pk}/clawbacks/"
    r = finance.post(url, {"amount": "250.00", "date": TODAY.isoformat(), "voucher_no": "ZH-API", "reason": "重复",
                           "fraud": True}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["barred_until"] is not None
    assert finance.get(url).json()["count"] == 1
    budgets = finance.get(f"/api/v1/budgets/?year={world.year}").json()["results"]
    row = next(b for b in budgets if b["program"] == "application_subsidy")
    assert row["clawed_back"] == "250.00"
    assert api_client(world.applicant1).post(url, {"amount": "1.00", "date": TODAY.isoformat(), "voucher_no": "X",
                                                   "reason": "x"}, format="json").status_code == 403
