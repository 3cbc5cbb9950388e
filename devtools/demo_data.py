"""The demo world of contract §2 as data, and the idempotent base part of ``seed_demo``.

Everything here is keyed on natural keys (region code, program code, bank code, credit code,
patent number, username) so that running the seed twice neither fails nor duplicates.
Product code only: tests may import from here, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from applicants.models import (
    Applicant,
    Bank,
    HighValueGround,
    Industry,
    IPAsset,
    PatentType,
    Region,
    RegionYearStats,
    Role,
    Township,
    User,
)
from core import audit_seal
from devtools.identifiers import REGION_CODE, credit_code, patent_number
from funding import ledger
from funding.models import Budget, EntryKind, LedgerEntry, Program
from funding.services import budget_allocate
from funding.workflow import ProgramCode

DEMO_PASSWORD = "ipfund-demo-2026"

REGION_NAME = "巫山县"
TOWNSHIPS = ("巫峡镇", "龙门街道", "高唐街道", "大昌镇", "福田镇", "庙宇镇", "骡坪镇", "官渡镇", "双龙镇", "抱龙镇")
# Yearly inputs of the indicators (domain §8): ≈ 46万 residents, ≈ 3.5万 market entities.
REGION_STATS = {"resident_population": 460_000, "market_entities": 35_000}

SUBSIDY_STANDARDS = {"invention": {"CN": "1000.00", "US": "20000.00", "JP": "20000.00", "KR": "20000.00",
                                   "EP": "20000.00", "*": "10000.00"}}
AWARD_LEVELS = {"gold": "200000.00", "silver": "100000.00", "excellence": "50000.00"}
# 评分细则 (funding.ruleset: maxima summing to 100): the experts score each item, the score is the sum.
INDUSTRIALIZATION_CRITERIA = [
    {"key": "tech", "label": "技术先进性", "max": 25},
    {"key": "market", "label": "市场前景", "max": 25},
    {"key": "basis", "label": "实施基础", "max": 20},
    {"key": "benefit", "label": "经济社会效益", "max": 20},
    {"key": "funds", "label": "资金使用计划", "max": 10},
]
AWARD_CRITERIA = [
    {"key": "novelty", "label": "专利质量与创新水平", "max": 30},
    {"key": "application", "label": "实施与运用情况", "max": 30},
    {"key": "benefit", "label": "经济社会效益", "max": 25},
    {"key": "protection", "label": "保护与管理措施", "max": 15},
]


def item_scores_for(criteria: list, score: int) -> dict[str, int] | None:
    """A review's points per item that add up to ``score``: each item its share of its maximum, the
    points left over to the largest remainders (None without criteria)."""
    if not criteria:
        return None
    points = {item["key"]: item["max"] * score // 100 for item in criteria}
    by_remainder = sorted(criteria, key=lambda item: item["max"] * score % 100, reverse=True)
    for item in by_remainder[:score - sum(points.values())]:
        points[item["key"]] += 1
    return points

# The demo rules per program (contract §2); every field is a Program field.
PROGRAM_RULES: dict[str, dict] = {
    ProgramCode.INDUSTRIALIZATION: dict(
        name_zh="专利产业化资金", name_en="Patent industrialization fund", expert_review=True, min_reviews=3,
        cap_per_project=Decimal("500000.00"), cap_per_applicant_year=Decimal("1000000.00"),
        first_tranche_share=Decimal("0.6000"), publicity_days=5, scoring_criteria=INDUSTRIALIZATION_CRITERIA,
    ),
    ProgramCode.APPLICATION_SUBSIDY: dict(
        name_zh="专利资助", name_en="Patent subsidy", expert_review=False,
        cap_per_applicant_year=Decimal("100000.00"), subsidy_standards=SUBSIDY_STANDARDS,
        fee_share=Decimal("0.5000"), publicity_days=5,
    ),
    ProgramCode.PATENT_AWARD: dict(
        name_zh="专利奖", name_en="Patent award", expert_review=True, min_reviews=3,
        award_levels=AWARD_LEVELS, publicity_days=7, scoring_criteria=AWARD_CRITERIA,
    ),
    ProgramCode.INTEREST_SUBSIDY: dict(
        name_zh="知识产权质押贷款贴息", name_en="IP-pledge loan interest subsidy", expert_review=False,
        cap_per_applicant_year=Decimal("300000.00"), interest_ratio=Decimal("0.5000"), publicity_days=5,
    ),
    ProgramCode.RISK_COMPENSATION: dict(
        name_zh="知识产权质押融资风险补偿", name_en="IP-pledge risk compensation", expert_review=False,
        publicity_days=0, cap_per_project=Decimal("1000000.00"), risk_share=Decimal("0.4000"),
    ),
}

DEMO_BUDGETS: dict[str, Decimal] = {
    ProgramCode.INDUSTRIALIZATION: Decimal("5000000.00"),
    ProgramCode.APPLICATION_SUBSIDY: Decimal("1000000.00"),
    ProgramCode.PATENT_AWARD: Decimal("1000000.00"),
    ProgramCode.INTEREST_SUBSIDY: Decimal("2000000.00"),
    ProgramCode.RISK_COMPENSATION: Decimal("10000000.00"),  # the risk pool
}

BANKS = (("ABC-WS", "中国农业银行巫山县支行"), ("CQRCB-WS", "重庆农村商业银行巫山支行"))


@dataclass(frozen=True)
class DemoPatent:
    serial: int
    title: str
    years_back: int = 1  # granted this many years before the current one
    type_digit: str = "1"
    high_value: tuple[str, ...] = ()
    country: str = "CN"


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    name: str
    org: str  # characters 9–17 of the credit code
    industry: str
    township: str
    legal_representative: str
    email: str
    patents: tuple[DemoPatent, ...] = ()
    trademarks: tuple[tuple[str, str, int], ...] = ()  # (number, title, nice class)


ENTERPRISES: tuple[DemoEnterprise, ...] = (
    DemoEnterprise("cuili", "巫山县脆李农业开发有限公司", "MA5U52604", Industry.CRISP_PLUM, "龙门街道", "李明",
                   "cuili@example.com",
                   (DemoPatent(101, "一种脆李保鲜贮藏方法"), DemoPatent(102, "脆李分级包装装置", type_digit="2"),
                    DemoPatent(103, "一种脆李嫁接育苗方法", years_back=12,
                               high_value=(HighValueGround.MAINTAINED_10_YEARS,)),
                    DemoPatent(104, "一种脆李果酒酿造方法"), DemoPatent(105, "一种脆李果脯加工工艺")),
                   (("30812345", "巫山脆李", 31),)),
    DemoEnterprise("herbs", "巫山县中药材种植专业合作社联合社", "MA5U83013", Industry.MEDICINAL_HERBS, "骡坪镇", "王芳",
                   "herbs@example.com",
                   (DemoPatent(201, "一种党参有效成分提取工艺"), DemoPatent(202, "一种中药材烘干设备"),
                    DemoPatent(203, "一种独活组培快繁方法", years_back=3)),
                   (("31523456", "巫山党参", 5),)),
    DemoEnterprise("orange", "巫山县纽荷尔果业有限公司", "MA5U60017", Industry.NAVEL_ORANGE, "大昌镇", "陈刚",
                   "orange@example.com",
                   (DemoPatent(301, "一种柑橘采后防腐保鲜剂"), DemoPatent(302, "纽荷尔脐橙清洗打蜡机", type_digit="2")),
                   (("32634567", "巫峡纽荷尔", 31),)),
    DemoEnterprise("food", "巫山县特色食品加工有限公司", "MA5U71129", Industry.AGRI_PROCESSING, "高唐街道", "刘洋",
                   "food@example.com",
                   (DemoPatent(401, "一种烤鱼调味料及其制备方法"), DemoPatent(402, "一种洋芋粉丝加工方法", years_back=2)),
                   (("33745678", "巫山烤鱼", 43), ("33745679", "巫山洋芋", 30))),
    DemoEnterprise("materials", "重庆巫峡新材料科技有限公司", "MA5U44551", Industry.NEW_MATERIALS, "巫峡镇", "赵磊",
                   "materials@example.com",
                   (DemoPatent(501, "一种石墨烯改性复合材料及其制备方法",
                               high_value=(HighValueGround.STRATEGIC_INDUSTRY,)),
                    DemoPatent(502, "一种高强度玄武岩纤维", high_value=(HighValueGround.STRATEGIC_INDUSTRY,
                                                                    HighValueGround.OVERSEAS_FAMILY)),
                    DemoPatent(503, "一种耐腐蚀涂层", years_back=4), DemoPatent(504, "一种新型保温板"),
                    DemoPatent(505, "一种碳纤维预浸料制备方法"), DemoPatent(506, "一种陶瓷基复合涂层")),
                   ()),
    DemoEnterprise("tourism", "巫山县红叶文化旅游发展有限公司", "MA5U39920", Industry.CULTURE_TOURISM, "巫峡镇", "孙丽",
                   "tourism@example.com",
                   (DemoPatent(601, "景区游客流量监测装置", type_digit="2"),),
                   (("34856789", "巫山红叶", 39), ("34856790", "神女溪", 41))),
    DemoEnterprise("chips", "重庆三峡集成电路设计有限公司", "MA5U27738", Industry.INTEGRATED_CIRCUITS, "高唐街道", "周杰",
                   "chips@example.com",
                   (DemoPatent(701, "一种低功耗模数转换电路", high_value=(HighValueGround.STRATEGIC_INDUSTRY,)),
                    DemoPatent(702, "一种芯片封装散热结构"), DemoPatent(703, "一种射频前端匹配电路", years_back=2)),
                   ()),
)

# username → (role, enterprise key or bank code or None, extra flags)
USERS: tuple[tuple[str, str, str | None], ...] = (
    ("applicant1", Role.APPLICANT, "cuili"),
    ("applicant2", Role.APPLICANT, "materials"),
    ("clerk", Role.IP_OFFICE, None),
    ("expert1", Role.EXPERT, None),
    ("expert2", Role.EXPERT, None),
    ("expert3", Role.EXPERT, None),
    ("finance", Role.FINANCE, None),
    ("fincenter", Role.FIN_CENTER, None),
    ("bank1", Role.BANK, "ABC-WS"),
    ("bank2", Role.BANK, "CQRCB-WS"),
    ("admin", Role.ADMIN, None),
)


@dataclass
class DemoBase:
    region: Region
    year: int
    programs: dict[str, Program]
    budgets: dict[str, Budget]
    banks: dict[str, Bank]
    enterprises: dict[str, Applicant]
    users: dict[str, User]
    patents: dict[str, list[IPAsset]] = field(default_factory=dict)
    trademarks: dict[str, list[IPAsset]] = field(default_factory=dict)


def ensure_region(code: str, name: str, townships: tuple[str, ...], year: int,
                  stats: dict | None = None) -> Region:
    region, _ = Region.objects.get_or_create(code=code, defaults={
        "name": name, "notice_office": f"{name}市场监督管理局（知识产权局）",
        "notice_address": f"{name}人民政府政务服务中心 3 楼知识产权窗口", "notice_phone": "023-57681234"})
    for township in townships:
        Township.objects.get_or_create(region=region, name=township)
    if stats:
        for y in (year - 1, year):
            RegionYearStats.objects.get_or_create(region=region, year=y, defaults=stats)
    return region


def ensure_programs(region: Region) -> dict[str, Program]:
    programs = {}
    for code, rules in PROGRAM_RULES.items():
        programs[code], _ = Program.objects.get_or_create(region=region, code=code, defaults=dict(rules))
    return programs


def ensure_budget(program: Program, year: int, amount: Decimal, by: User | None = None) -> Budget:
    """The program's budget for ``year`` with its allocation entry, posted once."""
    budget, _ = Budget.objects.get_or_create(program=program, year=year)
    if LedgerEntry.objects.filter(budget=budget, kind=EntryKind.ALLOCATION).exists():
        return budget
    if by is not None:
        return budget_allocate(by=by, program=program, year=year, amount=amount, memo="年初预算（演示数据）")
    ledger.post(budget=budget, kind=EntryKind.ALLOCATION, amount=amount, by=by, memo="年初预算（演示数据）")
    return budget


def _ensure_user(username: str, role: str, region: Region, **extra) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, region=region, **extra)
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _ensure_enterprise(spec: DemoEnterprise, region: Region, year: int) -> tuple[Applicant, list, list]:
    township = Township.objects.get(region=region, name=spec.township)
    enterprise, _ = Applicant.objects.get_or_create(
        credit_code=credit_code(region.code, spec.org),
        defaults=dict(region=region, kind=Applicant.Kind.ENTERPRISE, name=spec.name, industry=spec.industry,
                      township=township, address=f"重庆市巫山县{spec.township}", contact_email=spec.email,
                      legal_representative=spec.legal_representative, contact_name=spec.legal_representative,
                      contact_phone="023-5768" + spec.org[-4:]),
    )
    patents = []
    for p in spec.patents:
        granted_year = year - p.years_back
        app_year = granted_year - 2
        number = patent_number(app_year, p.type_digit, p.serial)
        ptype = {"1": PatentType.INVENTION, "2": PatentType.UTILITY_MODEL, "3": PatentType.DESIGN}[p.type_digit]
        asset, _ = IPAsset.objects.get_or_create(
            kind=IPAsset.Kind.PATENT, number=number,
            defaults=dict(owner=enterprise, title=p.title, patent_type=ptype, country=p.country,
                          granted_on=dt.date(granted_year, 3 + p.serial % 9, 1 + p.serial % 27),
                          high_value_grounds=list(p.high_value)),
        )
        patents.append(asset)
    trademarks = []
    for number, title, nice in spec.trademarks:
        asset, _ = IPAsset.objects.get_or_create(
            kind=IPAsset.Kind.TRADEMARK, number=number,
            defaults=dict(owner=enterprise, title=title, nice_class=nice, granted_on=dt.date(2019, 5, 20)),
        )
        trademarks.append(asset)
    return enterprise, patents, trademarks


@audit_seal.batch
@transaction.atomic
def seed_base(year: int | None = None) -> DemoBase:
    """Region, stats, programs, banks, enterprises with IP, users, budgets: idempotent."""
    year = year or timezone.localdate().year
    region = ensure_region(REGION_CODE, REGION_NAME, TOWNSHIPS, year, REGION_STATS)
    programs = ensure_programs(region)
    banks = {code: Bank.objects.get_or_create(code=code, defaults={"name": name, "region": region})[0]
             for code, name in BANKS}
    enterprises, patents, trademarks = {}, {}, {}
    for spec in ENTERPRISES:
        enterprises[spec.key], patents[spec.key], trademarks[spec.key] = _ensure_enterprise(spec, region, year)
    users = {}
    for username, role, link in USERS:
        extra: dict = {}
        if role == Role.APPLICANT:
            extra = {"applicant": enterprises[link], "email": f"{username}@example.com",
                     "first_name": enterprises[link].legal_representative}
        elif role == Role.BANK:
            extra = {"bank": banks[link], "email": f"{username}@example.com"}
        elif role == Role.ADMIN:
            extra = {"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
        else:
            extra = {"email": f"{username}@example.com"}
        users[username] = _ensure_user(username, role, region, **extra)
    budgets = {code: ensure_budget(program, year, DEMO_BUDGETS[code], by=users["finance"])
               for code, program in programs.items()}
    return DemoBase(region=region, year=year, programs=programs, budgets=budgets, banks=banks,
                    enterprises=enterprises, users=users, patents=patents, trademarks=trademarks)


def accounts_table() -> list[tuple[str, str, str]]:
    """(username, role label, password) for the printed demo accounts table."""
    return [(username, str(Role(role).label), DEMO_PASSWORD) for username, role, _ in USERS]
