"""A small, deterministic data set for report tests, written the way the services would write it:
applications in every state (bulk_create), ledger entries through ``funding.ledger.post``, pledge
loans with repayments, rights, defaults and recoveries, IP assets and the yearly statistics.

``perform(world)`` drives a few cases through the real services for the 绩效 sections: 验收,
termination, revocation and clawbacks (states are never assigned)."""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applicants.models import Applicant, Industry, IPAsset, PatentType, RegionYearStats
from funding import clawbacks, counts, ledger, services
from funding.models import Application, EntryKind
from funding.workflow import ProgramCode, State
from pledges.models import LoanStatus, PledgedRight, PledgeLoan, Recovery, Repayment
from tests import factories
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_approved

CENT = Decimal("0.01")
STATES = [State.DRAFT, State.SUBMITTED, State.RETURNED, State.ACCEPTED, State.UNDER_REVIEW, State.PUBLICITY,
          State.APPROVED, State.DISBURSED, State.REJECTED, State.WITHDRAWN]


@dataclass
class Populated:
    applications: int = 0
    loans: int = 0
    high_value_patents: int = 0
    valid_trademarks: int = 0
    new_loans_by_bank: dict = field(default_factory=dict)


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low * 100, high * 100)) * CENT).quantize(CENT)


def populate(world, *, applications: int = 200, loans: int = 30, seed: int = 7, stats: bool = True) -> Populated:
    rng = random.Random(seed)
    year = world.year
    out = Populated(applications=applications, loans=loans)
    townships = [factories.TownshipFactory(region=world.region, name=name) for name in factories.TOWNSHIPS]
    industries = list(Industry.values)
    enterprises = Applicant.objects.bulk_create([
        Applicant(region=world.region, kind=Applicant.Kind.ENTERPRISE, name=f"巫山县报表测试企业{seed}-{i}有限公司",
                  credit_code=factories.make_credit_code(world.region.code), industry=industries[i % len(industries)],
                  township=townships[i % len(townships)] if i % 7 else None)
        for i in range(24)
    ])
    programs = list(world.programs.values())
    apps = []
    for i in range(applications):
        state = STATES[i % len(STATES)]
        requested = _amount(rng, 1000, 20000)
        approved = requested if state in (State.APPROVED, State.DISBURSED) else None
        apps.append(Application(
            program=programs[(i // len(STATES)) % len(programs)], applicant=enterprises[rng.randrange(len(enterprises))],
            fiscal_year=year, title=f"报表测试项目{i}", requested_amount=requested, approved_amount=approved,
            disbursed_amount=approved if state == State.DISBURSED else Decimal("0.00"), state=state,
        ))
    apps = Application.objects.bulk_create(apps)
    counts.rebuild()  # the bulk insert bypassed Application.save
    for i, app in enumerate(apps):
        if app.state not in (State.APPROVED, State.DISBURSED):
            continue
        budget = world.budgets[app.program.code]
        ledger.post(budget=budget, kind=EntryKind.COMMIT, amount=app.approved_amount, application=app,
                    booked_on=datetime.date(year, 3, 1))
        if app.state == State.DISBURSED:
            first = (app.approved_amount * Decimal("0.6")).quantize(CENT)
            ledger.post(budget=budget, kind=EntryKind.PAYMENT, amount=first, application=app,
                        booked_on=datetime.date(year, 4 + i % 3, 10), voucher_no=f"V{seed}-{i}-1")
            ledger.post(budget=budget, kind=EntryKind.PAYMENT, amount=app.approved_amount - first, application=app,
                        booked_on=datetime.date(year, 9, 10), voucher_no=f"V{seed}-{i}-2")
    # Budget adjustments (a top-up and a cut) and a risk-pool recovery.
    ledger.post(budget=world.budgets[ProgramCode.INDUSTRIALIZATION], kind=EntryKind.ADJUSTMENT,
                amount=Decimal("500000.00"), memo="追加产业化资金", booked_on=datetime.date(year, 6, 1))
    ledger.post(budget=world.budgets[ProgramCode.PATENT_AWARD], kind=EntryKind.ADJUSTMENT,
                amount=Decimal("-123456.78"), memo="调减专利奖", booked_on=datetime.date(year, 7, 1))
    ledger.post(budget=world.budgets[ProgramCode.RISK_COMPENSATION], kind=EntryKind.RECOVERY,
                amount=Decimal("12345.67"), memo="追偿回流", booked_on=datetime.date(year, 8, 1))
    _loans(world, rng, enterprises, loans, seed, out)
    _assets(world, enterprises, seed, out, stats)
    return out


def _loans(world, rng, enterprises, count: int, seed: int, out: Populated) -> None:
    year = world.year
    banks = [world.bank1, world.bank2]
    loans = []
    for i in range(count):
        bank = banks[i % 2]
        this_year = i % 3 != 0
        start = datetime.date(year if this_year else year - 1, 1 + i % 12, 1 + i % 27)
        principal = _amount(rng, 100000, 3000000)
        status = [LoanStatus.ACTIVE, LoanStatus.ACTIVE, LoanStatus.SETTLED, LoanStatus.DEFAULTED][i % 4]
        extra = {}
        if status == LoanStatus.SETTLED:
            extra["settled_on"] = start + datetime.timedelta(days=200)
        if status == LoanStatus.DEFAULTED:
            extra.update(defaulted_on=datetime.date(year, 11, 1), outstanding_at_default=principal)
        loans.append(PledgeLoan(
            bank=bank, borrower=enterprises[i % len(enterprises)], contract_no=f"RPT-{seed}-{i}",
            principal=principal, annual_rate=Decimal("0.0385"), start_date=start,
            maturity_date=start + datetime.timedelta(days=365), pledge_registration_no=f"{2026500000000 + i}",
            outstanding_principal=Decimal("0.00") if status == LoanStatus.SETTLED else principal, status=status,
            **extra,
        ))
        if this_year:
            n, total = out.new_loans_by_bank.get(bank.name, (0, Decimal("0.00")))
            out.new_loans_by_bank[bank.name] = (n + 1, total + principal)
    loans = PledgeLoan.objects.bulk_create(loans)
    Repayment.objects.bulk_create([
        Repayment(loan=loan, date=loan.start_date + datetime.timedelta(days=30),
                  principal=(loan.principal / 10).quantize(CENT), interest=Decimal("1000.00"))
        for loan in loans if loan.status == LoanStatus.ACTIVE
    ])
    PledgedRight.objects.bulk_create([
        PledgedRight(loan=loan, kind=PledgedRight.Kind.PATENT if i % 2 else PledgedRight.Kind.TRADEMARK,
                     number=f"R{seed}{i:06d}", valuation=loan.principal * 2, live=loan.status != LoanStatus.SETTLED)
        for i, loan in enumerate(loans)
    ])
    Recovery.objects.bulk_create([
        Recovery(loan=loan, date=datetime.date(year, 12, 1), amount=Decimal("50000.00"), pool_share=Decimal("20000.00"))
        for loan in loans if loan.status == LoanStatus.DEFAULTED
    ])


def _assets(world, enterprises, seed: int, out: Populated, stats: bool) -> None:
    assets = []
    for i in range(30):
        grounds = ["strategic_industry"] if i % 3 == 0 else []
        valid = i % 5 != 0
        assets.append(IPAsset(kind=IPAsset.Kind.PATENT, number=factories.make_patent_number(), owner=enterprises[i % 24],
                              title=f"报表测试专利{i}", patent_type=PatentType.INVENTION if i % 4 else PatentType.DESIGN,
                              is_valid=valid, high_value_grounds=grounds))
        if grounds and valid and i % 4:
            out.high_value_patents += 1
    for i in range(20):
        valid = i % 4 != 0
        assets.append(IPAsset(kind=IPAsset.Kind.TRADEMARK, number=f"{seed}{70000000 + i}", owner=enterprises[i % 24],
                              title="巫山脆李", nice_class=31, is_valid=valid))
        out.valid_trademarks += valid
    IPAsset.objects.bulk_create(assets)
    if stats:
        RegionYearStats.objects.create(region=world.region, year=world.year, resident_population=450000,
                                       market_entities=60000)


# --- 绩效: cases driven through the services ------------------------------------------------------
@dataclass
class Performed:
    completed_paid: Application  # 验收 excellent, then paid in full (disbursed)
    completed: Application  # 验收 good, the second tranche not yet paid (completed)
    in_review: Application  # outcomes submitted, 验收 not passed: not counted
    terminated: Application  # 60 % paid, terminated; then 50,000.00 clawed back for fraud
    clawed: Application  # a subsidy paid 1,000.00, 400.00 clawed back (no fraud)
    revoked: Application  # a subsidy approved and revoked: a release that is not a termination's


def _approved_project(world, user, amount: str) -> Application:
    app = industrialization_app(world, user, amount=amount)  # plan: output 5,000,000.00, 20 jobs
    step(app, "submit", user)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal(amount))
    no_publicity(world, ProgramCode.INDUSTRIALIZATION)
    step(app, "publish", world.clerk)
    no_publicity(world, ProgramCode.INDUSTRIALIZATION)
    return step(app, "approve", world.finance)


def _to_acceptance(world, user, app: Application, first: str, voucher: str, outcomes: dict) -> Application:
    step(app, "disburse", world.finance, data={"amount": first, "voucher_no": voucher})
    services.document_attach(application_id=app.pk, by=user, kind="验收报告",
                             uploaded_file=SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%x\n"))
    return step(app, "submit_completion", user, data={"outcomes": outcomes})


def perform(world) -> Performed:
    a1, a2 = world.applicant1, world.applicant2
    paid = _to_acceptance(world, a1, _approved_project(world, a1, "300000.00"), "180000.00", "PF-1",
                          {"output_value": "4800000.00", "jobs": 12, "patents_implemented": 1})
    step(paid, "pass_completion", world.clerk, data={"grade": "excellent"})
    paid = step(paid, "disburse", world.finance, data={"amount": "120000.00", "voucher_no": "PF-2"})
    completed = _to_acceptance(world, a2, _approved_project(world, a2, "200000.00"), "120000.00", "PF-3",
                               {"output_value": "5500000.25", "jobs": 25, "patents_implemented": 2})
    completed = step(completed, "pass_completion", world.clerk, data={"grade": "good"})
    in_review = _to_acceptance(world, a2, _approved_project(world, a2, "100000.00"), "60000.00", "PF-4",
                               {"output_value": "9999999.99", "jobs": 99, "patents_implemented": 9})
    terminated = _approved_project(world, a1, "300000.00")
    step(terminated, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "PF-5"})
    terminated = step(terminated, "terminate", world.finance, comment="项目停止实施")
    clawed = step(to_approved(world, subsidy_app(world)), "disburse", world.finance,
                  data={"amount": "1000.00", "voucher_no": "PF-6"})
    revoked = step(to_approved(world, subsidy_app(world, a2)), "revoke", world.finance, comment="材料不实")
    today = timezone.localdate()
    clawbacks.clawback_record(by=world.finance, application_id=clawed.pk, amount="400.00", date=today,
                              voucher_no="ZH-P1", reason="重复资助")
    # Last: fraud bars applicant1 from creating or submitting anything more.
    clawbacks.clawback_record(by=world.finance, application_id=terminated.pk, amount="50000.00", date=today,
                              voucher_no="ZH-P2", reason="虚报项目投资", fraud=True)
    return Performed(completed_paid=paid, completed=completed, in_review=in_review, terminated=terminated,
                     clawed=clawed, revoked=revoked)
