"""factory_boy factories for every model, and ``build_world`` for a ready region."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from applicants.models import Applicant, Bank, Industry, IPAsset, PatentType, Region, Role, Township, User
from devtools.demo_data import DEMO_BUDGETS, REGION_NAME
from devtools.identifiers import REGION_CODE, make_credit_code, make_patent_number, make_resident_id
from funding import ledger
from funding.models import Application, Budget, EntryKind, Program
from funding.workflow import ProgramCode

# The identifier generators (make_credit_code, make_patent_number, make_resident_id) and DEMO_BUDGETS are
# defined once in devtools; tests keep importing them from here.

# The test county's townships (a subset of the demo's, in this order): factories, reports and perf data use them.
TOWNSHIPS = ("巫峡镇", "龙门街道", "高唐街道", "大昌镇", "庙宇镇")


def ensure_role_groups() -> None:
    """Put back the role groups of the data migration: a ``transaction=True`` test's flush removes them."""
    for role in Role.values:
        Group.objects.get_or_create(name=role)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = REGION_CODE
    name = REGION_NAME


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township
        django_get_or_create = ("region", "name")

    region = factory.SubFactory(RegionFactory)
    name = factory.Iterator(TOWNSHIPS)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    region = factory.SubFactory(RegionFactory)
    kind = Applicant.Kind.ENTERPRISE
    name = factory.Sequence(lambda n: f"巫山县测试企业{n}有限公司")
    credit_code = factory.LazyAttribute(lambda o: make_credit_code(o.region.code))
    industry = Industry.CRISP_PLUM
    township = factory.SubFactory(TownshipFactory, region=factory.SelfAttribute("..region"))
    address = "巫山县巫峡镇广东中路 1 号"
    legal_representative = "张三"
    contact_phone = "023-57681234"
    contact_email = factory.Sequence(lambda n: f"ent{n}@example.com")


class IndividualFactory(EnterpriseFactory):
    kind = Applicant.Kind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"发明人{n}")
    credit_code = None
    resident_id = factory.LazyFunction(make_resident_id)


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("code",)

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"BANK{n:03d}")
    name = factory.Sequence(lambda n: f"测试银行巫山支行{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    region = factory.SubFactory(RegionFactory)
    password = factory.PostGenerationMethodCall("set_password", "pass-12345")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def user_with_role(role: str, **kwargs) -> User:
    if role == Role.APPLICANT and "applicant" not in kwargs:
        kwargs["applicant"] = EnterpriseFactory()
    if role == Role.BANK and "bank" not in kwargs:
        kwargs["bank"] = BankFactory()
    return UserFactory(role=role, **kwargs)


class PatentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPAsset

    kind = IPAsset.Kind.PATENT
    number = factory.LazyFunction(make_patent_number)
    owner = factory.SubFactory(EnterpriseFactory)
    title = factory.Sequence(lambda n: f"一种脆李保鲜方法{n}")
    patent_type = PatentType.INVENTION
    granted_on = factory.LazyFunction(lambda: datetime.date(timezone.localdate().year - 1, 6, 1))
    country = "CN"


class TrademarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPAsset

    kind = IPAsset.Kind.TRADEMARK
    number = factory.Sequence(lambda n: f"{30000000 + n}")
    owner = factory.SubFactory(EnterpriseFactory)
    title = "巫山脆李"
    nice_class = 31
    granted_on = datetime.date(2020, 1, 1)
    country = "CN"


# Not devtools.demo_data.PROGRAM_RULES: the demo's patent award has 7 days of publicity, the tests' the model
# default (5); the workflow tests are written against these rules.
PROGRAM_DEFAULTS = {
    ProgramCode.INDUSTRIALIZATION: dict(
        name_zh="专利产业化资金", name_en="Patent industrialization fund", expert_review=True,
        cap_per_project=Decimal("500000.00"), cap_per_applicant_year=Decimal("1000000.00"),
        first_tranche_share=Decimal("0.6000"),
    ),
    ProgramCode.APPLICATION_SUBSIDY: dict(
        name_zh="专利资助", name_en="Patent subsidy", expert_review=False,
        cap_per_applicant_year=Decimal("100000.00"),
        subsidy_standards={"invention": {"CN": "1000.00", "US": "20000.00", "JP": "20000.00", "KR": "20000.00",
                                         "EP": "20000.00", "*": "10000.00"}},
    ),
    ProgramCode.PATENT_AWARD: dict(
        name_zh="专利奖", name_en="Patent award", expert_review=True,
        award_levels={"gold": "200000.00", "silver": "100000.00", "excellence": "50000.00"},
    ),
    ProgramCode.INTEREST_SUBSIDY: dict(
        name_zh="知识产权质押贷款贴息", name_en="IP-pledge loan interest subsidy", expert_review=False,
        cap_per_applicant_year=Decimal("300000.00"), interest_ratio=Decimal("0.5000"),
    ),
    ProgramCode.RISK_COMPENSATION: dict(
        name_zh="知识产权质押融资风险补偿", name_en="IP-pledge risk compensation", expert_review=False,
        publicity_days=0, cap_per_project=Decimal("1000000.00"), risk_share=Decimal("0.4000"),
    ),
}


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("region", "code")

    region = factory.SubFactory(RegionFactory)
    code = ProgramCode.APPLICATION_SUBSIDY
    name_zh = factory.LazyAttribute(lambda o: PROGRAM_DEFAULTS[o.code]["name_zh"])
    name_en = factory.LazyAttribute(lambda o: PROGRAM_DEFAULTS[o.code]["name_en"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        for key, value in PROGRAM_DEFAULTS[kwargs["code"]].items():
            kwargs.setdefault(key, value)
        return super()._create(model_class, *args, **kwargs)


class BudgetFactory(factory.django.DjangoModelFactory):
    """A budget; pass ``allocated`` to post its allocation entry."""

    class Meta:
        model = Budget
        django_get_or_create = ("program", "year")
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)

    @factory.post_generation
    def allocated(self, create, extracted, **kwargs):
        if create and extracted:
            ledger.post(budget=self, kind=EntryKind.ALLOCATION, amount=Decimal(extracted), memo="年初预算")


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A bare draft application (no program details); services build real ones."""

    class Meta:
        model = Application

    program = factory.SubFactory(ProgramFactory)
    applicant = factory.SubFactory(EnterpriseFactory)
    fiscal_year = factory.LazyFunction(lambda: timezone.localdate().year)
    title = factory.Sequence(lambda n: f"测试项目{n}")
    requested_amount = Decimal("10000.00")


class World:
    """Everything a workflow test needs, built fresh per test."""

    def __init__(self) -> None:
        self.region = RegionFactory()
        self.year = timezone.localdate().year
        self.programs = {code: ProgramFactory(region=self.region, code=code) for code in ProgramCode.values}
        self.budgets = {
            code: BudgetFactory(program=program, year=self.year, allocated=DEMO_BUDGETS[code])
            for code, program in self.programs.items()
        }
        self.enterprise1 = EnterpriseFactory(region=self.region)
        self.enterprise2 = EnterpriseFactory(region=self.region, industry=Industry.NEW_MATERIALS)
        self.bank1 = BankFactory(region=self.region, code="ABC-WS", name="中国农业银行巫山县支行")
        self.bank2 = BankFactory(region=self.region, code="CQRCB-WS", name="重庆农村商业银行巫山支行")
        self.applicant1 = UserFactory(username="applicant1", role=Role.APPLICANT, region=self.region,
                                      applicant=self.enterprise1)
        self.applicant2 = UserFactory(username="applicant2", role=Role.APPLICANT, region=self.region,
                                      applicant=self.enterprise2)
        self.clerk = UserFactory(username="clerk", role=Role.IP_OFFICE, region=self.region)
        self.experts = [UserFactory(username=f"expert{i}", role=Role.EXPERT, region=self.region) for i in (1, 2, 3)]
        self.finance = UserFactory(username="finance", role=Role.FINANCE, region=self.region)
        self.fincenter = UserFactory(username="fincenter", role=Role.FIN_CENTER, region=self.region)
        self.bank1_user = UserFactory(username="bank1", role=Role.BANK, region=self.region, bank=self.bank1)
        self.bank2_user = UserFactory(username="bank2", role=Role.BANK, region=self.region, bank=self.bank2)
        self.admin = UserFactory(username="admin", role=Role.ADMIN, region=self.region, is_staff=True,
                                 is_superuser=True)


def build_world() -> World:
    return World()
