"""Shortcuts that drive applications through the real services."""

from decimal import Decimal

from django.utils import timezone

from funding import services
from funding.models import Application, Program
from funding.workflow import ProgramCode
from tests import factories


def subsidy_app(world, user=None, *, fees="5000.00", patents=None):
    user = user or world.applicant1
    patents = patents or [factories.PatentFactory(owner=user.applicant)]
    return services.application_create(by=user, program_code=ProgramCode.APPLICATION_SUBSIDY, title="专利资助申请",
                                       details={"patents": [p.number for p in patents], "official_fees_paid": fees})


def industrialization_app(world, user=None, amount="300000.00"):
    user = user or world.applicant1
    patent = factories.PatentFactory(owner=user.applicant)
    return services.application_create(
        by=user, program_code=ProgramCode.INDUSTRIALIZATION, title="脆李深加工产业化", requested_amount=Decimal(amount),
        details={"patents": [patent.number], "total_investment": "2000000.00", "self_funding": "1000000.00",
                 "expected_output_value": "5000000.00", "jobs": 20})


def step(app, name, by, **kwargs):
    return services.application_transition(application_id=app.pk, name=name, by=by, **kwargs)


def no_publicity(world, code=ProgramCode.APPLICATION_SUBSIDY):
    """No notice wait: the program's notices last 0 days, and those running now have run out (a
    notice's end is fixed at publication, so the rule change alone would not end them)."""
    Program.objects.filter(pk=world.programs[code].pk).update(publicity_days=0)
    Application.objects.filter(program=world.programs[code], state="publicity").update(
        publicity_ends_on=timezone.localdate())


def to_publicity(world, app):
    step(app, "submit", world.applicant1 if app.applicant_id == world.enterprise1.pk else world.applicant2)
    step(app, "accept", world.clerk)
    return step(app, "publish", world.clerk)


def to_approved(world, app, **data):
    no_publicity(world, app.program.code)
    to_publicity(world, app)
    return step(app, "approve", world.finance, data=data)
