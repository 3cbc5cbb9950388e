"""``manage.py seed_demo``: the idempotent demo world (contract §2).

The base part (region, programs, budgets, banks, enterprises, IP, users) lives in
``devtools.demo_data``. This command adds applications and loans in a spread of states, made
THROUGH the services (the same rules as the API and the pages), and prints the demo accounts.
The states part runs once: it is skipped when the demo region already has applications or loans.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from applicants.models import User
from core import audit_seal
from core.money import CENT
from devtools.demo_data import DEMO_PASSWORD, DemoBase, accounts_table, item_scores_for, seed_base
from devtools.demo_versions import ensure_rule_versions
from funding import services as fs
from funding.models import Application, Program
from funding.workflow import ProgramCode, Transition
from pledges import services as ps
from pledges.lpr import lpr_save
from pledges.models import LoanPrimeRate, PledgeLoan, RiskPool
from pledges.pool import pool_save


class Command(BaseCommand):
    help = "创建演示数据（可重复运行，不会重复创建）并打印演示账号"

    def handle(self, *args, **options) -> None:
        base = seed_base()
        self.stdout.write(f"基础数据：{base.region}，{len(base.programs)} 个资金项目，{len(base.enterprises)} 家企业")
        ensure_risk_pool(base)  # before the loans: they are covered as they are registered
        self.stdout.write(f"贷款市场报价利率（LPR）：{seed_lpr()} 个月")
        if Application.objects.filter(program__region=base.region).exists() or PledgeLoan.objects.filter(
            bank__in=base.banks.values()
        ).exists():
            self.stdout.write("申请与贷款已存在，跳过。")
        else:
            # Demo notifications would go to example.com addresses: never send them (even with SMTP set).
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                counts = seed_states(base)
            self.stdout.write(f"已创建 {counts['applications']} 个申请、{counts['loans']} 笔质押贷款")
        admin = User.objects.filter(username="admin").first()
        if admin is not None:
            written = ensure_rule_versions(base.programs, admin, base.year)
            if written:
                self.stdout.write(f"已录入 {written} 个规则版本（含依据文件）")
        self._print_accounts()

    def _print_accounts(self) -> None:
        rows = accounts_table()
        width = max(len(r[0]) for r in rows)
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        self.stdout.write(f"  {'username'.ljust(width)}  {'password'.ljust(len(DEMO_PASSWORD))}  role")
        for username, role, password in rows:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {role}")


# --- the LPR table (pledges.interest reads it) ----------------------------------------------

# The published one-year / five-year-and-above LPR (全国银行间同业拆借中心), in percent, from the month
# given until the next entry; 2025-05 on runs to the last month seeded.
LPR_CHANGES = (
    (dt.date(2024, 1, 1), "3.45", "4.20"),
    (dt.date(2024, 2, 1), "3.45", "3.95"),
    (dt.date(2024, 7, 1), "3.35", "3.85"),
    (dt.date(2024, 10, 1), "3.10", "3.60"),
    (dt.date(2025, 5, 1), "3.00", "3.50"),
)
LPR_LAST_MONTH = dt.date(2026, 11, 1)


def seed_lpr() -> int:
    """One row per month 2024-01 … 2026-11, through the admin's ``lpr_save`` (a month added or
    corrected is chained on the loans it judges); running again changes nothing."""
    month, count = LPR_CHANGES[0][0], 0
    while month <= LPR_LAST_MONTH:
        one, five = next((o, f) for start, o, f in reversed(LPR_CHANGES) if start <= month)
        wanted = (Decimal(one) / 100, Decimal(five) / 100)
        rate = LoanPrimeRate.objects.filter(month=month).first() or LoanPrimeRate(month=month)
        if rate.pk is None or (rate.one_year, rate.five_year) != wanted:
            rate.one_year, rate.five_year = wanted
            lpr_save(rate)
        count += 1
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return count


# --- the county's risk pool (pledges.pool) ---------------------------------------------------

def ensure_risk_pool(base: DemoBase) -> None:
    """巫山县's pool, once: the city and the county share it 40:60 (a pool set up over loans already
    registered covers them, oldest first, while they fit)."""
    admin = User.objects.filter(username="admin").first()
    if admin is None or RiskPool.objects.filter(region=base.region).exists():
        return
    pool_save(by=admin, region=base.region, name="巫山县知识产权质押融资风险补偿资金池", leverage="10",
              loss_breaker="0.30", loss_warning="0.24", funders=[
                  {"name": "重庆市知识产权局", "share": "0.40", "contribution": "2000000.00"},
                  {"name": "巫山县财政局", "share": "0.60", "contribution": "3000000.00"}])


# --- the states part, through the services --------------------------------------------------

@contextmanager
def no_public_notice_wait(program: Program):
    """Demo only: approve without waiting out the public notice, then restore the rule.

    The services (rightly) refuse to approve before ``publicity_days`` working days have passed
    and offer no way to back-date ``publicity_started_on``; so the seed sets the program's notice
    period to 0 for the moment of publishing and approving, and restores it right after.
    """
    days = program.publicity_days
    Program.objects.filter(pk=program.pk).update(publicity_days=0)
    try:
        yield
    finally:
        Program.objects.filter(pk=program.pk).update(publicity_days=days)


class _Seeder:
    def __init__(self, base: DemoBase) -> None:
        self.fs, self.ps, self.base = fs, ps, base
        self.u = base.users
        self.year = base.year
        self.vouchers = 0
        self.applications = 0

    def pn(self, key: str, index: int) -> str:
        return self.base.patents[key][index].number

    def create(self, user: str, code: str, title: str, details: dict, amount: str | None = None) -> Application:
        self.applications += 1
        return self.fs.application_create(
            by=self.u[user], program_code=code, title=title, details=details,
            requested_amount=Decimal(amount) if amount else None, fiscal_year=self.year,
        )

    def go(self, app: Application, *steps: tuple[str, str] | str, **data) -> Application:
        """Take transitions in order; each step is a name (actor guessed) or (name, username)."""
        for step in steps:
            name, user = step if isinstance(step, tuple) else (step, self._actor(app, step))
            payload = data.get(name)
            app = self.fs.application_transition(
                application_id=app.pk, name=name, by=self.u[user], comment=payload.pop("comment", "")
                if isinstance(payload, dict) else "", data=payload,
            )
        return app

    def _actor(self, app: Application, name: str) -> str:
        if name in (Transition.SUBMIT, Transition.WITHDRAW):
            return "applicant1" if app.applicant_id == self.u["applicant1"].applicant_id else "applicant2"
        if name in (Transition.APPROVE, Transition.DISBURSE):
            return "finance"
        intake_fin_center = app.program.code in (ProgramCode.INTEREST_SUBSIDY, ProgramCode.RISK_COMPENSATION)
        return "fincenter" if intake_fin_center else "clerk"

    def review(self, app: Application, experts: int, amount: str) -> None:
        criteria = app.rules.scoring_criteria  # 评分细则: scored item by item, the score is their sum
        for i in range(1, experts + 1):
            self.fs.review_submit(application_id=app.pk, by=self.u[f"expert{i}"], score=70 + 7 * i,
                                  item_scores=item_scores_for(criteria, 70 + 7 * i),
                                  recommended_amount=Decimal(amount), comment="技术先进，市场前景较好")

    def voucher(self) -> str:
        self.vouchers += 1
        return f"WSCZ-{self.year}-DEMO-{self.vouchers:04d}"

    def approve_and_pay(self, app: Application, pay: str | None, *, reviewed: bool) -> Application:
        program = self.base.programs[app.program.code]
        with no_public_notice_wait(program):
            steps = [Transition.SUBMIT, Transition.ACCEPT]
            if reviewed:
                steps.append(Transition.SEND_TO_REVIEW)
            app = self.go(app, *steps)
            if reviewed:
                self.review(app, 3, str(app.requested_amount))
            app = self.go(app, Transition.PUBLISH, Transition.APPROVE)
        if pay:
            amount = app.approved_amount if pay == "all" else Decimal(pay)
            app = self.go(app, Transition.DISBURSE, disburse={"amount": str(amount), "voucher_no": self.voucher()})
        return app


@audit_seal.batch
@transaction.atomic
def seed_states(base: DemoBase) -> dict[str, int]:
    s = _Seeder(base)
    y = base.year
    sub, ind, award = ProgramCode.APPLICATION_SUBSIDY, ProgramCode.INDUSTRIALIZATION, ProgramCode.PATENT_AWARD
    fees = {"official_fees_paid": "8000.00"}
    plan = {"total_investment": "3000000.00", "self_funding": "1800000.00",
            "expected_output_value": "12000000.00", "jobs": 25}

    # 专利资助 (application_subsidy): no expert review.
    s.create("applicant1", sub, f"{y}年度专利资助申请（脆李保鲜）", {"patents": [s.pn("cuili", 0)], **fees})  # draft
    app = s.create("applicant1", sub, f"{y}年度专利资助申请（脆李果酒）", {"patents": [s.pn("cuili", 3)], **fees})
    s.go(app, Transition.SUBMIT, Transition.RETURN_FOR_REVISION,
         return_for_revision={"comment": "请补充专利缴费凭证扫描件"})                                         # returned
    app = s.create("applicant1", sub, f"{y}年度专利资助申请（脆李果脯）", {"patents": [s.pn("cuili", 4)], **fees})
    s.go(app, Transition.SUBMIT, Transition.ACCEPT)                                                       # accepted
    app = s.create("applicant2", sub, f"{y}年度专利资助申请（保温板）", {"patents": [s.pn("materials", 3)], **fees})
    s.go(app, Transition.SUBMIT)                                                                          # submitted
    app = s.create("applicant2", sub, f"{y}年度专利资助申请（陶瓷涂层）", {"patents": [s.pn("materials", 5)], **fees})
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.PUBLISH)                                   # publicity
    app = s.create("applicant2", sub, f"{y}年度专利资助申请（石墨烯）", {"patents": [s.pn("materials", 0)], **fees})
    s.approve_and_pay(app, "all", reviewed=False)                                                         # disbursed
    app = s.create("applicant2", sub, f"{y}年度专利资助申请（碳纤维）", {"patents": [s.pn("materials", 4)], **fees})
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.REJECT,
         reject={"comment": "该专利授权日不在资助年度范围内"})                                                  # rejected

    # 专利产业化 (industrialization): three expert reviews, paid in tranches.
    s.create("applicant2", ind, "耐腐蚀涂层产业化项目", {"patents": [s.pn("materials", 2)], **plan}, "300000.00")  # draft
    app = s.create("applicant1", ind, "脆李分级包装线产业化项目",
                   {"patents": [s.pn("cuili", 1), s.pn("cuili", 2)], **plan}, "400000.00")
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.SEND_TO_REVIEW)
    s.review(app, 2, "350000.00")                                                                         # under_review
    app = s.create("applicant2", ind, "玄武岩纤维产业化项目", {"patents": [s.pn("materials", 1)], **plan}, "500000.00")
    s.approve_and_pay(app, "300000.00", reviewed=True)                                          # approved, 60 % paid
    app = s.create("applicant1", ind, "脆李保鲜技术产业化项目", {"patents": [s.pn("cuili", 0)], **plan}, "450000.00")
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.REJECT,
         reject={"comment": "自筹资金证明不足，项目不予立项"})                                                    # rejected

    # 专利奖 (patent_award): expert review and public notice.
    app = s.create("applicant2", award, f"{y}年度巫山县专利奖（金奖）申报",
                   {"patent": s.pn("materials", 0), "level": "gold"})
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.SEND_TO_REVIEW)
    s.review(app, 1, "200000.00")                                                                         # under_review
    app = s.create("applicant1", award, f"{y}年度巫山县专利奖（银奖）申报",
                   {"patent": s.pn("cuili", 2), "level": "silver"})
    s.go(app, Transition.SUBMIT, Transition.ACCEPT, Transition.SEND_TO_REVIEW)
    s.review(app, 3, "100000.00")
    s.go(app, Transition.PUBLISH)                                                                         # publicity

    loans = _seed_loans(s)
    # 贴息 (interest_subsidy): applicant1 claims half the interest paid last year on its loan.
    app = s.create("applicant1", ProgramCode.INTEREST_SUBSIDY, f"{y - 1}年度知识产权质押贷款贴息申请",
                   {"loans": [loans["cuili"].pk], "year": y - 1})
    s.go(app, Transition.SUBMIT)                                                                          # submitted
    return {"applications": s.applications + 1, "loans": len(loans)}


def _loan_data(s: _Seeder, key: str, contract: str, principal: str, rate: str, start: dt.date, rights: list,
               registration_no: str) -> dict:
    enterprise = s.base.enterprises[key]
    return {
        "contract_no": contract, "borrower_credit_code": enterprise.credit_code, "borrower_name": enterprise.name,
        "principal": principal, "annual_rate": rate, "start_date": start.isoformat(),
        "maturity_date": start.replace(year=start.year + 2).isoformat(),
        "pledge_registration_no": registration_no,
        "rights": rights,
    }


def _patent(asset, value: str) -> dict:
    return {"kind": "patent", "number": asset.number, "valuation": value}


def _mark(asset, value: str) -> dict:
    return {"kind": "trademark", "number": asset.number, "valuation": value}


def _repay(s: _Seeder, bank_user: str, loan: PledgeLoan, start: dt.date, months: int) -> None:
    """Quarterly interest (and a little principal) from ``start`` on, ``months`` long."""
    outstanding = loan.principal
    for m in range(3, months + 1, 3):
        on = dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 20)
        interest = (outstanding * loan.annual_rate / 4).quantize(CENT)
        principal = (loan.principal / 10).quantize(CENT)
        s.ps.repayment_record(by=s.u[bank_user], loan_id=loan.pk,
                              **{"date": on.isoformat(), "principal": str(principal), "interest": str(interest)})
        outstanding -= principal


def _seed_loans(s: _Seeder) -> dict[str, PledgeLoan]:
    y, b = s.year, s.base
    start = dt.date(y - 1, 1, 15)
    specs = [
        ("cuili", "bank1", "ABC-WS-2025-001", "3000000.00", "0.0385",
         [_patent(b.patents["cuili"][1], "4500000.00"), _mark(b.trademarks["cuili"][0], "800000.00")]),
        ("materials", "bank2", "CQRCB-WS-2025-002", "5000000.00", "0.0420",
         [_patent(b.patents["materials"][2], "6000000.00")]),
        ("orange", "bank1", "ABC-WS-2025-003", "1000000.00", "0.0365",
         [_patent(b.patents["orange"][1], "1500000.00"), _mark(b.trademarks["orange"][0], "500000.00")]),
        ("food", "bank2", "CQRCB-WS-2025-004", "2000000.00", "0.0450", [_mark(b.trademarks["food"][0], "2600000.00")]),
        ("tourism", "bank1", "ABC-WS-2025-005", "1500000.00", "0.0395", [_mark(b.trademarks["tourism"][0], "2000000.00")]),
        ("chips", "bank2", "CQRCB-WS-2025-006", "8000000.00", "0.0375",
         [_patent(b.patents["chips"][0], "12000000.00")]),
    ]
    loans = {}
    for i, (key, bank_user, contract, principal, rate, rights) in enumerate(specs):
        data = _loan_data(s, key, contract, principal, rate, start.replace(month=1 + i), rights,
                          registration_no=f"{y - 1}500000{410 + i:03d}")
        loans[key] = s.ps.loan_register(by=s.u[bank_user], **data)
        _repay(s, bank_user, loans[key], start.replace(month=1 + i), 9 if key != "food" else 6)
    s.ps.loan_settle(by=s.u["bank1"], loan_id=loans["orange"].pk, **{"date": dt.date(y, 1, 10).isoformat()})
    food = PledgeLoan.objects.get(pk=loans["food"].pk)
    s.ps.loan_default(by=s.u["bank2"], loan_id=food.pk,
                      **{"date": min(dt.date(y, 3, 1), dt.date.today()).isoformat(),
                            "outstanding_principal": str(food.outstanding_principal)})
    return loans
