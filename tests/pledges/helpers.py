"""Builders shared by the pledge tests (bodies the banks send, loans registered through the service)."""

import itertools
from decimal import Decimal

from django.utils import timezone

from funding import services as funding_services
from funding.models import Application
from pledges import services
from tests.factories import make_credit_code, make_patent_number

_contracts = itertools.count(1)


def loan_body(**overrides) -> dict:
    year = timezone.localdate().year
    body = {
        "contract_no": f"WS-{year}-{next(_contracts):04d}",
        "borrower_credit_code": make_credit_code(),
        "borrower_name": "巫山县某某农业开发有限公司",
        "principal": "3000000.00",
        "annual_rate": "0.0385",
        "start_date": f"{year - 1}-03-01",
        "maturity_date": f"{year + 1}-02-28",
        "pledge_registration_no": "2026500000123",
        "rights": [
            {"kind": "patent", "number": make_patent_number(year=year - 2), "valuation": "4500000.00"},
            {"kind": "trademark", "number": str(40000000 + next(_contracts)), "valuation": "800000.00"},
        ],
    }
    body.update(overrides)
    return body


def register(bank_user, **overrides):
    return services.loan_register(by=bank_user, **loan_body(**overrides))


def money(value: str) -> Decimal:
    return Decimal(value)


THIS_YEAR = timezone.localdate().year
IN_TERM = f"{THIS_YEAR}-01-01"  # inside the term of every loan_body() loan, and never in the future


def claim_of(loan):
    return Application.objects.get(risk_claim__loan_id=loan.pk)


def defaulted(world, loan, outstanding="2000000.00", *, bank_user=None, on=IN_TERM):
    """``loan`` defaulted through the service; returns its risk-compensation application (submitted)."""
    services.loan_default(by=bank_user or world.bank1_user, loan_id=loan.pk,
                          **{"date": on, "outstanding_principal": outstanding})
    return claim_of(loan)


def pay_claim(world, app, *, amount: str | None = None, voucher: str | None = None):
    """Accept, approve (at the bound) and pay a risk-compensation claim in full (or ``amount``)."""
    funding_services.application_transition(application_id=app.pk, name="accept", by=world.fincenter)
    app = funding_services.application_transition(application_id=app.pk, name="approve", by=world.finance)
    return funding_services.application_transition(
        application_id=app.pk, name="disburse", by=world.finance,
        data={"amount": amount or str(app.approved_amount), "voucher_no": voucher or f"V-RC-{app.pk}"})


def compensated(world, outstanding="2000000.00", *, bank_user=None, **loan):
    """A loan registered, defaulted at ``outstanding`` and compensated (its claim paid in full)."""
    bank_user = bank_user or world.bank1_user
    registered = register(bank_user, **loan)
    pay_claim(world, defaulted(world, registered, outstanding, bank_user=bank_user))
    return registered
