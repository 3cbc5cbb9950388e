"""A region at a scale where PostgreSQL's planner prefers indexes, written with ``bulk_create`` only.

30,000 applications (5 programs × 10 fiscal years × 3,000 enterprises), 50,000 ledger entries,
24,000 IP assets, 10,000 pledge loans with 20,000 rights and 30,000 repayments, 10,000
Idempotency-Keys. Old years are settled (disbursed, rejected, withdrawn); only the current year has
open cases, as in real life, so the queues' filters are selective; ids grow with time. The caller
commits, then runs ``vacuum_analyze()`` (as autovacuum would) and ``wipe()`` when done.

Not ``tests.factories.build_world()`` plus rows: the world's factories create one row per query and
its current-year budgets (with their allocation entries) would collide with the ten years of budgets
written here in bulk. It builds on the same pieces instead: the test county (``REGION_CODE``,
``REGION_NAME``, ``TOWNSHIPS``), ``PROGRAM_DEFAULTS`` and the identifier generators of
``devtools.identifiers`` (re-exported by ``tests.factories``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from applicants.models import Applicant, Bank, Industry, IPAsset, PatentType, Region, Role, Township, User
from funding import counts
from funding.models import (
    Account,
    Application,
    Budget,
    EntryKind,
    LedgerEntry,
    PatentClaim,
    Program,
    ReviewAssignment,
    TransitionLog,
)
from funding.workflow import ProgramCode, State
from pledges.models import (
    LIVE_STATUSES,
    IdempotencyRecord,
    LoanEvent,
    LoanStatus,
    PledgedRight,
    PledgeLoan,
    Repayment,
    RiskCompensationClaim,
)
from tests.factories import (
    PROGRAM_DEFAULTS,
    REGION_CODE,
    REGION_NAME,
    TOWNSHIPS,
    make_credit_code,
    make_patent_number,
)

APPLICANTS = 3_000
PATENTS = 12_000
TRADEMARKS = 10_000
APPLICATIONS = 30_000
LOANS = 10_000
YEARS = 10
BATCH = 5_000
TEN_K = Decimal("10000.00")

BIG_TABLES = (
    "funding_application", "funding_ledgerentry", "pledges_pledgeloan", "pledges_repayment",
    "pledges_pledgedright", "applicants_ipasset",
)
ANALYZED = (*BIG_TABLES, "applicants_applicant", "funding_budget", "funding_program", "funding_patentclaim",
            "funding_reviewassignment", "funding_transitionlog", "pledges_idempotencyrecord", "pledges_loanevent",
            "pledges_riskcompensationclaim", "applicants_bank", "applicants_township")

OLD_STATES = [State.DISBURSED] * 12 + [State.REJECTED] * 5 + [State.WITHDRAWN] * 2 + [State.APPROVED]
CURRENT_STATES = list(State.values)
LOAN_STATUSES = ([LoanStatus.SETTLED] * 11 + [LoanStatus.ACTIVE] * 6 + [LoanStatus.DEFAULTED, LoanStatus.COMPENSATED]
                 + [LoanStatus.CANCELLED])


@dataclass
class Big:
    region: Region
    year: int
    programs: dict[str, Program]
    banks: list[Bank]
    townships: list[Township]
    users: dict[str, User]
    applicant: Applicant
    application_ids: list[int]
    loan_ids: list[int]
    patent_numbers: list[str]
    credit_code: str


def _user(username: str, role: str, region: Region, **extra) -> User:
    user = User.objects.create(username=username, region=region, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


def load(seed: int = 6) -> Big:
    rnd = random.Random(seed)
    year = timezone.localdate().year
    years = list(range(year - YEARS + 1, year + 1))
    region = Region.objects.create(code=REGION_CODE, name=REGION_NAME)
    townships = Township.objects.bulk_create([Township(region=region, name=n) for n in TOWNSHIPS])
    banks = Bank.objects.bulk_create(
        [Bank(region=region, code=f"PERF{i}", name=f"性能测试银行{i}") for i in range(5)]
    )
    programs = {code: Program.objects.create(region=region, code=code, **PROGRAM_DEFAULTS[code])
                for code in ProgramCode.values}
    industries = list(Industry.values)
    applicants = Applicant.objects.bulk_create([
        Applicant(region=region, name=f"巫山县性能企业{i}有限公司", credit_code=make_credit_code(region.code, 5_000_000 + i),
                  credit_region_code=region.code, industry=industries[i % len(industries)],
                  township=townships[i % len(townships)])
        for i in range(APPLICANTS)
    ], batch_size=BATCH)
    users = {
        "clerk": _user("perf_clerk", Role.IP_OFFICE, region),
        "expert": _user("perf_expert", Role.EXPERT, region),
        "finance": _user("perf_finance", Role.FINANCE, region),
        "fincenter": _user("perf_fincenter", Role.FIN_CENTER, region),
        "bank": _user("perf_bank", Role.BANK, region, bank=banks[0]),
        "applicant": _user("perf_applicant", Role.APPLICANT, region, applicant=applicants[0]),
        "admin": _user("perf_admin", Role.ADMIN, region, is_superuser=True, is_staff=True),
    }
    patent_numbers = [make_patent_number(year - 1 - i % 5, n=3_000_000 + i) for i in range(PATENTS)]
    assets = IPAsset.objects.bulk_create(
        [IPAsset(kind=IPAsset.Kind.PATENT, number=number, owner=applicants[i % APPLICANTS], title=f"一种方法{i}",
                 patent_type=PatentType.INVENTION, granted_on=dt.date(year - 1, 6, 1),
                 high_value_grounds=["strategic_industry"] if i % 7 == 0 else [])
         for i, number in enumerate(patent_numbers)]
        + [IPAsset(kind=IPAsset.Kind.TRADEMARK, number=str(40_000_000 + i), owner=applicants[i % APPLICANTS],
                   title=f"商标{i}", nice_class=31, granted_on=dt.date(2020, 1, 1)) for i in range(TRADEMARKS)],
        batch_size=BATCH,
    )
    patents, trademarks = assets[:PATENTS], assets[PATENTS:]
    budgets = {(b.program.code, b.year): b
               for b in Budget.objects.bulk_create([Budget(program=p, year=y) for p in programs.values() for y in years])}

    codes = list(ProgramCode.values)
    apps = []
    for i in range(APPLICATIONS):
        code = codes[i % 5]
        fy = years[i * YEARS // APPLICATIONS]  # ids grow with time, as they do in production
        state = rnd.choice(CURRENT_STATES if fy == year else OLD_STATES)
        approved = TEN_K if state in (State.APPROVED, State.DISBURSED) else None
        apps.append(Application(
            program=programs[code], applicant=applicants[rnd.randrange(APPLICANTS)], fiscal_year=fy,
            claimant_bank=banks[i % 5] if code == ProgramCode.RISK_COMPENSATION else None,
            title=f"性能测试项目{i}", requested_amount=TEN_K, approved_amount=approved,
            disbursed_amount=TEN_K if state == State.DISBURSED else Decimal("0.00"), state=state,
            publicity_started_on=dt.date(fy, 6, 1) if state == State.PUBLICITY else None,
        ))
    apps = Application.objects.bulk_create(apps, batch_size=BATCH)
    counts.rebuild()  # the bulk insert bypassed Application.save

    entries = [LedgerEntry(budget=b, kind=EntryKind.ALLOCATION, credit_account=Account.SOURCE,
                           debit_account=Account.AVAILABLE, amount=Decimal("100000000.00"), booked_on=dt.date(y, 1, 1))
               for (code, y), b in budgets.items()]
    for app in apps:
        if app.approved_amount is None:
            continue
        budget = budgets[(app.program.code, app.fiscal_year)]
        booked = dt.date(app.fiscal_year, 1 + app.pk % 12, 1)
        entries.append(LedgerEntry(budget=budget, application=app, kind=EntryKind.COMMIT, amount=TEN_K,
                                   credit_account=Account.AVAILABLE, debit_account=Account.COMMITTED, booked_on=booked))
        if app.state == State.DISBURSED:
            for n, part in enumerate((Decimal("6000.00"), Decimal("4000.00"))):
                entries.append(LedgerEntry(budget=budget, application=app, kind=EntryKind.PAYMENT, amount=part,
                                           credit_account=Account.COMMITTED, debit_account=Account.PAID,
                                           voucher_no=f"PV{app.pk}-{n}", booked_on=booked))
    LedgerEntry.objects.bulk_create(entries, batch_size=BATCH)
    TransitionLog.objects.bulk_create(
        [TransitionLog(application=a, transition="submit", from_state="draft", to_state="submitted",
                       by=users["applicant"]) for a in apps[::3]], batch_size=BATCH)
    reviewable = (ProgramCode.INDUSTRIALIZATION, ProgramCode.PATENT_AWARD)
    assigned = [a for a in apps
                if a.program.code in reviewable and (a.state == State.UNDER_REVIEW or a.pk % 10 == 0)]
    ReviewAssignment.objects.bulk_create([ReviewAssignment(application=a, expert=users["expert"]) for a in assigned],
                                         batch_size=BATCH)
    Application.objects.filter(pk__in=[a.pk for a in assigned]).update(review_round=1)  # their first round
    subsidy = [a for a in apps if a.program.code == ProgramCode.APPLICATION_SUBSIDY]
    PatentClaim.objects.bulk_create(
        [PatentClaim(application=a, program=a.program, patent=patents[n], standard_amount=Decimal("1000.00"),
                     live=a.state not in (State.REJECTED, State.WITHDRAWN)) for n, a in enumerate(subsidy)],
        batch_size=BATCH)

    loans = []
    for i in range(LOANS):
        status = rnd.choice(LOAN_STATUSES)
        start = dt.date(years[i * YEARS // LOANS], 1 + i % 12, 1 + i % 28)
        defaulted = status in (LoanStatus.DEFAULTED, LoanStatus.COMPENSATED)
        loans.append(PledgeLoan(
            bank=banks[i % 5], borrower=applicants[rnd.randrange(APPLICANTS)], contract_no=f"PERF-{i:06d}",
            principal=Decimal("1000000.00"), annual_rate=Decimal("0.038500"), start_date=start,
            maturity_date=start + dt.timedelta(days=365), pledge_registration_no=f"{2015990000000 + i}",
            outstanding_principal=Decimal("0.00") if status == LoanStatus.SETTLED else Decimal("700000.00"),
            status=status, settled_on=start + dt.timedelta(days=300) if status == LoanStatus.SETTLED else None,
            defaulted_on=start + dt.timedelta(days=200) if defaulted else None,
            outstanding_at_default=Decimal("700000.00") if defaulted else None,
        ))
    loans = PledgeLoan.objects.bulk_create(loans, batch_size=BATCH)
    rights, repayments, events = [], [], []
    for i, loan in enumerate(loans):
        live = loan.status in LIVE_STATUSES
        rights.append(PledgedRight(loan=loan, kind=PledgedRight.Kind.PATENT, number=patents[i].number,
                                   valuation=Decimal("2000000.00"), ip_asset=patents[i], live=live))
        rights.append(PledgedRight(loan=loan, kind=PledgedRight.Kind.TRADEMARK, number=trademarks[i].number,
                                   valuation=Decimal("500000.00"), ip_asset=trademarks[i], live=live))
        for month in (3, 6, 9):
            repayments.append(Repayment(loan=loan, date=loan.start_date + dt.timedelta(days=30 * month),
                                        principal=Decimal("100000.00"), interest=Decimal("9625.00")))
        if i % 3 == 0:
            events.append(LoanEvent(loan=loan, kind="register", to_status=LoanStatus.ACTIVE, by=users["bank"]))
    PledgedRight.objects.bulk_create(rights, batch_size=BATCH)
    Repayment.objects.bulk_create(repayments, batch_size=BATCH)
    LoanEvent.objects.bulk_create(events, batch_size=BATCH)
    risk_apps = [a for a in apps if a.program.code == ProgramCode.RISK_COMPENSATION]
    defaulted = [loan for loan in loans if loan.defaulted_on is not None]
    RiskCompensationClaim.objects.bulk_create(
        [RiskCompensationClaim(application=a, loan=loan, outstanding_at_default=Decimal("700000.00"),
                               share=Decimal("0.4000")) for a, loan in zip(risk_apps, defaulted, strict=False)])
    now = timezone.now()
    IdempotencyRecord.objects.bulk_create(
        [IdempotencyRecord(bank=banks[i % 5], key=f"key-{i}", request_hash="0" * 64, method="POST",
                           path="/api/v1/pledges/", response_status=201, response_body={},
                           created_at=now - dt.timedelta(minutes=i)) for i in range(5_000)], batch_size=BATCH)
    return Big(region=region, year=year, programs=programs, banks=list(banks), townships=list(townships),
               users=users, applicant=applicants[0], application_ids=[a.pk for a in apps],
               loan_ids=[loan.pk for loan in loans], patent_numbers=patent_numbers,
               credit_code=applicants[0].credit_code)


def vacuum_analyze() -> None:
    """Statistics and the visibility map, as autovacuum leaves them in production (outside a transaction)."""
    with connection.cursor() as cursor:
        for table in ANALYZED:
            cursor.execute(f"VACUUM ANALYZE {table}")


def wipe() -> None:
    """Remove everything ``load`` wrote: all of it hangs off the region and the users."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE applicants_region, applicants_user CASCADE")
