"""Synthetic data at scale for benchmarks: valid identifiers, a consistent ledger, bulk inserts.

``generate(applications=N, loans=M, seed=S)`` adds N applications and M pledge loans spread over
programs, states, ten fiscal years, industries, townships, banks and regions. Rows are plain
column values written in batches by ``devtools.bulk_rows`` (executemany / COPY, ids reserved up
front); nothing global is switched off. Everything runs in one transaction. On PostgreSQL the
batches are copied by a writer thread while the next ones are built, and the loaded tables'
secondary indexes and foreign keys are rebuilt once after the load (``devtools.bulk_writer``);
the chains are linked as rows are built (``core.audit_bulk``), with the hashes ``verify_audit``
recomputes.

Consistency (what ``verify_ledger`` checks): every approved/disbursed application has a commit
entry for its approved amount and payment entries (unique voucher numbers) equal to its
``disbursed_amount``; budgets are allocated (or topped up) last, so that available ≥ 0.
Patents are fresh per application (one live claim per program and patent) and pledged rights are
fresh per loan (one live pledge per right). Numbering continues from the existing maximum ids, so
a second run adds more data instead of colliding with the first.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from applicants.models import (
    Applicant,
    Bank,
    HighValueGround,
    Industry,
    IPAsset,
    PatentType,
    RegionYearStats,
    Role,
    Township,
    User,
)
from core.audit_chain import registered, seal_unchained
from core.money import CENT, ZERO
from devtools.bulk_rows import Table, flush_all
from devtools.bulk_writer import Writer, big_page_cache, bulk_load, refresh_planner_statistics
from devtools.demo_data import (
    DEMO_BUDGETS,
    REGION_CODE,
    REGION_NAME,
    REGION_STATS,
    TOWNSHIPS,
    ensure_programs,
    ensure_region,
)
from devtools.identifiers import credit_code, patent_number, resident_id
from devtools.synthetic_apps import APP_TABLES, AppBuilder
from funding import counts, ledger
from funding.models import Account, Application, Budget, EntryKind, LedgerEntry
from pledges.models import InterestSubsidyClaim, LoanEvent, LoanStatus, PledgedRight, PledgeLoan, Repayment

# Districts and counties of Chongqing (GB/T 2260) used for extra regions, in order.
CHONGQING = (
    ("500101", "万州区"), ("500102", "涪陵区"), ("500103", "渝中区"), ("500104", "大渡口区"), ("500105", "江北区"),
    ("500106", "沙坪坝区"), ("500107", "九龙坡区"), ("500108", "南岸区"), ("500109", "北碚区"), ("500110", "綦江区"),
    ("500111", "大足区"), ("500112", "渝北区"), ("500113", "巴南区"), ("500114", "黔江区"), ("500115", "长寿区"),
    ("500116", "江津区"), ("500117", "合川区"), ("500118", "永川区"), ("500119", "南川区"), ("500120", "璧山区"),
    ("500151", "铜梁区"), ("500152", "潼南区"), ("500153", "荣昌区"), ("500154", "开州区"), ("500155", "梁平区"),
    ("500156", "武隆区"), ("500229", "城口县"), ("500230", "丰都县"), ("500231", "垫江县"), ("500233", "忠县"),
    ("500235", "云阳县"), ("500236", "奉节县"), ("500238", "巫溪县"), ("500240", "石柱土家族自治县"),
    ("500241", "秀山土家族苗族自治县"), ("500242", "酉阳土家族苗族自治县"), ("500243", "彭水苗族土家族自治县"),
)  # with 巫山县: the 38 districts and counties of 重庆
GENERIC_TOWNSHIPS = ("城关镇", "新城街道", "南山街道", "白鹤街道", "高峰镇", "龙井镇", "石桥镇", "长岭镇")
INDUSTRIES = [i for i in Industry.values]
INDUSTRY_WEIGHTS = [18, 14, 12, 16, 12, 12, 6, 10]
WITH_IDS = (Applicant, IPAsset, PledgeLoan, Application, InterestSubsidyClaim)  # rows others refer to
YEARS = 10
# Complete after the loans (their indexes are rebuilt while the applications are built).
LOAN_TABLES = (Applicant, PledgeLoan, PledgedRight, Repayment, LoanEvent)
TITLES = {
    Industry.CRISP_PLUM: "脆李", Industry.MEDICINAL_HERBS: "中药材", Industry.NAVEL_ORANGE: "脐橙",
    Industry.AGRI_PROCESSING: "农产品加工", Industry.NEW_MATERIALS: "复合材料", Industry.CULTURE_TOURISM: "文旅",
    Industry.INTEGRATED_CIRCUITS: "集成电路", Industry.OTHER: "通用设备",
}


@dataclass
class RegionCtx:
    region_id: int
    code: str
    programs: dict[str, object]
    budgets: dict[tuple[str, int], int]  # (program code, year) -> budget id
    townships: list[int]
    banks: list[int]
    staff: dict[str, int]  # clerk / finance / fincenter -> user id
    experts: list[int]


@dataclass
class Party:
    id: int
    region: int  # index into Generator.regions
    enterprise: bool
    industry: str


@dataclass
class LoanFacts:
    id: int
    bank_id: int
    borrower: Party
    outstanding_at_default: Decimal | None = None
    default_year: int | None = None
    compensated: bool = False
    interest_by_year: dict[int, Decimal] = field(default_factory=dict)


class Generator:
    def __init__(self, *, applications: int, loans: int, seed: int, regions: int = 3, assets: int = 0,
                 progress: bool = True, today: dt.date | None = None) -> None:
        self.n_apps, self.n_loans, self.n_regions, self.n_assets = applications, loans, max(1, regions), assets
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.year = self.today.year
        self.years = list(range(self.year - YEARS + 1, self.year + 1))
        self.progress = progress
        self.regions: list[RegionCtx] = []
        self.parties: list[Party] = []
        self.enterprises: list[Party] = []
        self.loans: list[LoanFacts] = []
        self.counts: dict[str, int] = {}
        self.t: dict[str, Table] = {}
        self.writer: Writer | None = None

    # --- helpers -------------------------------------------------------------------------
    def table(self, model) -> Table:
        name = model._meta.model_name
        if name not in self.t:
            self.t[name] = Table(model, self.counts, ids=model in WITH_IDS, writer=self.writer)
        return self.t[name]

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def date_in(self, year: int, after: dt.date | None = None) -> dt.date:
        start = max(dt.date(year, 1, 1), after or dt.date(year, 1, 1))
        end = min(dt.date(year, 12, 31), self.today)
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def new_patent(self, owner: Party, *, granted_year: int, invention: bool = True) -> tuple[int, str, str]:
        """Write a fresh valid patent of ``owner``; returns (id, number, country)."""
        table = self.table(IPAsset)
        pk = table.take()
        serial = 5_000_000 + pk % 5_000_000
        type_digit = "1" if invention or self.rng.random() < 0.5 else "2"
        app_year = max(2004, granted_year - self.rng.choice((1, 2, 3)))
        country = "CN" if self.rng.random() < 0.93 else self.rng.choice(("US", "JP", "KR", "EP", "DE"))
        grounds = [self.rng.choice(HighValueGround.values)] if type_digit == "1" and self.rng.random() < 0.15 else []
        number = patent_number(app_year, type_digit, serial)
        table.add(id=pk, kind=IPAsset.Kind.PATENT, number=number, owner_id=owner.id,
                  title=f"一种{TITLES[owner.industry]}相关技术{serial}",
                  patent_type=PatentType.INVENTION if type_digit == "1" else PatentType.UTILITY_MODEL,
                  granted_on=self.date_in(granted_year), country=country, high_value_grounds=grounds)
        return pk, number, country

    def new_trademark(self, owner: Party) -> tuple[int, str, str]:
        table = self.table(IPAsset)
        pk = table.take()
        number = str(60_000_000 + pk)
        table.add(id=pk, kind=IPAsset.Kind.TRADEMARK, number=number, owner_id=owner.id,
                  title=f"{TITLES[owner.industry]}品牌{pk}", nice_class=self.rng.choice((29, 30, 31, 35, 43)),
                  granted_on=self.date_in(self.rng.choice(self.years)))
        return pk, number, "CN"

    def bar(self, total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="行", file=sys.stderr, disable=not self.progress, leave=False)

    # --- steps -----------------------------------------------------------------------------
    def setup_regions(self) -> None:
        specs = [(REGION_CODE, REGION_NAME, TOWNSHIPS)] + [
            (code, name, tuple(f"{name[:-1]}{t}" for t in GENERIC_TOWNSHIPS)) for code, name in CHONGQING
        ]
        for code, name, townships in specs[: self.n_regions]:
            region = ensure_region(code, name, townships, self.year)
            for y in self.years:
                grown = {"resident_population": 300_000 + 7_000 * (y - self.years[0]) + int(code[-3:]) * 10,
                         "market_entities": 20_000 + 1_500 * (y - self.years[0])}
                RegionYearStats.objects.get_or_create(
                    region=region, year=y, defaults=REGION_STATS if code == REGION_CODE else grown)
            programs = ensure_programs(region)
            budgets = {}
            for pcode, program in programs.items():
                for y in self.years:
                    budgets[(pcode, y)] = Budget.objects.get_or_create(program=program, year=y)[0].pk
            banks = [Bank.objects.get_or_create(code=bcode, defaults={"name": bname, "region": region})[0].pk
                     for bcode, bname in self._banks(code, name)]
            staff = {role: self._user(f"syn-{code}-{role}", role, region).pk
                     for role in (Role.IP_OFFICE, Role.FINANCE, Role.FIN_CENTER)}
            experts = [self._user(f"syn-{code}-expert{i}", Role.EXPERT, region).pk for i in range(1, 6)]
            self.regions.append(RegionCtx(region.pk, code, programs, budgets,
                                          list(Township.objects.filter(region=region).values_list("pk", flat=True)),
                                          banks, staff, experts))

    @staticmethod
    def _banks(code: str, name: str) -> list[tuple[str, str]]:
        if code == REGION_CODE:
            return [("ABC-WS", "中国农业银行巫山县支行"), ("CQRCB-WS", "重庆农村商业银行巫山支行")]
        return [(f"ABC-{code}", f"中国农业银行{name}支行"), (f"CQRCB-{code}", f"重庆农村商业银行{name}支行"),
                (f"CCB-{code}", f"中国建设银行{name}支行")]

    @staticmethod
    def _user(username: str, role: str, region) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, region=region, email=f"{username}@example.com")
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    def create_parties(self) -> None:
        n_ent = max(20, self.n_apps // 8, self.n_loans // 2)
        n_ind = max(2, self.n_apps // 80)
        weights = [4] + [1] * (len(self.regions) - 1)
        table = self.table(Applicant)
        for i in range(n_ent + n_ind):
            r = self.rng.choices(range(len(self.regions)), weights)[0]
            ctx = self.regions[r]
            pk = table.take()
            industry = self.rng.choices(INDUSTRIES, INDUSTRY_WEIGHTS)[0]
            township = self.rng.choice(ctx.townships)
            if i < n_ent:
                table.add(id=pk, region_id=ctx.region_id, kind=Applicant.Kind.ENTERPRISE, industry=industry,
                          name=f"{TITLES[industry]}科技有限公司{pk}", township_id=township,
                          credit_code=credit_code(ctx.code, f"MX{pk % 10_000_000:07d}"),
                          legal_representative="张三", contact_phone="023-00000000")
            else:
                born = dt.date(1960, 1, 1) + dt.timedelta(days=(pk // 1000) % 15000)
                table.add(id=pk, region_id=ctx.region_id, kind=Applicant.Kind.INDIVIDUAL, industry=industry,
                          name=f"发明人{pk}", township_id=township, resident_id=resident_id(ctx.code, born, pk))
            self.parties.append(Party(pk, r, i < n_ent, industry))
        self.enterprises = [p for p in self.parties if p.enterprise]
        for _ in range(self.n_assets):
            owner = self.rng.choice(self.parties)
            if self.rng.random() < 0.7:
                self.new_patent(owner, granted_year=self.rng.choice(self.years), invention=False)
            else:
                self.new_trademark(owner)

    def create_loans(self) -> None:
        max_defaults = max(0, self.n_apps // 5)
        loans, rights, repayments, events = (self.table(m) for m in (PledgeLoan, PledgedRight, Repayment, LoanEvent))
        bar = self.bar(self.n_loans, "质押贷款")
        for i in range(self.n_loans):
            borrower = self.rng.choice(self.enterprises)
            ctx = self.regions[borrower.region]
            start = self.date_in(self.rng.choice(self.years))
            principal = Decimal(self.rng.randrange(50, 1000) * 10_000)
            pk = loans.take()
            row = dict(id=pk, bank_id=self.rng.choice(ctx.banks), borrower_id=borrower.id,
                       contract_no=f"SYN-{start.year}-{pk:08d}", principal=principal,
                       annual_rate=Decimal(self.rng.randrange(330, 600)) / Decimal(100_000),
                       start_date=start, maturity_date=_add_months(start, self.rng.choice((12, 24, 36))),
                       pledge_registration_no=f"{start.year}9{pk % 100_000_000:08d}",
                       outstanding_principal=principal, status=LoanStatus.ACTIVE)
            fact = LoanFacts(pk, row["bank_id"], borrower)
            for on, paid, interest in self._repay(row, fact, max_defaults):
                repayments.add(loan_id=pk, date=on, principal=paid, interest=interest)
            loans.add(**row)
            live = row["status"] in (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)
            n_rights = self.rng.choice((1, 1, 2))
            for _ in range(n_rights):
                asset, number, _country = (
                    self.new_patent(borrower, granted_year=max(self.years[0], start.year - 1))
                    if self.rng.random() < 0.6 else self.new_trademark(borrower))
                kind = IPAsset.Kind.PATENT if number.startswith("ZL") else IPAsset.Kind.TRADEMARK
                rights.add(loan_id=pk, kind=kind, number=number, live=live, ip_asset_id=asset,
                           valuation=(principal * Decimal("1.5") / n_rights).quantize(CENT))
            events.add(loan_id=pk, kind="registered", to_status=LoanStatus.ACTIVE,
                       detail={"principal": str(principal), "synthetic": True})
            self.loans.append(fact)
            if i % 1000 == 999:
                bar.update(1000)
        bar.close()

    def _repay(self, loan: dict, fact: LoanFacts, max_defaults: int) -> list[tuple]:
        """About ten repayments (date, principal, interest); then settled (matured), defaulted or
        compensated (a few), or still active. ``loan`` is the row; its status and balances are set here."""
        start, maturity, rate = loan["start_date"], loan["maturity_date"], loan["annual_rate"]
        end = min(maturity, self.today)
        defaults = self.counts.get("_defaults", 0)
        will_default = defaults < max_defaults and self.rng.random() < 0.08 and end > start
        step = max(1, (maturity - start).days // 10)
        reps, outstanding, on = [], loan["principal"], start
        per = (loan["principal"] / 12).quantize(CENT)
        stop_at = self.rng.randrange(2, 9) if will_default else 99
        while len(reps) < stop_at:
            on = on + dt.timedelta(days=step)
            if on > end:
                break
            interest = (outstanding * rate * step / 365).quantize(CENT)
            principal = min(per, outstanding)
            reps.append((on, principal, interest))
            outstanding -= principal
            fact.interest_by_year[on.year] = fact.interest_by_year.get(on.year, ZERO) + interest
        if will_default:
            self.count("_defaults", 1)
            on = min(on + dt.timedelta(days=30), self.today)
            fact.outstanding_at_default, fact.default_year = outstanding, on.year
            fact.compensated = on.year < self.year or self.rng.random() < 0.3
            loan.update(status=LoanStatus.COMPENSATED if fact.compensated else LoanStatus.DEFAULTED,
                        defaulted_on=on, outstanding_at_default=outstanding)
        elif maturity <= self.today:
            if outstanding > 0:
                reps.append((maturity, outstanding, (outstanding * rate / 12).quantize(CENT)))
                outstanding = ZERO
            loan.update(status=LoanStatus.SETTLED, settled_on=maturity)
        loan["outstanding_principal"] = outstanding
        return reps

    def fund_budgets(self) -> None:
        """Allocate every budget this run touched (or top it up) so that available ≥ 0."""
        ids = [bid for ctx in self.regions for bid in ctx.budgets.values()]
        rows = ledger.budgets_with_figures(Budget.objects.filter(pk__in=ids)).values(
            "pk", "year", "program__code", "fig_allocated", "fig_available").order_by("pk")  # same ids every run
        entries = self.table(LedgerEntry)
        for row in rows:
            available = row["fig_available"]
            if row["fig_allocated"] == 0:
                base = DEMO_BUDGETS[row["program__code"]]
                amount = max(base, _round_up(-available * Decimal("1.15"), 100_000))
                entries.add(budget_id=row["pk"], kind=EntryKind.ALLOCATION, amount=amount,
                            credit_account=Account.SOURCE, debit_account=Account.AVAILABLE,
                            booked_on=dt.date(row["year"], 1, 1), memo="年初预算（合成数据）")
            elif available < 0:
                amount = _round_up(-available * Decimal("1.10"), 10_000)
                entries.add(budget_id=row["pk"], kind=EntryKind.ADJUSTMENT, amount=amount,
                            credit_account=Account.SOURCE, debit_account=Account.AVAILABLE,
                            booked_on=min(dt.date(row["year"], 12, 31), self.today), memo="预算追加（合成数据）")
        entries.flush()

    def seal_audit_chains(self) -> None:
        """Bulk-written audit rows join the tamper-evident chains, so verify_audit stays clean."""
        for chain in registered():  # every chained table: transitions, ledger, repayments, recoveries, events
            seal_unchained(chain)

    def run(self) -> dict[str, int]:
        with big_page_cache(), transaction.atomic():
            self.setup_regions()
            with bulk_load([m._meta.db_table for m in (*LOAN_TABLES, *APP_TABLES)]) as load:
                self.writer = load.writer  # PostgreSQL: batches copied while the next ones are built
                try:
                    self.create_parties()
                    self.create_loans()
                    flush_all(self.t.values())
                    load.restore([m._meta.db_table for m in LOAN_TABLES])
                    AppBuilder(self).run(self.n_apps)
                    flush_all(self.t.values())  # before the budget figures are read
                finally:
                    self.writer = None
                    for table in self.t.values():
                        table.writer = None
            self.fund_budgets()
            self.seal_audit_chains()
            counts.rebuild()  # the bulk inserts bypassed Application.save
        refresh_planner_statistics(skip=load.analyzed)
        self.counts.pop("_defaults", None)
        return self.counts


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _round_up(amount: Decimal, step: int) -> Decimal:
    units = -(-int(amount) // step)
    return Decimal(max(1, units) * step).quantize(CENT)


def generate(*, applications: int, loans: int, seed: int, regions: int = 3, assets: int = 0,
             progress: bool = True) -> dict[str, int]:
    """Add synthetic data; returns the number of rows created per model."""
    return Generator(applications=applications, loans=loans, seed=seed, regions=regions, assets=assets,
                     progress=progress).run()
