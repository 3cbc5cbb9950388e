"""A small, deterministic data set for report tests, written the way the services would write it:
applications in every state (bulk_create), ledger entries through ``funding.ledger.post``, pledge
loans with repayments, rights, defaults and recoveries, IP assets and the yearly statistics."""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from applicants.models import Applicant, Industry, IPAsset, PatentType, RegionYearStats
from funding import ledger
from funding.models import Application, EntryKind
from funding.workflow import ProgramCode, State
from pledges.models import LoanStatus, PledgedRight, PledgeLoan, Recovery, Repayment
from tests import factories

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
