"""Issue #15: each application carries its program's region, so a county's list is one index range
("region", "id") whatever the other 37 counties add; the copy is filled on every path that writes
applications, and verify_audit catches it edited in SQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import audit_chain
from funding import counts, selectors
from funding.models import Application, ApplicationCount
from tests import factories
from tests.clients import api_client
from tests.funding.helpers import step, subsidy_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_program(world):
    other = factories.RegionFactory(code="500238", name="巫溪县")
    return factories.ProgramFactory(region=other, code="application_subsidy")


def test_a_new_application_takes_its_programs_region(world):
    app = subsidy_app(world)
    assert app.region_id == world.region.pk


def test_bulk_created_applications_take_their_programs_region(world, other_program):
    rows = Application.objects.bulk_create([
        Application(program=world.programs["application_subsidy"], applicant=world.enterprise1, fiscal_year=world.year,
                    title="甲", requested_amount="100.00"),
        Application(program_id=other_program.pk, applicant=world.enterprise1, fiscal_year=world.year,
                    title="乙", requested_amount="100.00"),
    ])
    assert [a.region_id for a in rows] == [world.region.pk, other_program.region_id]
    assert list(Application.objects.filter(pk__in=[a.pk for a in rows]).order_by("pk")
                .values_list("region_id", flat=True)) == [world.region.pk, other_program.region_id]


def test_the_clerk_lists_only_the_own_regions_cases_newest_first(world, other_program):
    mine = [step(subsidy_app(world), "submit", world.applicant1) for _ in range(2)]
    theirs = factories.ApplicationFactory(program=other_program, state="submitted")
    listed = list(selectors.applications_visible_to(world.clerk).values_list("pk", flat=True))
    assert listed == sorted((a.pk for a in mine), reverse=True) and theirs.pk not in listed


def test_the_staff_list_filters_on_the_region_copy_not_the_programs(world):
    with CaptureQueriesContext(connection) as ctx:
        list(selectors.applications_visible_to(world.clerk)[:20])
    main = next(q["sql"] for q in ctx.captured_queries if 'FROM "funding_application"' in q["sql"])
    where = main.split("WHERE")[1]
    assert '"funding_application"."region_id" >=' in where and '"funding_application"."region_id" <=' in where
    assert "U0" not in where
    assert 'ORDER BY "funding_application"."region_id" DESC, "funding_application"."id" DESC' in main


def test_counters_carry_the_region_and_answer_per_region(world, other_program):
    step(subsidy_app(world), "submit", world.applicant1)
    factories.ApplicationFactory(program=other_program, state="submitted")
    assert set(ApplicationCount.objects.filter(n__gt=0).values_list("program_id", "region_id")) == {
        (world.programs["application_subsidy"].pk, world.region.pk), (other_program.pk, other_program.region_id)}
    assert counts.visible_count(world.clerk, {"state": "submitted"}) == 1
    assert api_client(world.clerk).get("/api/v1/applications/").json()["count"] == 1


@pytest.mark.tampers
def test_a_region_moved_in_sql_is_a_finding(world, other_program):
    """Moving a case to another county's copy would hide it from its own clerk: the verifier says so."""
    app = step(subsidy_app(world), "submit", world.applicant1)
    Application.objects.filter(pk=app.pk).update(region_id=other_program.region_id)
    findings = audit_chain.verify_all(audit_chain.registered())
    assert any(f"申请 #{app.pk} 记载的行政区" in finding for finding in findings)


@pytest.mark.tampers
def test_a_counters_region_moved_in_sql_is_a_finding(world, other_program):
    step(subsidy_app(world), "submit", world.applicant1)
    ApplicationCount.objects.filter(n__gt=0).update(region_id=other_program.region_id)
    assert any("申请数量计数" in finding and "行政区" in finding for finding in counts.findings())


def test_rebuild_gives_counters_their_region(world):
    step(subsidy_app(world), "submit", world.applicant1)
    counts.rebuild()
    assert set(ApplicationCount.objects.values_list("region_id", flat=True)) == {world.region.pk}
    assert counts.findings() == []


def test_a_region_passed_by_the_caller_is_replaced_by_the_programs(world, other_program):
    app = factories.ApplicationFactory(program=world.programs["application_subsidy"], region=other_program.region)
    rows = Application.objects.bulk_create([Application(
        program=world.programs["application_subsidy"], region=other_program.region, applicant=world.enterprise1,
        fiscal_year=world.year, title="丙", requested_amount="100.00")])
    assert app.region_id == rows[0].region_id == world.region.pk
