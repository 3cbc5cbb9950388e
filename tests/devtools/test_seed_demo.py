"""seed_demo: the contract's demo world, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from applicants.identifiers import check_credit_code, check_patent_number
from applicants.models import Applicant, Bank, IPAsset, Role, User
from devtools.demo_data import DEMO_BUDGETS, DEMO_PASSWORD, USERS
from funding import ledger
from funding.models import Application, Budget, LedgerEntry, Program
from pledges.models import PledgeLoan

pytestmark = pytest.mark.django_db

CONTRACT_USERS = {
    "applicant1": Role.APPLICANT, "applicant2": Role.APPLICANT, "clerk": Role.IP_OFFICE, "expert1": Role.EXPERT,
    "expert2": Role.EXPERT, "expert3": Role.EXPERT, "finance": Role.FINANCE, "fincenter": Role.FIN_CENTER,
    "bank1": Role.BANK, "bank2": Role.BANK, "admin": Role.ADMIN,
}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = (User, Applicant, Bank, IPAsset, Program, Budget, LedgerEntry, Application, PledgeLoan)
    return {m.__name__: m.objects.count() for m in models}


def test_seed_demo_twice_creates_nothing_the_second_time():
    _seed()
    first = _counts()
    _seed()
    assert _counts() == first


def test_seed_demo_creates_every_contract_user_with_its_role_and_the_demo_password():
    _seed()
    for username, role in CONTRACT_USERS.items():
        user = User.objects.get(username=username)
        assert user.has_role(role), username
        assert user.check_password(DEMO_PASSWORD), username
        assert user.region.code == "500237"
    assert {u for u, *_ in USERS} == set(CONTRACT_USERS)


def test_demo_applicants_act_for_two_different_enterprises_and_banks_for_two_banks():
    _seed()
    users = {u.username: u for u in User.objects.filter(username__in=CONTRACT_USERS)}
    assert users["applicant1"].applicant_id != users["applicant2"].applicant_id
    assert users["applicant1"].email and users["applicant2"].email
    assert {users["bank1"].bank.code, users["bank2"].bank.code} == {"ABC-WS", "CQRCB-WS"}
    assert users["admin"].is_superuser and users["admin"].is_staff


def test_demo_budgets_are_allocated_once_per_program_for_the_current_year():
    _seed()
    _seed()
    for code, amount in DEMO_BUDGETS.items():
        budget = Budget.objects.get(program__code=code, program__region__code="500237", year=timezone.localdate().year)
        assert ledger.budget_figures(budget).allocated == amount


def test_demo_identifiers_pass_their_checks():
    _seed()
    for code in Applicant.objects.values_list("credit_code", flat=True):
        assert check_credit_code(code) == code
    for number in IPAsset.objects.filter(kind=IPAsset.Kind.PATENT).values_list("number", flat=True):
        assert check_patent_number(number).number == number


def test_seed_demo_prints_the_accounts_table():
    out = _seed()
    assert DEMO_PASSWORD in out
    for username in CONTRACT_USERS:
        assert username in out


def test_seed_demo_leaves_the_ledger_clean():
    _seed()
    call_command("verify_ledger", stdout=StringIO())
