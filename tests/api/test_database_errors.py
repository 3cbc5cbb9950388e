"""Issue #10 "no 500 from the database": a ``DataError`` is a 400, a deadlock / serialization failure /
lock timeout a 409 ``concurrent_modification`` — on the API (``api.exceptions``) and on the pages
(``core.web.run_service`` / ``run_form_service``). Any other database fault stays a 500.

The errors are raised the way Django's PostgreSQL backend raises them: psycopg's exception inside
``DatabaseErrorWrapper``, so the Django error carries psycopg's as ``__cause__`` (on either test
database: the wrapper is given psycopg as its driver).
"""

from types import SimpleNamespace

import psycopg
import pytest
from django.db import DataError, OperationalError
from django.db.utils import DatabaseErrorWrapper
from psycopg import errors as pg

from applicants import services as applicant_services
from funding import services as funding_services
from tests.clients import api_client, page_client
from tests.funding.helpers import step, subsidy_app

pytestmark = pytest.mark.django_db


def as_django_raises(psycopg_error: Exception):
    """A callable that raises ``psycopg_error`` wrapped as Django wraps it."""

    def raiser(*args, **kwargs):
        with DatabaseErrorWrapper(SimpleNamespace(Database=psycopg, errors_occurred=False)):
            raise psycopg_error

    return raiser


def adjust(user):
    return api_client(user).post("/api/v1/budgets/adjustments/", {"program": "patent_award", "year": 2026,
                                                           "amount": "1.00", "reason": "追加"}, format="json")


def test_the_wrapping_is_the_one_django_uses():
    with pytest.raises(OperationalError) as info:
        as_django_raises(pg.DeadlockDetected("deadlock detected"))()
    assert isinstance(info.value.__cause__, pg.DeadlockDetected)


def test_a_data_error_on_the_api_is_400_non_field_errors(world, monkeypatch):
    monkeypatch.setattr(funding_services, "budget_adjust",
                        as_django_raises(pg.NumericValueOutOfRange("numeric field overflow")))
    response = adjust(world.finance)
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"] and response.json()["non_field_errors"][0]


@pytest.mark.parametrize("error", [pg.DeadlockDetected("deadlock detected"),
                                   pg.SerializationFailure("could not serialize access"),
                                   pg.LockNotAvailable("could not obtain lock on row")])
def test_a_deadlock_or_serialization_failure_on_the_api_is_409_concurrent_modification(world, monkeypatch, error):
    monkeypatch.setattr(funding_services, "budget_adjust", as_django_raises(error))
    response = adjust(world.finance)
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_modification" and response.json()["detail"]


def test_a_deadlock_in_a_transition_is_409(world, monkeypatch):
    app = subsidy_app(world)
    monkeypatch.setattr(funding_services, "application_transition",
                        as_django_raises(pg.DeadlockDetected("deadlock detected")))
    response = api_client(world.applicant1).post(f"/api/v1/applications/{app.pk}/transitions/submit/", {},
                                          format="json")
    assert response.status_code == 409 and response.json()["code"] == "concurrent_modification"


def test_another_operational_error_is_still_a_server_fault(world, monkeypatch):
    monkeypatch.setattr(funding_services, "budget_adjust",
                        as_django_raises(pg.OperationalError("server closed the connection unexpectedly")))
    with pytest.raises(OperationalError):
        adjust(world.finance)


def test_a_django_data_error_without_a_cause_is_400_too(world, monkeypatch):
    def raiser(**kwargs):
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(funding_services, "budget_adjust", raiser)
    assert adjust(world.finance).status_code == 400


# --- pages ---------------------------------------------------------------------------------------

def test_a_deadlock_on_a_page_action_is_a_message_not_a_500(world, monkeypatch):
    app = subsidy_app(world)
    monkeypatch.setattr(funding_services, "application_transition",
                        as_django_raises(pg.DeadlockDetected("deadlock detected")))
    response = page_client(world.applicant1).post(f"/funding/{app.pk}/transitions/submit/",
                                                  {"confirmed": "1", "pledge_accepted": "on"}, follow=True)
    assert response.status_code == 200
    assert "同时修改" in response.content.decode()


def test_a_data_error_on_a_page_action_is_a_message_not_a_500(world, monkeypatch):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    monkeypatch.setattr(funding_services, "application_transition",
                        as_django_raises(pg.StringDataRightTruncation("value too long")))
    response = page_client(world.clerk).post(f"/funding/{app.pk}/transitions/accept/", follow=True)
    assert response.status_code == 200
    assert "超出了允许的范围或格式" in response.content.decode()


def test_a_data_error_in_a_page_form_is_a_form_error(world, monkeypatch):
    monkeypatch.setattr(applicant_services, "ip_asset_register",
                        as_django_raises(pg.NumericValueOutOfRange("smallint out of range")))
    response = page_client(world.applicant1).post("/applicants/ip-assets/new/", {
        "kind": "trademark", "number": "12345678", "title": "巫山脆李", "country": "CN", "nice_class": "31"})
    assert response.status_code == 200
    assert "超出了允许的范围或格式" in response.content.decode()
