"""公示异议 (issue #12): objections during the notice, approval waits for them, upheld sends the case
back (a new round), dismissed lets the notice run on. One behaviour per test."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from funding import objections, services
from funding.models import Application, Objection, TransitionLog
from tests.clients import api_client
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_publicity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]
REASON = "该项目申报的专利实际由他人发明，申报材料与事实不符。"


def _in_notice(world):
    no_publicity(world)
    return to_publicity(world, subsidy_app(world))


def _object(app, **overrides):
    body = {"name": "王五", "phone": "023-57681234", "reason": REASON}
    body.update(overrides)
    return objections.objection_submit(application_id=app.pk, address="203.0.113.7", **body)


def test_anyone_objects_without_login_while_the_case_is_in_its_notice(world):
    app = _in_notice(world)
    r = APIClient().post(f"/api/v1/applications/{app.pk}/objections/", {"name": "王五", "phone": "13800000000",
                                                                      "reason": REASON}, format="json")
    assert r.status_code == 201, r.json()
    assert set(r.json()) == {"id", "application", "created_at"}  # nothing about other objectors


def test_an_objection_outside_the_notice_is_404(world):
    app = subsidy_app(world)
    with pytest.raises(NotFound):
        _object(app)


def test_a_real_name_and_a_reason_are_required(world):
    app = _in_notice(world)
    with pytest.raises(Invalid) as err:
        _object(app, name="王")
    assert err.value.field == "name"
    with pytest.raises(Invalid) as err:
        _object(app, reason="不同意")
    assert err.value.field == "reason"


def test_objections_are_rate_limited_per_address(world):
    app = _in_notice(world)
    for _ in range(objections.PER_ADDRESS_PER_HOUR):
        _object(app)
    with pytest.raises(TooMany):
        _object(app)


def test_approval_waits_for_an_open_objection(world):
    app = _in_notice(world)
    _object(app)
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance)
    assert err.value.code == "objection_pending"


def test_a_dismissed_objection_lets_the_notice_run_on(world):
    app = _in_notice(world)
    objection = _object(app)
    objections.objection_resolve(by=world.clerk, application_id=app.pk, objection_id=objection.pk, upheld=False,
                                 comment="经核查，发明人署名无误")
    objection.refresh_from_db()
    assert (objection.upheld, objection.resolved_by) == (False, world.clerk)
    assert step(app, "approve", world.finance).approved_amount == Decimal("1000.00")


def test_an_upheld_objection_sends_a_case_without_experts_back_to_intake(world):
    app = _in_notice(world)
    objection = _object(app)
    objections.objection_resolve(by=world.clerk, application_id=app.pk, objection_id=objection.pk, upheld=True,
                                 comment="异议成立，重新审查")
    app.refresh_from_db()
    assert (app.state, app.publicity_ends_on) == ("accepted", None)
    row = TransitionLog.objects.get(application=app, transition="uphold_objection")
    assert (row.from_state, row.to_state, row.detail) == ("publicity", "accepted", {"objection": objection.pk})
    assert Objection.objects.get(pk=objection.pk).upheld is True


def test_an_upheld_objection_sends_a_reviewed_case_back_to_a_new_round(world):
    app = industrialization_app(world, amount="200000.00")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal("200000.00"))
    step(app, "publish", world.clerk)
    objection = _object(app)
    objections.objection_resolve(by=world.clerk, application_id=app.pk, objection_id=objection.pk, upheld=True,
                                 comment="请专家重新评审")
    app = Application.objects.get(pk=app.pk)
    assert (app.state, app.review_round) == ("under_review", 2)


def test_only_the_intake_role_resolves(world):
    app = _in_notice(world)
    objection = _object(app)
    with pytest.raises(NotAllowed):
        objections.objection_resolve(by=world.finance, application_id=app.pk, objection_id=objection.pk,
                                     upheld=False, comment="驳回")


def test_staff_list_objections_and_applicants_do_not(world):
    app = _in_notice(world)
    _object(app)
    url = f"/api/v1/applications/{app.pk}/objections/"
    assert api_client(world.clerk).get(url).json()["count"] == 1
    assert api_client(world.applicant1).get(url).status_code == 403


def test_the_api_resolves_an_objection(world):
    app = _in_notice(world)
    objection = _object(app)
    r = api_client(world.clerk).post(f"/api/v1/applications/{app.pk}/objections/{objection.pk}/resolve/",
                                     {"upheld": False, "comment": "驳回"}, format="json")
    assert r.status_code == 200 and r.json()["upheld"] is False
    assert Client().get("/funding/notices/").status_code == 200
