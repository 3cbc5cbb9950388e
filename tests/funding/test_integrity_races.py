"""Issue #10 under real concurrency (PostgreSQL, real threads, committed transactions): the yearly
cap holds however many submissions and approvals race, and approve/revoke take their locks in one
order (no deadlock, no 500)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from applicants.errors import Conflict
from funding import clawbacks, counts, services
from funding.bounds import HOLDING_STATES, PENDING_STATES
from funding.models import Application, Clawback, Program
from funding.verify import ledger_violations
from tests import factories
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_approved
from tests.funding.test_concurrency import role_groups, run_in_threads  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def _held(world, program) -> Decimal:
    apps = Application.objects.filter(applicant=world.enterprise1, program=program, fiscal_year=world.year)
    held = sum((a.approved_amount for a in apps.filter(state__in=HOLDING_STATES)), Decimal("0"))
    return held + sum((a.requested_amount for a in apps.filter(state__in=PENDING_STATES)), Decimal("0"))


def test_concurrent_submissions_never_exceed_the_yearly_cap():
    world = factories.build_world()
    program = world.programs["industrialization"]  # 1,000,000 per applicant and year
    drafts = [industrialization_app(world, amount="300000.00") for _ in range(THREADS)]

    def submit(app_id):
        return services.application_transition(application_id=app_id, name="submit", by=world.applicant1)

    results = run_in_threads(submit, [(d.pk,) for d in drafts])
    submitted = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(submitted) == 3 and len(refused) == THREADS - 3, results
    assert {r.code for r in refused} == {"above_yearly_cap"}
    assert _held(world, program) == Decimal("900000.00")


def test_submissions_racing_approvals_never_exceed_the_yearly_cap():
    world = factories.build_world()
    program = world.programs["industrialization"]  # 1,000,000 per applicant and year
    no_publicity(world, "industrialization")
    drafts = [industrialization_app(world, amount="200000.00") for _ in range(THREADS)]
    under_way = drafts[: THREADS // 2]
    for app in under_way:  # 4 × 200,000 held in publicity, reviewed at 200,000
        step(app, "submit", world.applicant1)
        step(app, "accept", world.clerk)
        step(app, "send_to_review", world.clerk)
        for expert in world.experts:
            services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal("200000.00"))
        step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")

    def act(app_id, name, user):
        return services.application_transition(application_id=app_id, name=name, by=user)

    jobs = [(a.pk, "approve", world.finance) for a in under_way]
    jobs += [(a.pk, "submit", world.applicant1) for a in drafts[THREADS // 2:]]
    results = run_in_threads(act, jobs)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)], results
    assert sum(isinstance(r, Application) for r in results[THREADS // 2:]) == 1  # room for one more 200,000
    assert _held(world, program) == Decimal("1000000.00")
    assert ledger_violations() == []


def test_approve_and_revoke_at_once_neither_deadlock_nor_fail():
    world = factories.build_world()
    program = world.programs["application_subsidy"]
    Program.objects.filter(pk=program.pk).update(cap_per_applicant_year=None)
    no_publicity(world)
    today = timezone.localdate()
    pending = Application.objects.bulk_create([
        Application(program=program, applicant=world.enterprise1, fiscal_year=world.year, title=f"待批 {i}",
                    requested_amount=Decimal("1000.00"), state="publicity", publicity_started_on=today,
                    publicity_ends_on=today) for i in range(THREADS // 2)])
    to_revoke = Application.objects.bulk_create([
        Application(program=program, applicant=world.enterprise2, fiscal_year=world.year, title=f"撤销 {i}",
                    requested_amount=Decimal("1000.00"), state="publicity", publicity_started_on=today,
                    publicity_ends_on=today) for i in range(THREADS // 2)])
    counts.rebuild()  # the bulk inserts bypassed Application.save
    for app in to_revoke:
        step(app, "approve", world.finance)

    def act(app_id, name):
        return services.application_transition(application_id=app_id, name=name, by=world.finance,
                                               comment="并发撤销" if name == "revoke" else "")

    jobs = [(a.pk, "approve") for a in pending] + [(a.pk, "revoke") for a in to_revoke]
    results = run_in_threads(act, jobs)
    assert all(isinstance(r, Application) for r in results), results
    assert Application.objects.filter(pk__in=[a.pk for a in pending], state="approved").count() == len(pending)
    assert Application.objects.filter(pk__in=[a.pk for a in to_revoke], state="rejected").count() == len(to_revoke)
    assert ledger_violations() == []
    assert connection.vendor == "postgresql"


def test_concurrent_clawbacks_never_recover_more_than_was_paid():
    world = factories.build_world()
    app = to_approved(world, subsidy_app(world))
    step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "PZ-R"})

    def claw(i):
        return clawbacks.clawback_record(by=world.finance, application_id=app.pk, amount="400.00",
                                         date=timezone.localdate(), voucher_no=f"ZH-R{i}", reason="并发追回")

    results = run_in_threads(claw, [(i,) for i in range(THREADS)])
    assert sum(isinstance(r, Clawback) for r in results) == 2, results
    assert {r.code for r in results if isinstance(r, Conflict)} == {"above_paid"}
    assert Application.objects.get(pk=app.pk).clawed_back_amount == Decimal("800.00")
    assert ledger_violations() == []
