from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Applicant, Bank, IPAsset, Region, RegionYearStats, Role, Township, User


class TownshipInline(admin.TabularInline):
    model = Township
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [TownshipInline]


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]
    list_select_related = ["region"]


@admin.register(RegionYearStats)
class RegionYearStatsAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "resident_population", "market_entities"]
    list_filter = ["region", "year"]
    list_select_related = ["region"]


class IPAssetInline(admin.TabularInline):
    model = IPAsset
    fields = ["kind", "number", "title", "patent_type", "granted_on", "country", "nice_class", "is_valid"]
    extra = 0
    show_change_link = True


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "region", "township", "industry", "contact_phone"]
    list_filter = ["kind", "region", "industry", "township"]
    search_fields = ["name", "credit_code", "resident_id", "contact_name"]
    list_select_related = ["region", "township"]
    readonly_fields = ["credit_region_code", "created_at"]
    inlines = [IPAssetInline]


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(IPAsset)
class IPAssetAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "title", "owner", "patent_type", "granted_on", "country", "nice_class",
                    "is_valid"]
    list_filter = ["kind", "patent_type", "is_valid", "country", "owner__region"]
    search_fields = ["number", "title", "owner__name", "owner__credit_code"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    date_hierarchy = "granted_on"
    # What a number is, whose it is and when it was granted decide claims and standards: registered
    # (and checked) through the service only; the registry may mark validity and high-value grounds.
    readonly_fields = ["kind", "number", "owner", "patent_type", "granted_on", "country"]

    def has_add_permission(self, request):
        return False  # registered through ip_asset_register (API, pages), which checks the number


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "role_list", "region", "applicant", "bank", "is_active"]
    list_filter = ["groups", "region", "bank", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email", "applicant__name", "applicant__credit_code",
                     "bank__name"]
    list_select_related = ["region", "applicant", "bank"]
    autocomplete_fields = ["applicant", "bank"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("机构与角色"), {"fields": ("region", "applicant", "bank")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("机构与角色"), {"fields": ("region", "applicant", "bank", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("姓名"))
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("角色"))
    def role_list(self, obj: User) -> str:
        labels = dict(Role.choices)
        return "、".join(str(labels.get(group.name, group.name)) for group in obj.groups.all())
