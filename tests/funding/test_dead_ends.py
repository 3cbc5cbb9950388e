"""No silent dead ends (issue #13 item 2): a step the user could take but not now is shown disabled
with the reason; the disburse form holds what may be paid now and a payment date."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from core.errors import Invalid
from funding.models import LedgerEntry, Program, TransitionLog
from tests.clients import page_client
from tests.funding.helpers import step, subsidy_app, to_approved
from tests.funding.test_lifecycle_pages import _input, _project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]


def _page(user, app) -> str:
    return unescape(page_client(user).get(f"/funding/{app.pk}/").content.decode())


def test_finance_sees_approval_disabled_until_the_notice_ends(world):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(publicity_days=5)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "publish", world.clerk)
    html = _page(world.finance, app)
    block = re.search(r'id="blocked-approve".*?</div>', html, re.S).group(0)
    assert "disabled" in block and app.publicity_ends_on.isoformat() in block and "结束后方可批准" in block
    assert 'id="action-approve"' not in html
    assert 'id="action-reject"' in html  # what finance can do now stays a form


def test_a_step_of_another_path_is_not_shown(world):
    app = to_approved(world, subsidy_app(world))  # paid in one go: no acceptance stage
    assert "blocked-submit_completion" not in _page(world.applicant1, app)


def test_the_disburse_form_holds_the_first_tranche_and_says_why(world):
    app = _project(world)  # 300,000 approved, 60 % before 验收
    html = _page(world.finance, app)
    assert _input(html, "amount") == "180000.00"
    assert _input(html, "date") == timezone.localdate().isoformat()
    assert "验收前最多拨付 180,000.00 元" in html


def test_with_the_first_tranche_paid_disbursing_waits_for_acceptance(world):
    app = _project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "T-1"})
    html = _page(world.finance, app)
    assert 'id="action-disburse"' not in html
    block = re.search(r'id="blocked-disburse".*?</div>', html, re.S).group(0)
    assert "其余须验收后拨付" in block and "180,000.00 元" in block


def test_a_payment_is_booked_on_its_date(world):
    app = to_approved(world, subsidy_app(world))
    step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "D-1",
                                               "date": timezone.localdate().isoformat()})
    entry = LedgerEntry.objects.get(voucher_no="D-1")
    assert entry.booked_on == timezone.localdate()


def test_a_payment_dated_before_the_approval_or_in_the_future_is_refused(world):
    app = to_approved(world, subsidy_app(world))
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(Invalid) as err:
            step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "D-2",
                                                       "date": day.isoformat()})
        assert err.value.field == "date"
    assert not LedgerEntry.objects.filter(voucher_no="D-2").exists()


def test_a_backdated_payment_records_its_date_on_the_history_row(world, monkeypatch):
    app = to_approved(world, subsidy_app(world))
    approved_on = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: approved_on + dt.timedelta(days=3))
    step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "D-3",
                                               "date": (approved_on + dt.timedelta(days=1)).isoformat()})
    assert LedgerEntry.objects.get(voucher_no="D-3").booked_on == approved_on + dt.timedelta(days=1)
    row = TransitionLog.objects.get(application=app, transition="disburse")
    assert row.detail == {"date": (approved_on + dt.timedelta(days=1)).isoformat()}
    assert row.amount == Decimal("1000.00")
