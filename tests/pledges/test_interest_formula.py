"""Issue #14, item 3: the interest subsidy by formula (pledges.interest) — the interest paid or the LPR
of the month before the contract, the LPR+40 % ceiling, the IP share of mixed collateral, the insured
ratio, first pledges only, years per loan — each amount explained with its numbers; and the banks'
inputs (API, page, Excel) and the admin's LPR table behind it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from applicants.errors import Conflict, Invalid
from funding import services as funding
from funding.program_rules import program_update
from funding.programs import handler_for
from funding.rule_versions import current_rules
from funding.verify import ledger_violations
from funding.workflow import ProgramCode, State
from pledges import services
from pledges.interest import balance_days, loan_amount
from pledges.models import LoanPrimeRate, PledgeLoan
from tests.clients import api_client, page_client
from tests.factories import make_patent_number
from tests.pledges.bank_pages import confirm_post, register_post
from tests.pledges.helpers import THIS_YEAR, loan_body, register
from tests.pledges.test_bank_batch import HEADERS, loan_row, second_post, upload, xlsx

pytestmark = pytest.mark.django_db
YEAR = THIS_YEAR - 1  # the subsidy year: last year's interest, claimed this year
HANDLER = handler_for(ProgramCode.INTEREST_SUBSIDY)


def _lpr(month: str, one_year: str, five_year: str = "0.0395") -> LoanPrimeRate:
    return LoanPrimeRate.objects.create(month=dt.date.fromisoformat(f"{month}-01"), one_year=Decimal(one_year),
                                        five_year=Decimal(five_year))


def _rules(world, **changes) -> None:
    program_update(by=world.admin, code=ProgramCode.INTEREST_SUBSIDY, changes=changes)


def _loan(world, *, start: str = f"{YEAR}-03-01", principal: str = "1000000.00", rate: str = "0.0385",
          payments: tuple = ((f"{YEAR}-12-01", "0", "100000.00"),), **fields) -> PledgeLoan:
    """A loan of enterprise1 at bank1 and its repayments (date, principal, interest)."""
    loan = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code, start_date=start,
                    principal=principal, annual_rate=rate, **fields)
    for on, paid_principal, interest in payments:
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": on, "principal": paid_principal, "interest": interest})
    return PledgeLoan.objects.get(pk=loan.pk)


def _apply(world, loans, *, year: int = YEAR):
    return funding.application_create(
        by=world.applicant1, program_code=ProgramCode.INTEREST_SUBSIDY, title="质押贷款贴息",
        details={"loans": [loan.pk for loan in loans], "year": year})


def _step(app, name, user, **data):
    return funding.application_transition(application_id=app.pk, name=name, by=user, data=data or None)


def _head(loan) -> str:
    return f"贷款 #{loan.pk}（合同 {loan.contract_no}）："


# --- the paid basis ------------------------------------------------------------------------------

def test_paid_basis_is_the_ratio_of_the_interest_paid_in_the_year(world):
    loan = _loan(world, payments=((f"{YEAR}-06-01", "0", "10000.00"), (f"{YEAR}-12-01", "0", "5000.01"),
                                  (f"{THIS_YEAR}-01-01", "0", "999.00")))  # the year after: not counted
    assert _apply(world, [loan]).requested_amount == Decimal("7500.01")  # 0.5 × 15,000.01 = 7,500.005, half up


def test_a_rate_above_lpr_plus_40_percent_counts_the_interest_at_lpr_plus_40_percent(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    loan = _loan(world, rate="0.0550", payments=((f"{YEAR}-12-01", "0", "45000.00"),))
    # 45,000 × (3.45% × 140% ÷ 5.5%) × 50% = 19,759.0909…
    assert _apply(world, [loan]).requested_amount == Decimal("19759.09")


def test_a_rate_within_the_ceiling_counts_the_interest_in_full(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    # 4.8% ≤ 4.83%; 40,000 is under the ceiling on the balance (4.83% × 306,000,000 ÷ 365 = 40,492.60)
    loan = _loan(world, rate="0.0480", payments=((f"{YEAR}-12-01", "0", "40000.00"),))
    assert _apply(world, [loan]).requested_amount == Decimal("20000.00")


def test_interest_paid_above_the_ceiling_on_the_balance_counts_at_the_ceiling(world):
    """A contract rate under the ceiling does not let a bank report more interest than the ceiling
    rate allows on the balance: 45,000 paid, 4.83% × 306,000,000 ÷ 365 = 40,492.60 counted."""
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    loan = _loan(world, rate="0.0480", payments=((f"{YEAR}-12-01", "0", "45000.00"),))
    app = _apply(world, [loan])
    assert app.requested_amount == Decimal("20246.30")  # 40,492.6027… × 50%
    assert HANDLER.explain(app)[0] == (
        f"{_head(loan)}{YEAR} 年实付利息 45,000.00 元（合同利率 4.8% 不高于 LPR 3.45%（{YEAR} 年 2 月）×140%），"
        f"超过按 LPR 3.45%（{YEAR} 年 2 月）×140% × 贷款余额积数 306,000,000.00 元·天 ÷ 365 计算的上限 40,492.60 元，"
        "按上限计入 × 贴息比例 50% = 20,246.30 元")


def test_scaled_interest_is_also_bounded_by_the_ceiling_on_the_balance(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    loan = _loan(world, rate="0.0550", payments=((f"{YEAR}-12-01", "0", "200000.00"),))
    # 200,000 × 4.83% ÷ 5.5% = 175,636.36 > 40,492.60: the ceiling on the balance counts
    assert _apply(world, [loan]).requested_amount == Decimal("20246.30")


def test_the_ceiling_line_shows_the_formula_with_its_numbers(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, lpr_markup_cap="0.40")
    loan = _loan(world, rate="0.0550", payments=((f"{YEAR}-12-01", "0", "45000.00"),))
    lines = HANDLER.explain(_apply(world, [loan]))
    assert lines[0] == (f"{_head(loan)}{YEAR} 年实付利息 45,000.00 元 × 计入比例（LPR 3.45%（{YEAR} 年 2 月）×140% ÷ "
                        "合同利率 5.5%） × 贴息比例 50% = 19,759.09 元")
    assert lines[-1] == "每家企业每年贴息不超过 300,000.00 元"


# --- the LPR basis -------------------------------------------------------------------------------

def test_lpr_basis_takes_the_lpr_of_the_month_before_each_contract(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _lpr(f"{YEAR}-03", "0.0900")  # the month of the first contract: not the one used
    _lpr(f"{YEAR}-05", "0.0310")
    _rules(world, interest_basis="lpr", interest_ratio="0.6")
    march = _loan(world, start=f"{YEAR}-03-01")  # 306 days of 1,000,000 in the year
    june = _loan(world, start=f"{YEAR}-06-01")  # 214 days
    app = _apply(world, [march, june])
    # 3.45% × 306,000,000 ÷ 365 × 60% = 17,353.97; 3.10% × 214,000,000 ÷ 365 × 60% = 10,905.21
    assert app.requested_amount == Decimal("17353.97") + Decimal("10905.21")


def test_lpr_basis_lines_show_the_lpr_its_month_and_the_balance_days(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _lpr(f"{YEAR}-05", "0.0310")
    _rules(world, interest_basis="lpr", interest_ratio="0.6")
    march, june = _loan(world, start=f"{YEAR}-03-01"), _loan(world, start=f"{YEAR}-06-01")
    assert HANDLER.explain(_apply(world, [march, june])) == [
        f"{_head(march)}按 LPR 计息 LPR 3.45%（{YEAR} 年 2 月）× 贷款余额积数 306,000,000.00 元·天 ÷ 365 = 28,923.29 元，"
        f"与 {YEAR} 年实付利息 100,000.00 元 取低者 28,923.29 元 × 贴息比例 60% = 17,353.97 元",
        f"{_head(june)}按 LPR 计息 LPR 3.1%（{YEAR} 年 5 月）× 贷款余额积数 214,000,000.00 元·天 ÷ 365 = 18,175.34 元，"
        f"与 {YEAR} 年实付利息 100,000.00 元 取低者 18,175.34 元 × 贴息比例 60% = 10,905.21 元",
        "各笔贷款合计 28,259.18 元",
        "每家企业每年贴息不超过 300,000.00 元",
    ]


def test_principal_repaid_lowers_the_outstanding_from_the_repayment_date(world):
    _lpr(f"{YEAR}-02", "0.0345")
    loan = _loan(world, payments=((f"{YEAR}-09-01", "400000.00", "20000.00"), (f"{YEAR}-12-01", "0", "10000.00")))
    # 1,000,000 × 184 days (Mar 1 – Sep 1) + 600,000 × 122 days (Sep 1 – Jan 1)
    assert balance_days(loan, YEAR) == Decimal("257200000.00")
    _rules(world, interest_basis="lpr", interest_ratio="0.6")
    rules = _apply(world, [loan]).rules
    assert loan_amount(loan, YEAR, rules, lpr=Decimal("0.0345")).amount == Decimal("14586.41")


def test_lpr_basis_never_counts_more_than_the_interest_paid(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, interest_basis="lpr", interest_ratio="0.6")
    loan = _loan(world, payments=((f"{YEAR}-12-01", "0", "5000.00"),))  # below the 28,923.29 by the LPR
    assert _apply(world, [loan]).requested_amount == Decimal("3000.00")


def test_a_missing_lpr_month_is_a_409_naming_the_month_to_add(world):
    _rules(world, interest_basis="lpr")
    loan = _loan(world)
    response = api_client(world.applicant1).post("/api/v1/applications/", {
        "program": "interest_subsidy", "title": "质押贷款贴息", "loans": [loan.pk], "year": YEAR}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "lpr_missing"
    assert f"缺少 {YEAR} 年 2 月 的 1 年期贷款市场报价利率（LPR）" in body["detail"] and "补录" in body["detail"]


def test_a_case_page_whose_lpr_month_went_missing_shows_the_message(world):
    row = _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, interest_basis="lpr")
    app = _apply(world, [_loan(world)])
    row.delete()
    response = page_client(world.applicant1).get(f"/funding/{app.pk}/")
    assert response.status_code == 200
    assert f"缺少 {YEAR} 年 2 月 的 1 年期贷款市场报价利率" in response.content.decode()


def test_approval_re_derives_the_amount_from_the_lpr_table_of_that_moment(world):
    row = _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, interest_basis="lpr", interest_ratio="0.6", publicity_days=0)
    app = _apply(world, [_loan(world)])
    assert app.requested_amount == Decimal("17353.97")
    for name, user in (("submit", world.applicant1), ("accept", world.fincenter), ("publish", world.fincenter)):
        app = _step(app, name, user)
    row.one_year = Decimal("0.0310")  # the admin corrects the month's LPR
    row.save()
    app = _step(app, "approve", world.finance)
    assert app.approved_amount == Decimal("15593.42")  # 3.10% × 306,000,000 ÷ 365 × 60%


# --- collateral, insurance ------------------------------------------------------------------------

def test_only_the_ip_share_of_mixed_collateral_counts(world):
    # rights 4,500,000 + 800,000 of 8,000,000 pledged in all: 66.25 %
    loan = _loan(world, collateral_total="8000000.00", payments=((f"{YEAR}-12-01", "0", "10000.00"),))
    app = _apply(world, [loan])
    assert app.requested_amount == Decimal("3312.50")
    assert HANDLER.explain(app)[0] == (
        f"{_head(loan)}{YEAR} 年实付利息 10,000.00 元 × 知识产权占比 66.25%（知识产权评估价值 5,300,000.00 元 ÷ "
        "抵质押物总价值 8,000,000.00 元） × 贴息比例 50% = 3,312.50 元")


def test_an_inexact_ip_share_is_kept_exact_and_shown_rounded(world):
    loan = _loan(world, collateral_total="9000000.00", payments=((f"{YEAR}-12-01", "0", "10000.00"),))
    app = _apply(world, [loan])
    assert app.requested_amount == Decimal("2944.44")  # 10,000 × 5.3/9 × 50% = 2,944.444…
    assert "知识产权占比 约 58.89%" in HANDLER.explain(app)[0]


@pytest.mark.parametrize(("insured", "expected"), [(True, "5000.00"), (False, "2000.00")])
def test_an_insured_or_guaranteed_loan_takes_the_insured_ratio(world, insured, expected):
    _rules(world, interest_ratio="0.2", insured_interest_ratio="0.5")  # Fujian: 20 %, 50 % if insured
    loan = _loan(world, insured_or_guaranteed=insured, payments=((f"{YEAR}-12-01", "0", "10000.00"),))
    assert _apply(world, [loan]).requested_amount == Decimal(expected)


# --- eligibility ----------------------------------------------------------------------------------

def _earlier_loan_pledging(world, patent: str, *, cancel: bool = False) -> PledgeLoan:
    earlier = register(world.bank2_user, borrower_credit_code=world.enterprise2.credit_code,
                       start_date=f"{YEAR - 1}-05-01", rights=[{"kind": "patent", "number": patent,
                                                                "valuation": "1000000.00"}])
    if cancel:
        services.loan_cancel(by=world.fincenter, loan_id=earlier.pk, reason="误登记")
    else:
        services.loan_settle(by=world.bank2_user, loan_id=earlier.pk, date=f"{YEAR - 1}-12-31")
    return earlier


def test_first_pledge_only_refuses_a_loan_whose_patents_were_pledged_before(world):
    patent = make_patent_number(year=YEAR - 3)
    earlier = _earlier_loan_pledging(world, patent)
    _rules(world, first_pledge_only=True)
    loan = _loan(world, rights=[{"kind": "patent", "number": patent, "valuation": "2000000.00"}])
    with pytest.raises(Invalid) as err:
        _apply(world, [loan])
    assert err.value.field == "loans"
    assert err.value.message == (f"{_head(loan)}不是首次质押专利的贷款（{patent} 已在合同 {earlier.contract_no}（放款日 "
                                 f"{YEAR - 1}-05-01）中质押），本项目只对首次质押专利的贷款贴息")


def test_first_pledge_only_admits_a_loan_with_one_patent_pledged_for_the_first_time(world):
    patent = make_patent_number(year=YEAR - 3)
    _earlier_loan_pledging(world, patent)
    _rules(world, first_pledge_only=True)
    loan = _loan(world, rights=[{"kind": "patent", "number": patent, "valuation": "2000000.00"},
                                {"kind": "patent", "number": make_patent_number(year=YEAR - 2),
                                 "valuation": "1000000.00"}])
    assert _apply(world, [loan]).requested_amount == Decimal("50000.00")


def test_a_cancelled_earlier_registration_is_no_earlier_pledge(world):
    patent = make_patent_number(year=YEAR - 3)
    _earlier_loan_pledging(world, patent, cancel=True)
    _rules(world, first_pledge_only=True)
    loan = _loan(world, rights=[{"kind": "patent", "number": patent, "valuation": "2000000.00"}])
    assert _apply(world, [loan]).requested_amount == Decimal("50000.00")


def test_max_years_per_loan_refuses_a_further_year_naming_the_years_claimed(world):
    _rules(world, max_years_per_loan=1)  # Fujian: one year per loan
    loan = _loan(world, start=f"{YEAR - 1}-03-01",
                 payments=((f"{YEAR - 1}-12-01", "0", "1000.00"), (f"{YEAR}-12-01", "0", "1000.00")))
    _apply(world, [loan], year=YEAR - 1)
    with pytest.raises(Invalid) as err:
        _apply(world, [loan], year=YEAR)
    assert err.value.message == f"{_head(loan)}已申请 {YEAR - 1} 年的贴息，本项目每笔贷款最多贴息 1 年"


def test_a_loan_year_already_claimed_is_still_a_409(world):
    loan = _loan(world)
    _apply(world, [loan])
    with pytest.raises(Conflict) as err:
        _apply(world, [loan])
    assert err.value.code == "interest_already_claimed"


def test_the_guide_states_the_formula_of_the_rules_in_force(world):
    _rules(world, interest_basis="lpr", interest_ratio="0.6", first_pledge_only=True,
           cap_per_applicant_year="500000.00")  # Qingdao
    lines = HANDLER.formula_lines(current_rules(world.programs[ProgramCode.INTEREST_SUBSIDY]))
    assert lines[0] == ("贴息金额 = 放款日前一个月的 1 年期 LPR × 年度内每日贷款余额之和 ÷ 365（不超过当年实付利息）"
                        "× 知识产权占比 × 60%")
    assert "仅限首次质押专利权的贷款" in lines


# --- the ledger -----------------------------------------------------------------------------------

def test_an_lpr_subsidy_approved_and_paid_leaves_the_ledger_clean(world):
    _lpr(f"{YEAR}-02", "0.0345")
    _rules(world, interest_basis="lpr", interest_ratio="0.6", publicity_days=0)
    app = _apply(world, [_loan(world)])
    for name, user in (("submit", world.applicant1), ("accept", world.fincenter), ("publish", world.fincenter),
                       ("approve", world.finance)):
        app = _step(app, name, user)
    app = _step(app, "disburse", world.finance, amount=str(app.approved_amount), voucher_no="V-LPR-1")
    assert app.state == State.DISBURSED and app.disbursed_amount == Decimal("17353.97")
    assert ledger_violations() == []


# --- the banks' inputs ----------------------------------------------------------------------------

def test_the_api_registers_the_collateral_and_shows_the_ip_share(world):
    response = api_client(world.bank1_user).post(
        "/api/v1/pledges/", loan_body(collateral_total="8000000.00", insured_or_guaranteed=True), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["collateral_total"], body["insured_or_guaranteed"]) == ("8000000.00", True)
    assert (body["ip_valuation"], body["ip_share"]) == ("5300000.00", "0.6625")


def test_the_api_refuses_a_collateral_total_below_the_ip_valuation(world):
    response = api_client(world.bank1_user).post(
        "/api/v1/pledges/", loan_body(collateral_total="5000000.00"), format="json")
    assert response.status_code == 400
    assert response.json()["collateral_total"] == [
        "抵质押物总价值 5,000,000.00 元 不能低于所质押知识产权的评估价值合计 5,300,000.00 元"]
    assert not PledgeLoan.objects.exists()


def test_the_api_refuses_a_collateral_total_sent_as_a_json_number(world):
    response = api_client(world.bank1_user).post(
        "/api/v1/pledges/", loan_body(collateral_total=8000000), format="json")
    assert response.status_code == 400 and "collateral_total" in response.json()


def test_without_collateral_total_the_loan_is_secured_by_ip_only(world):
    response = api_client(world.bank1_user).post("/api/v1/pledges/", loan_body(), format="json")
    body = response.json()
    assert (body["collateral_total"], body["insured_or_guaranteed"], body["ip_share"]) == (None, False, "1.0000")


def test_the_bank_page_registers_the_collateral_and_the_loan_page_shows_the_share(world):
    client = page_client(world.bank1_user)
    first = client.post("/pledges/new/", register_post(collateral_total="8,000,000", insured_or_guaranteed="on"))
    text = first.content.decode()
    assert "8,000,000.00 元" in text and "66.25%" in text  # on the confirmation
    done = client.post("/pledges/new/", confirm_post(first))
    loan = PledgeLoan.objects.get()
    assert done.status_code == 302
    assert loan.collateral_total == Decimal("8000000.00") and loan.insured_or_guaranteed
    page = client.get(f"/pledges/{loan.pk}/").content.decode()
    assert "知识产权占比" in page and "66.25%" in page and "5,300,000.00 元" in page


def test_the_excel_sheet_takes_the_collateral_columns_at_the_end(world):
    assert HEADERS[-2:] == ["抵质押物总价值（元）", "有保险或担保"]
    row = loan_row(**{"抵质押物总价值（元）": "5000000", "有保险或担保": "是"})
    client = page_client(world.bank1_user)
    second_post(client, upload(client, xlsx([row])), "all")
    loan = PledgeLoan.objects.get(contract_no=row["合同编号"])
    assert loan.collateral_total == Decimal("5000000.00") and loan.insured_or_guaranteed


def test_a_sheet_of_the_older_template_without_them_is_still_read(world):
    row = loan_row()
    client = page_client(world.bank1_user)
    preview = upload(client, xlsx([row], headers=HEADERS[:-2]))
    assert preview.context["checked"].problems == []
    second_post(client, preview, "all")
    loan = PledgeLoan.objects.get(contract_no=row["合同编号"])
    assert loan.collateral_total is None and not loan.insured_or_guaranteed


def test_a_sheet_refuses_a_collateral_below_the_valuation_on_its_column(world):
    row = loan_row(**{"抵质押物总价值（元）": "100000"})  # the right is valued 2,000,000
    preview = upload(page_client(world.bank1_user), xlsx([row]))
    assert [(p.row, p.header) for p in preview.context["checked"].problems] == [(2, "抵质押物总价值（元）")]


# --- the admin's LPR table ------------------------------------------------------------------------

def test_the_admin_enters_a_month_of_lpr_in_percent(admin_client):
    response = admin_client.post(reverse("admin:pledges_loanprimerate_add"),
                                 {"month": f"{YEAR}-02", "one_year": "3.45%", "five_year": "3.95%"})
    assert response.status_code == 302
    row = LoanPrimeRate.objects.get()
    assert (row.month, row.one_year, row.five_year) == (dt.date(YEAR, 2, 1), Decimal("0.0345"), Decimal("0.0395"))
    listing = admin_client.get(reverse("admin:pledges_loanprimerate_changelist")).content.decode()
    assert f"{YEAR}-02" in listing and "3.45%" in listing and "3.95%" in listing


def test_a_bare_number_for_the_lpr_is_refused_with_how_to_write_it(admin_client):
    response = admin_client.post(reverse("admin:pledges_loanprimerate_add"),
                                 {"month": f"{YEAR}-02", "one_year": "3.45", "five_year": "3.95%"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["one_year"] == ["请以百分数填写，如 3.45%（或小数 0.0345）"]
    assert not LoanPrimeRate.objects.exists()
