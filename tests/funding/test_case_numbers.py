"""受理编号 and the receipt: WS-ZL-2026-0007, given at the first submission, sequential per program and
year, kept on resubmission, unique however many submissions race (PostgreSQL, real threads)."""

import pytest
from django.utils import timezone

from funding import case_numbers, integrity_pledge, services
from funding.models import Application, Program
from tests import factories
from tests.clients import api_client, page_client
from tests.funding.helpers import industrialization_app, step, subsidy_app
from tests.funding.test_concurrency import run_in_threads
from tests.pledges.helpers import defaulted, register

YEAR = timezone.localdate().year


@pytest.mark.django_db
def test_the_first_submissions_are_numbered_in_order_per_program(world):
    drafts = [subsidy_app(world) for _ in range(3)]
    assert drafts[0].case_no is None
    for app in drafts:
        step(app, "submit", world.applicant1)
    assert [Application.objects.get(pk=a.pk).case_no for a in drafts] == [
        f"WS-ZL-{YEAR}-0001", f"WS-ZL-{YEAR}-0002", f"WS-ZL-{YEAR}-0003"]
    plan = industrialization_app(world)
    assert step(plan, "submit", world.applicant1).case_no == f"WS-CY-{YEAR}-0001"  # its own sequence


@pytest.mark.django_db
def test_a_resubmission_keeps_the_number_and_a_draft_has_none(world):
    app = subsidy_app(world)
    first = step(app, "submit", world.applicant1).case_no
    step(app, "return_for_revision", world.clerk, comment="补正")
    assert step(app, "submit", world.applicant1, comment="已补正").case_no == first
    assert subsidy_app(world).case_no is None
    assert Application.objects.filter(case_no=first).count() == 1


@pytest.mark.django_db
def test_the_county_prefix_is_a_setting_and_each_program_has_its_own(world, settings):
    settings.IPFUND_CASE_PREFIX = "WX"
    assert step(subsidy_app(world), "submit", world.applicant1).case_no == f"WX-ZL-{YEAR}-0001"
    assert case_numbers.PROGRAM_PREFIXES == {"industrialization": "CY", "application_subsidy": "ZL",
                                             "patent_award": "JL", "interest_subsidy": "TX",
                                             "risk_compensation": "FX"}


@pytest.mark.django_db
def test_a_risk_compensation_claim_is_numbered_when_the_bank_reports_the_default(world):
    claim = defaulted(world, register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code))
    assert claim.state == "submitted" and Application.objects.get(pk=claim.pk).case_no == f"WS-FX-{YEAR}-0001"


@pytest.mark.django_db
def test_serials_go_past_9999(world):
    taken = subsidy_app(world)
    Application.objects.filter(pk=taken.pk).update(case_no=f"WS-ZL-{YEAR}-9999")
    assert case_numbers.next_serial(f"WS-ZL-{YEAR}-") == 10000
    assert step(subsidy_app(world), "submit", world.applicant1).case_no == f"WS-ZL-{YEAR}-10000"


@pytest.mark.django_db
def test_the_number_shows_on_the_detail_page_the_lists_and_the_api(world):
    app = step(subsidy_app(world), "submit", world.applicant1)
    me = page_client(world.applicant1)
    assert app.case_no in me.get(f"/funding/{app.pk}/").content.decode()
    assert app.case_no in me.get("/funding/").content.decode()
    assert app.case_no in page_client(world.clerk).get("/funding/intake/").content.decode()
    api = api_client(world.applicant1)
    assert api.get(f"/api/v1/applications/{app.pk}/").json()["case_no"] == app.case_no
    listed = api.get("/api/v1/applications/").json()["results"]
    assert [row["case_no"] for row in listed] == [app.case_no]


@pytest.mark.django_db
def test_the_api_cannot_set_a_case_number(world):
    app = subsidy_app(world)
    response = api_client(world.applicant1).patch(f"/api/v1/applications/{app.pk}/", {"case_no": "WS-ZL-2000-0001"},
                                                  format="json")
    assert response.status_code == 400
    assert Application.objects.get(pk=app.pk).case_no is None


@pytest.mark.django_db
def test_the_receipt_gives_the_number_amounts_and_next_steps(world):
    app = step(subsidy_app(world, fees="3000.00"), "submit", world.applicant1, data={"pledge_accepted": True})
    page = page_client(world.applicant1).get(f"/funding/{app.pk}/receipt/").content.decode()
    for text in (app.case_no, "专利资助", app.title, world.enterprise1.name, "1,000.00 元", "壹仟元整",
                 "形式审查", "公示 5 天", integrity_pledge.VERSION):
        assert text in page, text
    assert f'href="/funding/{app.pk}/form.pdf"' in page
    assert f'href="/funding/{app.pk}/receipt/"' in page_client(world.applicant1).get(f"/funding/{app.pk}/").content.decode()
    assert page_client(world.clerk).get(f"/funding/{app.pk}/receipt/").status_code == 200
    assert page_client(world.applicant2).get(f"/funding/{app.pk}/receipt/").status_code == 404


@pytest.mark.django_db
def test_a_draft_has_no_receipt(world):
    assert page_client(world.applicant1).get(f"/funding/{subsidy_app(world).pk}/receipt/").status_code == 404


# --- PostgreSQL: racing first submissions ------------------------------------------------------

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_first_submissions_get_distinct_consecutive_numbers():
    factories.ensure_role_groups()  # a transaction=True test's flush removed them
    world = factories.build_world()
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(cap_per_applicant_year=None)
    # Different applicants: no applicant lock serialises them, only the case number's index does.
    users = [world.applicant1, world.applicant2]
    for i in range(THREADS - 2):
        enterprise = factories.EnterpriseFactory(region=world.region)
        users.append(factories.UserFactory(username=f"racer{i}", role="applicant", region=world.region,
                                           applicant=enterprise))
    drafts = [subsidy_app(world, user) for user in users]

    def submit(app_id, user):
        return services.application_transition(application_id=app_id, name="submit", by=user,
                                               data={"pledge_accepted": True})

    results = run_in_threads(submit, [(d.pk, u) for d, u in zip(drafts, users, strict=True)])
    assert all(isinstance(r, Application) for r in results), results
    numbers = sorted(Application.objects.filter(pk__in=[d.pk for d in drafts]).values_list("case_no", flat=True))
    assert numbers == [f"WS-ZL-{YEAR}-{n:04d}" for n in range(1, THREADS + 1)]
