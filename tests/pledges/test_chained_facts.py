"""Issue #14 attack review, the pledge side: what a subsidy or a compensation is decided by is in a
chained record and verify_audit compares the live rows with it (pledges.verify, pledges.pool
split_findings, pledges.lpr); the loss ratio is not diluted by loans that never ran; "first pledge"
is the order of registration."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from applicants.errors import Invalid
from core import audit_chain
from funding import services as funding
from funding.verify import ledger_violations
from funding.workflow import ProgramCode
from pledges import pool, services
from pledges.lpr import lpr_save
from pledges.models import (
    InterestSubsidyLoan,
    LoanEvent,
    LoanPrimeRate,
    PledgedRight,
    PledgeLoan,
    RiskPoolFunder,
    RiskPoolShare,
)
from tests.factories import make_patent_number
from tests.pledges.helpers import defaulted, pay_claim, register
from tests.pledges.test_programs import LAST_YEAR, _loan_with_interest, _step, _subsidy_application
from tests.pledges.test_risk_pool import CITY, COUNTY, make_pool

pytestmark = pytest.mark.django_db
IS = ProgramCode.INTEREST_SUBSIDY


def _findings() -> list[str]:
    return [*audit_chain.verify_all(audit_chain.registered()), *ledger_violations()]


def _registered(loan) -> dict:
    return LoanEvent.objects.get(loan=loan, kind="registered").detail


# --- the facts in the registered event -------------------------------------------------------

def test_the_registered_event_records_the_facts_and_the_coverage(world):
    LoanPrimeRate.objects.create(month=dt.date(LAST_YEAR, 2, 1), one_year=Decimal("0.0345"),
                                 five_year=Decimal("0.0395"))
    make_pool(world, city="40000.00", county="60000.00")  # 500,000 covered at most
    small = register(world.bank1_user, principal="400000.00", start_date=f"{LAST_YEAR}-03-01",
                     collateral_total="9000000.00", insured_or_guaranteed=True)
    large = register(world.bank1_user, principal="1000000.00")
    detail = _registered(small)
    assert detail["collateral_total"] == "9000000.00" and detail["insured_or_guaranteed"] is True
    assert detail["risk_pool"] == world.region.risk_pool.pk and detail["coverage"] == pool.COVERED
    assert detail["lpr"] == "0.034500" and detail["start_date"] == f"{LAST_YEAR}-03-01"
    assert sorted(v[2] for v in detail["valuations"]) == ["4500000.00", "800000.00"]
    assert _registered(large)["risk_pool"] is None and _registered(large)["coverage"] == pool.OVER_LEVERAGE
    assert _findings() == []


def test_a_loan_registered_without_a_pool_says_so(world):
    loan = register(world.bank1_user)
    assert _registered(loan)["coverage"] == pool.NO_POOL and _findings() == []


@pytest.mark.tampers
@pytest.mark.parametrize("change", [
    {"collateral_total": None}, {"collateral_total": Decimal("99999999.00")}, {"insured_or_guaranteed": True},
    {"principal": Decimal("5000000.00"), "outstanding_principal": Decimal("5000000.00")},
    {"annual_rate": Decimal("0.0900")}, {"start_date": dt.date(2020, 1, 1)},
])
def test_sql_edits_of_a_loans_facts_are_found(world, change):
    loan = register(world.bank1_user, collateral_total="15900000.00")
    assert _findings() == []
    PledgeLoan.objects.filter(pk=loan.pk).update(**change)
    assert any(f"贷款 #{loan.pk}" in f for f in _findings())


@pytest.mark.tampers
def test_sql_edits_of_a_rights_valuation_are_found(world):
    loan = register(world.bank1_user, collateral_total="15900000.00")
    PledgedRight.objects.filter(loan=loan, kind="patent").update(valuation=Decimal("15000000.00"))
    assert any("评估价值与登记记录不符" in f for f in _findings())


@pytest.mark.tampers
def test_sql_uncovering_or_covering_a_loan_is_found(world):
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    assert loan.risk_pool_id is not None
    PledgeLoan.objects.filter(pk=loan.pk).update(risk_pool=None)
    assert any("风险补偿资金池" in f for f in _findings())


def test_a_pool_set_up_later_chains_each_loan_it_covers(world):
    first = register(world.bank1_user, principal="3000000.00")
    second = register(world.bank2_user, principal="3000000.00")
    make_pool(world)  # 5,000,000: the first fits, the second does not
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.risk_pool_id is not None and second.risk_pool_id is None
    event = LoanEvent.objects.get(loan=first, kind="pool_covered")
    assert event.detail == {"risk_pool": first.risk_pool_id, "coverage": pool.POOL_SET_UP} and event.by == world.admin
    assert not LoanEvent.objects.filter(loan=second, kind="pool_covered").exists()
    assert _findings() == []
    PledgeLoan.objects.filter(pk=second.pk).update(risk_pool=first.risk_pool_id)
    assert any(f"贷款 #{second.pk}" in f for f in _findings())


# --- the LPR ---------------------------------------------------------------------------------

def _lpr(month: dt.date, one_year: str) -> LoanPrimeRate:
    return lpr_save(LoanPrimeRate(month=month, one_year=Decimal(one_year), five_year=Decimal("0.0395")))


@pytest.mark.tampers
def test_sql_edit_of_an_lpr_a_loan_is_judged_by_is_found(world):
    _lpr(dt.date(LAST_YEAR, 2, 1), "0.0345")
    loan = register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01")
    assert _findings() == []
    LoanPrimeRate.objects.filter(month=dt.date(LAST_YEAR, 2, 1)).update(one_year=Decimal("0.0590"))
    assert any(f"贷款 #{loan.pk}" in f and "LPR" in f for f in _findings())


def test_an_lpr_added_or_corrected_through_the_admin_is_chained_on_its_loans(world):
    loan = register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01")
    other = register(world.bank2_user, start_date=f"{LAST_YEAR}-04-01")  # judged by March: not touched
    assert _registered(loan)["lpr"] is None
    rate = _lpr(dt.date(LAST_YEAR, 2, 1), "0.0345")
    rate.one_year = Decimal("0.0350")
    lpr_save(rate, by=world.admin)
    events = list(LoanEvent.objects.filter(loan=loan, kind="lpr").values_list("detail", flat=True))
    assert [e["lpr"] for e in events] == ["0.0345", "0.0350"]
    assert not LoanEvent.objects.filter(loan=other, kind="lpr").exists()
    assert _findings() == []


def test_the_lpr_admin_form_saves_through_the_service(world):
    from django.urls import reverse  # noqa: PLC0415

    from tests.clients import page_client  # noqa: PLC0415

    loan = register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01")
    response = page_client(world.admin).post(reverse("admin:pledges_loanprimerate_add"), {
        "month": f"{LAST_YEAR}-02", "one_year": "3.45%", "five_year": "3.95%"})
    assert response.status_code == 302
    assert LoanEvent.objects.get(loan=loan, kind="lpr").detail["lpr"] == "0.034500"
    assert _findings() == []


# --- the funders' parts ----------------------------------------------------------------------

@pytest.mark.tampers
def test_sql_moving_a_recovery_between_funders_is_found(world):
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    pay_claim(world, defaulted(world, loan, "1000000.00"))
    services.recovery_record(by=world.bank1_user, loan_id=loan.pk, date=timezone.localdate().isoformat(),
                             amount="100000.00")
    assert _findings() == []
    parts = {p.funder.name: p for p in RiskPoolShare.objects.filter(recovery__loan=loan).select_related("funder")}
    RiskPoolShare.objects.filter(pk=parts[CITY].pk).update(amount=parts[CITY].amount + 1)
    RiskPoolShare.objects.filter(pk=parts[COUNTY].pk).update(amount=parts[COUNTY].amount - 1)
    assert any("追偿回收" in f and CITY in f for f in _findings())


def test_shares_changed_after_a_payout_leave_its_parts_valid(world):
    make_pool(world)
    loan = register(world.bank1_user, principal="1000000.00")
    app = pay_claim(world, defaulted(world, loan, "1000000.00"))
    event = LoanEvent.objects.get(loan=loan, kind="pool_shared")
    assert event.detail["application"] == app.pk and event.detail["amount"] == str(app.disbursed_amount)
    funders = list(RiskPoolFunder.objects.order_by("pk"))
    pool.pool_save(by=world.admin, region=world.region, pool_id=world.region.risk_pool.pk, name="巫山县风险补偿资金池",
                   leverage="5", loss_breaker="0.30", loss_warning="0.24", funders=[
                       {"id": funders[0].pk, "name": CITY, "share": "0.50", "contribution": "400000.00"},
                       {"id": funders[1].pk, "name": COUNTY, "share": "0.50", "contribution": "600000.00"}])
    assert _findings() == []


# --- the loss ratio's base -------------------------------------------------------------------

def test_a_loan_settled_at_once_is_not_in_the_loss_ratio_but_one_that_ran_is(world):
    make_pool(world)
    today = timezone.localdate()
    quick = register(world.bank1_user, principal="1000000.00", start_date=today.isoformat())
    ran = register(world.bank1_user, principal="2000000.00", start_date=(today - dt.timedelta(days=90)).isoformat())
    PledgeLoan.objects.filter(pk=ran.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    services.loan_settle(by=world.bank1_user, loan_id=quick.pk, date=today.isoformat())
    services.loan_settle(by=world.bank1_user, loan_id=ran.pk, date=today.isoformat())
    status = pool.status_of(world.region.risk_pool)
    assert status.covered_principal == Decimal("2000000.00")  # the quick one never ran
    assert not pool.in_base(PledgeLoan.objects.get(pk=quick.pk)) and pool.in_base(PledgeLoan.objects.get(pk=ran.pk))


def test_a_backdated_start_does_not_make_a_quick_loan_count(world):
    """The days run are counted from the registration, not from the start date the bank reports."""
    make_pool(world)
    backdated = register(world.bank1_user, principal="1000000.00", start_date=f"{LAST_YEAR}-03-01")
    services.loan_settle(by=world.bank1_user, loan_id=backdated.pk, date=timezone.localdate().isoformat())
    assert pool.status_of(world.region.risk_pool).covered_principal == 0


def test_settling_a_quick_loan_that_raises_the_ratio_over_the_warning_tells_the_inbox(world):
    from core.models import InboxMessage  # noqa: PLC0415

    make_pool(world)  # warning 24 %, breaker 30 %
    first = register(world.bank1_user, principal="2000000.00")
    pay_claim(world, defaulted(world, first, "2000000.00"))  # 800,000 ÷ 2,000,000 = 40 %
    padding = register(world.bank1_user, principal="3000000.00", start_date=timezone.localdate().isoformat())
    # 800,000 ÷ 5,000,000 = 16 %: below the warning again
    before = InboxMessage.objects.count()
    services.loan_settle(by=world.bank1_user, loan_id=padding.pk)
    assert InboxMessage.objects.count() > before


# --- first pledge ----------------------------------------------------------------------------

def test_the_first_registered_pledge_stays_first_whatever_start_date_a_later_one_reports(world):
    from funding.program_rules import program_update  # noqa: PLC0415

    program_update(by=world.admin, code=IS, changes={"first_pledge_only": True})
    rights = [{"kind": "patent", "number": make_patent_number(year=LAST_YEAR - 2), "valuation": "2000000.00"}]
    first = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code, rights=rights,
                     start_date=f"{LAST_YEAR}-03-01")
    services.repayment_record(by=world.bank1_user, loan_id=first.pk,
                              **{"date": f"{LAST_YEAR}-06-01", "principal": "0", "interest": "10000.00"})
    services.loan_settle(by=world.bank1_user, loan_id=first.pk, date=f"{LAST_YEAR}-07-01")
    later = register(world.bank2_user, borrower_credit_code=world.enterprise1.credit_code, rights=rights,
                     start_date=f"{LAST_YEAR}-02-01")
    services.repayment_record(by=world.bank2_user, loan_id=later.pk,
                              **{"date": f"{LAST_YEAR}-12-01", "principal": "0", "interest": "10000.00"})
    with pytest.raises(Invalid) as err:
        _subsidy_application(world, [later])
    assert first.contract_no in err.value.message
    assert _subsidy_application(world, [first]).requested_amount == Decimal("5000.00")


# --- interest claims -------------------------------------------------------------------------

@pytest.mark.tampers
def test_unticking_a_running_claims_loan_year_is_found(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    app = _subsidy_application(world, [loan])
    _step(app, "submit", world.applicant1)
    assert _findings() == []
    InterestSubsidyLoan.objects.filter(loan=loan).update(live=False)
    assert any(f"申请 #{app.pk}" in f for f in _findings())


def test_a_withdrawn_claim_frees_its_loan_year_without_a_finding(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    app = _subsidy_application(world, [loan])
    _step(app, "submit", world.applicant1)
    funding.application_transition(application_id=app.pk, name="withdraw", by=world.applicant1)
    again = _subsidy_application(world, [loan])
    _step(again, "submit", world.applicant1)
    assert _findings() == []
