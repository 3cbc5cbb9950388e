"""A transition's 200 body (built from its saved instance) equals a GET right after (``tests.api.helpers.go``),
for the transitions the flow tests do not take through ``go``. Written by a reviewer of that change."""

import pytest

from tests.api.helpers import go
from tests.funding.helpers import no_publicity, step, subsidy_app, to_approved, to_publicity

pytestmark = pytest.mark.django_db


def test_revoke(world, api):
    app = to_approved(world, subsidy_app(world))
    assert go(api(world.finance), app.pk, "revoke", comment="撤销理由").status_code == 200


def test_terminate_after_a_payment(world, api):
    app = to_approved(world, subsidy_app(world))
    fin = api(world.finance)
    r = go(fin, app.pk, "disburse", amount="1.00", voucher_no="REV-T-1")
    assert r.status_code in (200, 409), r.json()
    r = go(fin, app.pk, "terminate", comment="终止理由")
    assert r.status_code == 200, r.json()


def test_withdraw_return_reject(world, api):
    a = subsidy_app(world)
    assert go(api(world.applicant1), a.pk, "withdraw").status_code == 200
    b = subsidy_app(world)
    step(b, "submit", world.applicant1)
    assert go(api(world.clerk), b.pk, "return_for_revision", comment="补正").status_code == 200
    assert go(api(world.applicant1), b.pk, "submit").status_code == 200
    assert go(api(world.clerk), b.pk, "reject", comment="不予通过").status_code == 200


def test_publish_then_approve(world, api):
    no_publicity(world)
    a = subsidy_app(world)
    step(a, "submit", world.applicant1)
    step(a, "accept", world.clerk)
    assert go(api(world.clerk), a.pk, "publish").status_code == 200
    assert go(api(world.finance), a.pk, "approve").status_code == 200


def test_publicity_reject_by_finance(world, api):
    a = subsidy_app(world)
    to_publicity(world, a)
    r = go(api(world.finance), a.pk, "reject", comment="财政不予通过")
    assert r.status_code in (200, 403, 409), r.json()
