"""Pages of the registry: an applicant's IP assets and organisation, the staff registry with export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.dashboard import task_groups
from core.web import excel_response, run_form_service

from . import selectors, services
from .forms import IPAssetForm, OrganisationForm, RegistryFilterForm
from .models import STAFF_ROLES

PAGE_SIZE = 20


@login_required
def home(request):
    return render(request, "home.html", {"task_groups": task_groups(request.user)})


def _page(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _applicant_required(request) -> None:
    if request.user.applicant_id is None:
        raise PermissionDenied(_("此页面仅供申请主体使用"))


@login_required
def my_assets(request):
    _applicant_required(request)
    page = _page(request, selectors.ip_assets_visible_to(request.user).order_by("-id"))
    return render(request, "applicants/my_assets.html", {"page_obj": page, "assets": page.object_list})


@login_required
def asset_register(request):
    if not selectors.may_register_ip_assets(request.user) or request.user.applicant_id is None:
        raise PermissionDenied(_("此页面仅供申请主体使用"))
    form = IPAssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        asset = run_form_service(form, lambda: services.ip_asset_register(by=request.user, **form.cleaned_data))
        if asset is not None:
            messages.success(request, _("已登记 %(number)s") % {"number": asset.number})
            return redirect("applicants:my_assets")
    return render(request, "applicants/asset_form.html", {"form": form})


@login_required
def registry(request):
    """Staff: every IP asset of their region, filtered; ``?format=xlsx`` downloads the filtered list."""
    if not request.user.roles & STAFF_ROLES:
        raise PermissionDenied(_("此页面仅供工作人员使用"))
    filter_form = RegistryFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    qs = selectors.ip_assets_filtered(selectors.ip_assets_visible_to(request.user), **filters).order_by("-id")
    if request.GET.get("format") == "xlsx":
        return _registry_excel(qs)
    page = _page(request, qs)
    return render(request, "applicants/registry.html", {
        "page_obj": page, "assets": page.object_list, "filter_form": filter_form, "export_url_enabled": True,
    })


def _registry_excel(qs):
    headers = [_("类型"), _("号码"), _("名称"), _("专利类型"), _("权利人"), _("统一社会信用代码"),
               _("授权/注册日"), _("国家/地区"), _("尼斯分类"), _("有效")]
    rows = (
        [a.get_kind_display(), a.number, a.title, a.get_patent_type_display(), a.owner.name,
         a.owner.credit_code or "", a.granted_on, a.country, a.nice_class, _("是") if a.is_valid else _("否")]
        for a in qs.iterator(chunk_size=2000)
    )
    return excel_response("ip-assets.xlsx", headers, rows, sheet=_("知识产权登记簿"))


@login_required
def organisation(request):
    _applicant_required(request)
    applicant = selectors.applicants_visible_to(request.user).get(pk=request.user.applicant_id)
    form = OrganisationForm(request.POST or None, instance=applicant)
    if request.method == "POST" and form.is_valid():
        updated = run_form_service(form, lambda: services.applicant_update_contact(
            by=request.user, applicant=applicant, **form.cleaned_data))
        if updated is not None:
            messages.success(request, _("单位资料已保存"))
            return redirect("applicants:organisation")
    return render(request, "applicants/organisation.html", {"applicant": applicant, "form": form})

