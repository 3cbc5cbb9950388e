"""The world the security suites run against: ``build_world()`` plus one object per kind, created
through the services and owned by ``applicant1`` / ``bank1``, so the other tenant (``applicant2`` /
``bank2``) can be checked; an API token per caller.

A builder of its own only because ``secworld`` (tests/security/conftest.py) is built once per module, for
speed, where the per-test ``world`` fixture cannot be used; the region, programs, budgets and users are
``build_world()``'s."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.models import ApiToken
from applicants import services as applicant_services
from core.models import InboxMessage
from funding import documents
from funding import services as funding_services
from funding.workflow import ProgramCode, Transition
from pledges import services as pledge_services
from reports import jobs as report_jobs
from tests import factories
from tests.pledges.helpers import loan_body

# The callers of every matrix row: anonymous, each role, and the other tenant of applicant / bank.
CALLERS = ("anon", "applicant1", "applicant2", "clerk", "expert1", "finance", "fincenter", "bank1", "bank2", "admin")

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class SecWorld:
    world: factories.World
    users: dict = field(default_factory=dict)  # caller name -> User (no "anon")
    tokens: dict = field(default_factory=dict)  # caller name -> token key
    objects: dict = field(default_factory=dict)  # kind -> id / value used in URLs and bodies


def _patent(user, year: int) -> str:
    asset = applicant_services.ip_asset_register(
        by=user, kind="patent", number=factories.make_patent_number(year=year - 1), title="一种脆李保鲜方法",
        granted_on=datetime.date(year - 1, 6, 1), country="CN",
    )
    return asset.number


def build_security_world() -> SecWorld:
    world = factories.build_world()
    sec = SecWorld(world=world)
    sec.users = {
        "applicant1": world.applicant1, "applicant2": world.applicant2, "clerk": world.clerk,
        "expert1": world.experts[0], "finance": world.finance, "fincenter": world.fincenter,
        "bank1": world.bank1_user, "bank2": world.bank2_user, "admin": world.admin,
    }
    sec.tokens = {name: ApiToken.issue(user, name="security tests")[1] for name, user in sec.users.items()}
    year = world.year
    a1 = world.applicant1

    patents = [_patent(a1, year) for _ in range(4)]
    draft = funding_services.application_create(
        by=a1, program_code=ProgramCode.APPLICATION_SUBSIDY, title="草稿：专利资助",
        details={"patents": [patents[0]], "official_fees_paid": Decimal("5000.00")},
    )
    submitted = funding_services.application_create(
        by=a1, program_code=ProgramCode.APPLICATION_SUBSIDY, title="已提交：专利资助",
        details={"patents": [patents[1]], "official_fees_paid": Decimal("5000.00")},
    )
    funding_services.application_transition(application_id=submitted.pk, name=Transition.SUBMIT, by=a1)
    review = funding_services.application_create(
        by=a1, program_code=ProgramCode.INDUSTRIALIZATION, title="评审中：专利产业化", requested_amount=Decimal("100000.00"),
        details={"patents": [patents[2]], "total_investment": Decimal("500000.00"),
                 "self_funding": Decimal("200000.00"), "expected_output_value": Decimal("1000000.00"), "jobs": 10},
    )
    funding_services.application_transition(application_id=review.pk, name=Transition.SUBMIT, by=a1)
    funding_services.application_transition(application_id=review.pk, name=Transition.ACCEPT, by=world.clerk)
    funding_services.application_transition(application_id=review.pk, name=Transition.SEND_TO_REVIEW, by=world.clerk)
    doc = documents.document_attach(
        application_id=draft.pk, by=a1, kind="专利证书",
        uploaded_file=SimpleUploadedFile("证书.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    loan = pledge_services.loan_register(
        by=world.bank1_user, **loan_body(borrower_credit_code=world.enterprise1.credit_code),
    )
    # A queued budget-report job of finance's (it never runs: the world is never committed).
    job = report_jobs.request_report_job(by=world.finance, year=year, fmt="csv")
    sec.objects = {
        "app_draft": draft.pk, "app_submitted": submitted.pk, "app_review": review.pk, "document": doc.pk,
        "loan": loan.pk, "free_patent": patents[3], "year": year, "today": timezone.localdate().isoformat(),
        "program": ProgramCode.APPLICATION_SUBSIDY, "report_job": job.pk,
        "applicant": world.enterprise1.pk,  # applicant1's enterprise: the staff page of an applicant (失信)
        "region_code": world.region.code,
        # The clerk's inbox message about the submission: no one else may open it.
        "inbox_message": InboxMessage.objects.filter(user=world.clerk).order_by("id").first().pk,
    }
    return sec
