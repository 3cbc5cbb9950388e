"""Issue #10, item 7: pledge money follows the loan — outstanding at default, recoveries back to the
pool, the region that pays, rights of other owners, which loans earn a subsidy, dropped claims."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, Invalid
from funding import ledger
from funding import services as funding
from funding.programs import handler_for
from funding.workflow import ProgramCode, State
from pledges import selectors, services
from pledges.models import InterestSubsidyLoan, LoanStatus, PledgedRight, PledgeLoan
from pledges.services import pool_share_of
from tests.clients import api_client, page_client
from tests.factories import (
    BankFactory,
    BudgetFactory,
    PatentFactory,
    ProgramFactory,
    RegionFactory,
    TrademarkFactory,
    user_with_role,
)
from tests.pledges.helpers import (
    IN_TERM,
    claim_of,
    compensated,
    defaulted,
    loan_body,
    pay_claim,
    register,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()
LAST_YEAR = timezone.localdate().year - 1


def _recover(world, loan, amount, *, bank_user=None):
    return services.recovery_record(by=bank_user or world.bank1_user, loan_id=loan.pk,
                                    **{"date": TODAY, "amount": amount})


# --- outstanding at default ------------------------------------------------------------------------

def _repaid_to(world, loan, principal):
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": principal, "interest": "0"})


def test_default_above_the_outstanding_after_repayments_is_400_with_the_numbers(world):
    loan = register(world.bank1_user, principal="1500000.00")
    _repaid_to(world, loan, "450000.00")  # outstanding 1,050,000
    with pytest.raises(Invalid) as exc:
        services.loan_default(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "outstanding_principal": "1500000.00"})
    assert exc.value.field == "outstanding_principal"
    assert "1,500,000.00 元" in exc.value.message and "1,050,000.00 元" in exc.value.message
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE and loan.outstanding_principal == Decimal("1050000.00")


def test_default_at_most_the_outstanding_keeps_the_claim_on_it(world):
    loan = register(world.bank1_user, principal="1500000.00")
    _repaid_to(world, loan, "450000.00")
    app = defaulted(world, loan, "1050000.00")
    assert app.requested_amount == Decimal("420000.00")  # 0.4 × 1,050,000
    assert PledgeLoan.objects.get(pk=loan.pk).outstanding_at_default == Decimal("1050000.00")


def test_the_risk_rule_amount_never_exceeds_the_outstanding_after_repayments(world):
    loan = register(world.bank1_user, principal="1500000.00")
    app = defaulted(world, loan, "1500000.00")
    # A repayment row that reached the database around the service (the rule re-derives from the rows).
    loan.repayments.create(date=timezone.localdate(), principal=Decimal("1000000.00"), interest=Decimal("0"))
    assert handler_for(ProgramCode.RISK_COMPENSATION).rule_amount(app) == Decimal("200000.00")  # 0.4 × 500,000


# --- recoveries back to the pool -------------------------------------------------------------------

def test_recovery_after_a_capped_payout_returns_the_pools_share_of_the_loss(world):
    # Pool paid 1,000,000 (the cap per loan) on a 5,600,000 loss: it gets back 1,000,000 / 5,600,000 of
    # each recovery, not the 40 % risk share (2,240,000 of a full recovery, more than it ever paid).
    loan = compensated(world, "5600000.00", principal="9000000.00")
    paid = ledger.application_balances(claim_of(loan).pk)["paid"]
    assert paid == Decimal("1000000.00")
    recovery = _recover(world, loan, "5600000.00")
    assert recovery.pool_share == Decimal("1000000.00")


def test_each_recovery_returns_amount_times_paid_over_outstanding_half_up(world):
    loan = compensated(world, "5600000.00", principal="9000000.00")
    assert _recover(world, loan, "1000000.00").pool_share == Decimal("178571.43")  # 178571.428…
    assert _recover(world, loan, "100000.07").pool_share == Decimal("17857.16")  # 17857.1553…


def test_the_pools_recoveries_never_exceed_what_it_paid(world):
    # 0.5 × 0.03 = 0.015 → the pool paid 0.02 on 0.03; three recoveries of 0.01 round to 0.01 each.
    world.programs[ProgramCode.RISK_COMPENSATION].risk_share = Decimal("0.5000")
    world.programs[ProgramCode.RISK_COMPENSATION].save()
    loan = compensated(world, "0.03")
    shares = [_recover(world, loan, "0.01").pool_share for _ in range(3)]
    assert shares == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]  # the last one capped
    budget = world.budgets[ProgramCode.RISK_COMPENSATION]
    assert ledger.budget_figures(budget).recovered == Decimal("0.02")


@pytest.mark.parametrize(("amount", "paid", "base", "returned", "share"), [
    ("100000.01", "800000.00", "2000000.00", "0.00", "40000.00"),
    ("0.03", "0.02", "0.03", "0.00", "0.02"),
    ("0.03", "0.02", "0.03", "0.01", "0.01"),
    ("5.00", "1.00", "10.00", "1.00", "0.00"),
    ("5.00", "0.00", "10.00", "0.00", "0.00"),
])
def test_pool_share_formula(amount, paid, base, returned, share):
    assert pool_share_of(amount=Decimal(amount), paid=Decimal(paid), outstanding_at_default=Decimal(base),
                         returned=Decimal(returned)) == Decimal(share)


# --- one region pays and gets the recoveries --------------------------------------------------------

@pytest.fixture
def region_b(world):
    region = RegionFactory(code="500238", name="巫溪县")
    program = ProgramFactory(region=region, code=ProgramCode.RISK_COMPENSATION)
    budget = BudgetFactory(program=program, allocated=Decimal("5000000.00"))
    bank = BankFactory(region=region, code="ABC-WX", name="中国农业银行巫溪县支行")
    user = user_with_role("bank", bank=bank, region=region, username="bank-wx")
    fincenter = user_with_role("fin_center", region=region, username="fincenter-wx")
    return region, budget, user, fincenter


def test_region_b_banks_loan_to_a_region_a_borrower_is_paid_and_refilled_by_region_a(world, region_b):
    _region, budget_b, bank_b_user, _fc = region_b
    budget_a = world.budgets[ProgramCode.RISK_COMPENSATION]
    loan = compensated(world, bank_user=bank_b_user, borrower_credit_code=world.enterprise1.credit_code)
    assert claim_of(loan).program_id == world.programs[ProgramCode.RISK_COMPENSATION].pk
    assert ledger.budget_figures(budget_a).disbursed == Decimal("800000.00")
    recovery = _recover(world, loan, "100000.00", bank_user=bank_b_user)
    assert recovery.pool_share == Decimal("40000.00")
    assert ledger.budget_figures(budget_a).recovered == Decimal("40000.00")
    assert ledger.budget_figures(budget_b).recovered == Decimal("0.00")


def test_the_borrowers_fin_center_sees_a_loan_of_another_regions_bank(world, region_b):
    _region, _budget, bank_b_user, fincenter_b = region_b
    loan = register(bank_b_user, borrower_credit_code=world.enterprise1.credit_code)
    assert selectors.loans_visible_to(world.fincenter).filter(pk=loan.pk).exists()
    assert selectors.loans_visible_to(fincenter_b).filter(pk=loan.pk).exists()  # the bank's region still does
    assert api_client(world.fincenter).get(f"/api/v1/pledges/{loan.pk}/").status_code == 200


def test_a_third_regions_fin_center_does_not_see_it(world, region_b):
    _region, _budget, bank_b_user, _fc = region_b
    loan = register(bank_b_user, borrower_credit_code=world.enterprise1.credit_code)
    other = user_with_role("fin_center", region=RegionFactory(code="500229", name="城口县"), username="fc-ck")
    assert not selectors.loans_visible_to(other).filter(pk=loan.pk).exists()


# --- rights registered to another owner ------------------------------------------------------------

@pytest.mark.parametrize("factory", [PatentFactory, TrademarkFactory])
def test_right_registered_to_another_owner_is_409(world, factory):
    asset = factory(owner=world.enterprise2)
    body = loan_body(borrower_credit_code=world.enterprise1.credit_code,
                     rights=[{"kind": asset.kind, "number": asset.number, "valuation": "1000.00"}])
    response = api_client(world.bank1_user).post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "right_owned_by_other"
    assert asset.number in response.json()["detail"]
    assert not PledgeLoan.objects.exists()


def test_the_owners_own_registered_trademark_is_pledged_and_linked(world):
    mark = TrademarkFactory(owner=world.enterprise1)
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code,
                    rights=[{"kind": "trademark", "number": mark.number, "valuation": "1000.00"}])
    assert PledgedRight.objects.get(loan=loan).ip_asset_id == mark.pk


# --- interest subsidy on own active or settled loans only -----------------------------------------

def _with_interest(world, interest="1000.00"):
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": f"{LAST_YEAR}-06-01", "principal": "0", "interest": interest})
    return loan


def _subsidy(world, loans):
    return funding.application_create(by=world.applicant1, program_code=ProgramCode.INTEREST_SUBSIDY,
                                      title="质押贷款贴息", details={"loans": [loan.pk for loan in loans],
                                                                  "year": LAST_YEAR})


def test_interest_subsidy_on_a_cancelled_loan_is_refused(world):
    loan = _with_interest(world)
    services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="登记有误")
    with pytest.raises(Invalid) as exc:
        _subsidy(world, [loan])
    assert exc.value.field == "loans" and str(loan.pk) in exc.value.message


def test_interest_subsidy_on_a_defaulted_loan_is_refused(world):
    loan = _with_interest(world)
    defaulted(world, loan)
    with pytest.raises(Invalid) as exc:
        _subsidy(world, [loan])
    assert exc.value.field == "loans"


def test_interest_subsidy_on_a_settled_loan_is_allowed(world):
    loan = _with_interest(world)
    services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
    assert _subsidy(world, [loan]).requested_amount == Decimal("500.00")


def test_the_rule_amount_drops_a_loan_cancelled_after_the_claim(world):
    kept, cancelled = _with_interest(world, "1000.00"), _with_interest(world, "3000.00")
    app = _subsidy(world, [kept, cancelled])
    assert handler_for(ProgramCode.INTEREST_SUBSIDY).rule_amount(app) == Decimal("2000.00")
    services.loan_cancel(by=world.fincenter, loan_id=cancelled.pk, reason="登记有误")
    assert handler_for(ProgramCode.INTEREST_SUBSIDY).rule_amount(app) == Decimal("500.00")


def test_the_rule_amount_is_recomputed_from_the_repayments_not_the_stored_interest(world):
    loan = _with_interest(world, "1000.00")
    app = _subsidy(world, [loan])
    InterestSubsidyLoan.objects.filter(claim__application=app).update(interest_paid=Decimal("900000.00"))
    assert handler_for(ProgramCode.INTEREST_SUBSIDY).rule_amount(app) == Decimal("500.00")


# --- a defaulted loan whose claim is dropped -------------------------------------------------------

def test_defaulted_loan_with_a_withdrawn_claim_can_be_settled_and_its_rights_released(world):
    loan = register(world.bank1_user)
    app = defaulted(world, loan)
    funding.application_transition(application_id=app.pk, name="withdraw", by=world.bank1_user)
    settled = services.loan_settle(by=world.bank1_user, loan_id=loan.pk, **{"date": TODAY})
    assert settled.status == LoanStatus.SETTLED and settled.outstanding_principal == Decimal("0.00")
    assert not PledgedRight.objects.filter(loan=loan, live=True).exists()


def test_defaulted_loan_with_a_rejected_claim_can_be_cancelled(world):
    loan = register(world.bank1_user)
    app = defaulted(world, loan)
    funding.application_transition(application_id=app.pk, name="reject", by=world.fincenter, comment="材料不实")
    assert claim_of(loan).state == State.REJECTED
    cancelled = services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="违约登记有误")
    assert cancelled.status == LoanStatus.CANCELLED
    assert not PledgedRight.objects.filter(loan=loan, live=True).exists()


@pytest.mark.parametrize("action", ["settle", "cancel"])
def test_defaulted_loan_with_a_claim_in_progress_cannot_be_settled_or_cancelled(world, action):
    loan = register(world.bank1_user)
    defaulted(world, loan)
    with pytest.raises(Conflict) as exc:
        if action == "settle":
            services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
        else:
            services.loan_cancel(by=world.fincenter, loan_id=loan.pk, reason="x")
    assert exc.value.code == "claim_pending"
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.DEFAULTED


def test_compensated_loan_still_cannot_be_settled(world):
    loan = compensated(world)
    with pytest.raises(Conflict) as exc:
        services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
    assert exc.value.code == "invalid_state"


def test_compensated_event_names_the_paying_user(world):
    loan = register(world.bank1_user)
    pay_claim(world, defaulted(world, loan))
    assert loan.events.get(kind="compensated").by_id == world.finance.pk


def test_the_detail_page_offers_cancel_once_the_claim_is_withdrawn(world):
    loan = register(world.bank1_user)
    app = defaulted(world, loan)
    client = page_client(world.fincenter)
    assert client.get(f"/pledges/{loan.pk}/").context["cancel_form"] is None
    funding.application_transition(application_id=app.pk, name="withdraw", by=world.bank1_user)
    assert client.get(f"/pledges/{loan.pk}/").context["cancel_form"] is not None
