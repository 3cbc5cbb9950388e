"""The public notice (公示) of issue #12: its end in China's working days, the amount it proposes (the
bound, not the request), the document the public reads without login (names masked, no ID numbers),
and the objection form reached from it."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict
from funding import ledger, services
from funding.audit import case_findings
from funding.models import Application, Objection, Program, TransitionLog
from funding.public_notice import mask_name
from tests import factories
from tests.clients import page_client
from tests.funding.helpers import no_publicity, step, subsidy_app

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]
REASON = "该项目申报的专利实际由他人发明，申报材料与事实不符。"


@pytest.fixture
def today(monkeypatch):
    """Set the date every service reads (``timezone.localdate``)."""
    def set_to(day: date):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)
    return set_to


def _published(world, on: date, today, **rules):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(publicity_days=5, **rules)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    today(on)
    return step(app, "publish", world.clerk)


def test_a_notice_published_before_national_day_ends_on_the_right_working_day(world, today):
    app = _published(world, date(2026, 9, 30), today)
    assert (app.publicity_started_on, app.publicity_ends_on) == (date(2026, 9, 30), date(2026, 10, 13))


def test_approval_waits_until_the_notice_has_run_out(world, today):
    app = _published(world, date(2026, 9, 30), today)
    today(date(2026, 10, 13))  # its last day: objections are still possible
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance)
    assert err.value.code == "publicity_not_elapsed"
    assert "2026-10-13" in err.value.message
    today(date(2026, 10, 14))
    assert step(app, "approve", world.finance).state == "approved"


def test_a_program_may_count_calendar_days(world, today):
    app = _published(world, date(2026, 9, 30), today, publicity_day_kind="calendar")
    assert app.publicity_ends_on == date(2026, 10, 5)


def test_the_notice_proposes_the_bound_not_the_request(world):
    budget = world.budgets["application_subsidy"]
    available = ledger.budget_figures(budget).available
    services.budget_adjust(by=world.finance, program_code="application_subsidy", year=budget.year,
                           amount=-(available - Decimal("600.00")), reason="年中调减")
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "publish", world.clerk)
    assert app.requested_amount == Decimal("1000.00")
    assert app.proposed_amount == Decimal("600.00")
    row = TransitionLog.objects.filter(application=app, transition="publish").get()
    assert row.amount == Decimal("600.00")  # the chained row records it


@pytest.mark.tampers
def test_a_proposed_amount_edited_in_sql_is_a_finding(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    Application.objects.filter(pk=app.pk).update(proposed_amount=Decimal("99999.00"))
    assert any(f"#{app.pk}" in finding and "拟资助" in finding for finding in case_findings())


def test_names_of_individual_inventors_are_masked():
    assert [mask_name(n) for n in ("张三丰", "张三", "欧阳娜娜", "李")] == ["张*丰", "张*", "欧**娜", "李"]


def _notice_url(world, year=None):
    return f"/funding/notices/{world.region.code}/application_subsidy/{year or world.year}/"


def test_the_notice_is_a_document_anyone_can_read(world):
    world.region.notice_office, world.region.notice_address, world.region.notice_phone = (
        "巫山县市场监督管理局", "巫山县高唐街道广东中路 1 号", "023-57681234")
    world.region.save()
    person = factories.IndividualFactory(region=world.region, name="张三丰")
    inventor = factories.UserFactory(username="inventor", role="applicant", region=world.region, applicant=person)
    enterprise_case = subsidy_app(world)
    inventor_case = subsidy_app(world, inventor)
    for app, user in ((enterprise_case, world.applicant1), (inventor_case, inventor)):
        step(app, "submit", user)
        step(app, "accept", world.clerk)
        step(app, "publish", world.clerk)
    board = page_client().get("/funding/notices/")
    assert board.status_code == 200
    assert _notice_url(world).encode() in board.content
    page = page_client().get(_notice_url(world)).content.decode()
    assert f"关于 {world.year} 年度专利资助拟资助项目的公示" in page
    assert "张*丰" in page and "张三丰" not in page
    assert person.resident_id not in page and world.enterprise1.credit_code not in page
    assert world.enterprise1.name in page
    assert "1,000.00" in page  # the proposed amount
    assert "巫山县市场监督管理局" in page and "023-57681234" in page and "巫山县高唐街道广东中路 1 号" in page
    assert f"/funding/notices/objections/{inventor_case.pk}/" in page


def test_the_print_view_stands_alone(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    page = page_client().get(_notice_url(world) + "?print=1").content.decode()
    assert "拟资助项目的公示" in page
    assert 'class="navbar' not in page and "/funding/notices/objections/" not in page


def test_a_notice_with_no_case_in_it_is_404(world):
    assert page_client().get(_notice_url(world)).status_code == 404
    assert page_client().get(f"/funding/notices/999999/application_subsidy/{world.year}/").status_code == 404


def test_the_login_page_links_to_the_notices():
    assert b'href="/funding/notices/"' in page_client().get("/accounts/login/").content


def test_anyone_objects_from_the_notice_page(world):
    no_publicity(world)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    client = page_client()
    assert client.get(f"/funding/notices/objections/{app.pk}/").status_code == 200
    r = client.post(f"/funding/notices/objections/{app.pk}/", {"name": "王五", "phone": "13800000000",
                                                                "reason": REASON})
    assert r.status_code == 200
    objection = Objection.objects.get(application=app)
    assert (objection.name, objection.address) == ("王五", "127.0.0.1")
    assert f"{objection.pk}".encode() in r.content
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance)
    assert err.value.code == "objection_pending"


def test_a_bad_objection_says_what_is_wrong_and_keeps_what_was_typed(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    r = page_client().post(f"/funding/notices/objections/{app.pk}/", {"name": "王五", "phone": "12",
                                                                       "reason": REASON})
    assert r.status_code == 409
    assert "有效的联系电话" in r.content.decode() and REASON in r.content.decode()
    assert not Objection.objects.exists()


def test_objections_from_one_address_are_limited(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    client = page_client()
    body = {"name": "王五", "phone": "13800000000", "reason": REASON}
    codes = [client.post(f"/funding/notices/objections/{app.pk}/", body).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_a_case_not_in_its_notice_takes_no_objection(world):
    app = subsidy_app(world)
    assert page_client().get(f"/funding/notices/objections/{app.pk}/").status_code == 404


def test_staff_are_told_when_the_holidays_of_a_coming_year_are_unknown(world, today):
    today(date(2026, 12, 1))  # chinese-calendar 1.11 knows up to 2026
    page = page_client(world.clerk).get("/funding/notices/").content.decode()
    assert "2027" in page and "role=\"alert\"" in page
    assert "2027" not in page_client().get("/funding/notices/").content.decode()  # the public is not
