"""The data the readers' tests share (tests/api/test_readers*.py): loans and cases of every shape,
the users who look at them, and the question asked both ways (reader and ORM path)."""

import pytest
from django.contrib.auth.models import Group

from applicants.models import Role
from funding.models import Application, ReviewAssignment
from pledges import services
from pledges.models import PledgeLoan
from tests import factories
from tests.clients import api_client
from tests.funding.helpers import industrialization_app, step, subsidy_app, to_approved
from tests.pledges.helpers import IN_TERM, defaulted, register
from tests.pledges.test_risk_pool import make_pool, pay


def both(settings, user, path: str):
    """(reader's response, ORM path's response) to ``GET path`` as ``user``: status and JSON."""
    answers = []
    for fast in (True, False):
        settings.IPFUND_SQL_READERS = fast
        response = api_client(user).get(path)
        answers.append((response.status_code, response.json()))
    return answers


def other_region():
    region = factories.RegionFactory()
    bank = factories.BankFactory(region=region)
    return {"region": region, "bank": bank, "borrower": factories.EnterpriseFactory(region=region),
            "bank_user": factories.UserFactory(role=Role.BANK, region=region, bank=bank),
            "fincenter": factories.UserFactory(role=Role.FIN_CENTER, region=region),
            "clerk": factories.UserFactory(role=Role.IP_OFFICE, region=region)}


@pytest.fixture
def loans(world):
    """Loans of every shape: a pool's covered loan defaulted, compensated and recovered; one the pool
    did not take in; mixed collateral; repayments; another bank's; a loan of this county's bank to
    another county's borrower and one of another county's bank to this county's borrower."""
    other = other_region()
    make_pool(world, city="4000000.00", county="6000000.00")
    first = register(world.bank1_user, collateral_total="9000000.00")
    PledgeLoan.objects.filter(pk=first.pk).update(risk_pool=None)  # as one beyond the pool's leverage is
    covered = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code)
    pay(world, defaulted(world, covered, "2000000.00"), amount="100000.01")
    services.recovery_record(by=world.bank1_user, loan_id=covered.pk, **{"date": IN_TERM, "amount": "1000000.00"})
    repaid = register(world.bank1_user, collateral_total="7777777.77", insured_or_guaranteed=True)
    for interest in ("9625.00", "0.01", "12345.67"):
        services.repayment_record(by=world.bank1_user, loan_id=repaid.pk,
                                  **{"date": IN_TERM, "principal": "1000.10", "interest": interest})
    register(world.bank2_user)
    register(world.bank1_user, borrower_credit_code=other["borrower"].credit_code)
    register(other["bank_user"], borrower_credit_code=world.enterprise2.credit_code)
    register(other["bank_user"], borrower_credit_code=other["borrower"].credit_code)
    services.loan_settle(by=world.bank1_user, loan_id=first.pk, date=IN_TERM)
    return world, other


def loan_users(world, other):
    national = factories.UserFactory(role=Role.ADMIN, is_superuser=True, is_staff=True, region=None)
    return [world.bank1_user, world.bank2_user, world.fincenter, world.finance, world.admin, world.clerk,
            world.applicant1, other["bank_user"], other["fincenter"], national]


@pytest.fixture
def cases(world):
    """Drafts, submitted, returned, approved cases; a bank's risk claim; an expert's assignment; an
    automatically opened draft; another county's cases."""
    other = other_region()
    other_world = factories.build_world()  # another county, its programs and people
    subsidy_app(world)
    to_approved(world, subsidy_app(world))
    returned = step(subsidy_app(world), "submit", world.applicant1)
    step(returned, "return_for_revision", world.clerk, comment="请补充材料")
    sent = step(industrialization_app(world), "submit", world.applicant1)
    ReviewAssignment.objects.create(application=sent, expert=world.experts[0], round=1)
    subsidy_app(world, world.applicant2)
    step(subsidy_app(other_world), "submit", other_world.applicant1)
    make_pool(world)
    defaulted(world, register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code))
    opened = subsidy_app(world, world.applicant2)
    Application.objects.filter(pk=opened.pk).update(auto_opened=True)  # as 免申即享 leaves it
    both = factories.UserFactory(role=Role.APPLICANT, region=world.region, applicant=world.enterprise1)
    both.groups.add(Group.objects.get(name=Role.EXPERT))
    clerk_expert = factories.UserFactory(role=Role.IP_OFFICE, region=world.region)
    clerk_expert.groups.add(Group.objects.get(name=Role.EXPERT))
    ReviewAssignment.objects.create(application=sent, expert=clerk_expert, round=1)
    national = factories.UserFactory(role=Role.ADMIN, is_superuser=True, is_staff=True, region=None)
    users = [world.applicant1, world.applicant2, world.clerk, world.finance, world.fincenter, world.admin,
             world.experts[0], world.experts[1], world.bank1_user, world.bank2_user, both, clerk_expert, national,
             other["clerk"], other_world.clerk, other_world.applicant1]
    return world, users
