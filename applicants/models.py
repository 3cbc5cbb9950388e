"""The registry of parties and their IP: regions, enterprises and inventors, banks, users, assets."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Each role is a Django group of the same name."""

    APPLICANT = "applicant", _("申请人")
    IP_OFFICE = "ip_office", _("知识产权局（市场监管局）")
    EXPERT = "expert", _("评审专家")
    FINANCE = "finance", _("财政局")
    FIN_CENTER = "fin_center", _("金融服务中心")
    BANK = "bank", _("合作银行")
    ADMIN = "admin", _("资金管理员")


STAFF_ROLES = frozenset({Role.IP_OFFICE, Role.EXPERT, Role.FINANCE, Role.FIN_CENTER, Role.ADMIN})


class Industry(models.TextChoices):
    """The county's industries named in the policy (实施意见 items 5, 8, 13) plus "other"."""

    CRISP_PLUM = "crisp_plum", _("脆李")
    MEDICINAL_HERBS = "medicinal_herbs", _("中药材")
    NAVEL_ORANGE = "navel_orange", _("纽荷尔")
    AGRI_PROCESSING = "agri_processing", _("特色农产品加工")
    NEW_MATERIALS = "new_materials", _("新材料")
    CULTURE_TOURISM = "culture_tourism", _("文旅")
    INTEGRATED_CIRCUITS = "integrated_circuits", _("集成电路")
    OTHER = "other", _("其他")


class Region(models.Model):
    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    # Who receives objections to a public notice (公示): printed on the notice the county posts.
    notice_office = models.CharField(_("公示受理单位"), max_length=100, blank=True,
                                     help_text=_("如 某某县市场监督管理局（知识产权局）"))
    notice_address = models.CharField(_("受理地址"), max_length=200, blank=True)
    notice_phone = models.CharField(_("受理电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("行政区")
        verbose_name_plural = _("行政区")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Township(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="townships", verbose_name=_("行政区"))
    name = models.CharField(_("乡镇（街道）"), max_length=50)

    class Meta:
        verbose_name = _("乡镇（街道）")
        verbose_name_plural = _("乡镇（街道）")
        ordering = ["region", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="township_unique_per_region")]

    def __str__(self) -> str:
        return self.name


class RegionYearStats(models.Model):
    """Yearly inputs for the policy indicators (domain §8), entered in the admin."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="year_stats", verbose_name=_("行政区"))
    year = models.PositiveIntegerField(_("年度"))
    resident_population = models.PositiveIntegerField(_("常住人口"))
    market_entities = models.PositiveIntegerField(_("市场主体户数"))

    class Meta:
        verbose_name = _("年度统计数据")
        verbose_name_plural = _("年度统计数据")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="region_year_stats_unique")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year}"


class Applicant(models.Model):
    """An enterprise (统一社会信用代码) or an individual inventor (居民身份证号)."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL = "individual", _("个人（非职务发明人）")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="applicants", verbose_name=_("行政区"))
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.ENTERPRISE)
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True)
    credit_region_code = models.CharField(
        _("信用代码中的登记地代码"), max_length=6, blank=True,
        help_text=_("统一社会信用代码第 3–8 位；可与所属行政区不同（如在外地登记）"),
    )
    resident_id = models.CharField(_("居民身份证号"), max_length=18, null=True, blank=True, unique=True)
    industry = models.CharField(_("行业"), max_length=24, choices=Industry.choices, default=Industry.OTHER)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="applicants", verbose_name=_("乡镇")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请主体")
        verbose_name_plural = _("申请主体")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="enterprise", credit_code__isnull=False, resident_id__isnull=True))
                | (Q(kind="individual", resident_id__isnull=False, credit_code__isnull=True)),
                name="applicant_identifier_matches_kind",
            )
        ]
        indexes = [models.Index(fields=["region", "industry"]), models.Index(fields=["region", "township"])]

    def __str__(self) -> str:
        return self.name

    @property
    def identifier(self) -> str:
        return self.credit_code or self.resident_id or ""


class Bank(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="banks", verbose_name=_("行政区"))
    code = models.CharField(_("银行代码"), max_length=30, unique=True)
    name = models.CharField(_("银行名称"), max_length=100)

    class Meta:
        verbose_name = _("合作银行")
        verbose_name_plural = _("合作银行")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person or system account; acts for at most one applicant or one bank, within a region."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="users",
                               verbose_name=_("行政区"))
    applicant = models.ForeignKey(
        Applicant, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("代表的申请主体")
    )
    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("所属银行")
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def roles(self) -> frozenset[str]:
        """Role names from the user's groups, cached per instance (one query)."""
        if getattr(self, "_role_cache", None) is None:
            self.remember_roles(self.groups.values_list("name", flat=True) if self.pk else ())
        return self._role_cache

    def remember_roles(self, group_names) -> None:
        """The role names read with the user (the API's token lookup), so ``roles`` need not query."""
        names = set(group_names or ())
        if self.is_superuser:
            names.add(Role.ADMIN)
        self._role_cache = frozenset(names)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff_role(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class PatentType(models.TextChoices):
    INVENTION = "invention", _("发明")
    UTILITY_MODEL = "utility_model", _("实用新型")
    DESIGN = "design", _("外观设计")


class HighValueGround(models.TextChoices):
    """Grounds for a 高价值发明专利 (CNIPA 2021, domain §8)."""

    STRATEGIC_INDUSTRY = "strategic_industry", _("战略性新兴产业")
    OVERSEAS_FAMILY = "overseas_family", _("有海外同族专利")
    MAINTAINED_10_YEARS = "maintained_10_years", _("维持年限超过10年")
    HIGH_PLEDGE = "high_pledge", _("实现较高质押融资金额")
    AWARD = "award", _("获得国家科学技术奖或中国专利奖")


class IPAsset(models.Model):
    """A patent or a trademark held by an applicant. Numbers are stored normalized."""

    class Kind(models.TextChoices):
        PATENT = "patent", _("专利")
        TRADEMARK = "trademark", _("商标")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("号码"), max_length=20)
    owner = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="ip_assets", verbose_name=_("权利人"))
    title = models.CharField(_("名称"), max_length=200)
    patent_type = models.CharField(_("专利类型"), max_length=16, choices=PatentType.choices, blank=True)
    granted_on = models.DateField(_("授权/注册日"), null=True, blank=True)
    country = models.CharField(_("国家/地区"), max_length=2, default="CN")
    nice_class = models.PositiveSmallIntegerField(
        _("尼斯分类"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(45)]
    )
    is_valid = models.BooleanField(_("有效"), default=True)
    high_value_grounds = models.JSONField(_("高价值依据"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("知识产权")
        verbose_name_plural = _("知识产权")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="ip_asset_number_unique"),
            models.CheckConstraint(
                condition=Q(kind="patent") | (Q(nice_class__gte=1) & Q(nice_class__lte=45)),
                name="trademark_nice_class_1_45",
            ),
        ]
        indexes = [models.Index(fields=["owner", "kind"]), models.Index(fields=["kind", "patent_type", "is_valid"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
