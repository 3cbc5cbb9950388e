"""Builders shared by the pledge tests (bodies the banks send, loans registered through the service)."""

import itertools
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

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
    return services.loan_register(by=bank_user, data=loan_body(**overrides))


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def money(value: str) -> Decimal:
    return Decimal(value)


THIS_YEAR = timezone.localdate().year
IN_TERM = f"{THIS_YEAR}-01-15"  # inside the term of every loan_body() loan
