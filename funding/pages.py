"""Helpers of the funding pages: filtered, paginated lists with an Excel export."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.listing import Sorting
from core.web import excel_response

from .filters import ApplicationFilter


def per_page(request, default: int = 20) -> int:
    try:
        return max(1, min(200, int(request.GET.get("page_size", default))))
    except ValueError:
        return default


def application_rows(queryset):
    for app in queryset:
        yield [app.pk, app.program.name_zh, app.applicant.name, app.title, app.fiscal_year, app.get_state_display(),
               app.requested_amount, app.approved_amount, app.disbursed_amount, app.created_at]


APPLICATION_SORTING = Sorting(keys={"id": "id", "title": "title", "year": "fiscal_year", "state": "state",
                                    "requested": "requested_amount", "approved": "approved_amount",
                                    "paid": "disbursed_amount", "created": "created_at"})

APPLICATION_HEADERS = [_("编号"), _("资金项目"), _("申请主体"), _("项目名称"), _("年度"), _("状态"), _("申请金额"),
                       _("批准金额"), _("已拨付"), _("创建时间")]


def application_list_page(request, queryset, *, title: str, filename: str, extra: dict | None = None,
                          template: str = "funding/application_list.html", decorate=None):
    """Filter (state/program/year/q), export (?format=xlsx) or paginate; a fixed number of queries."""
    flt = ApplicationFilter(request.GET or None, queryset=queryset)
    qs = flt.qs if flt.is_bound and flt.is_valid() else queryset
    qs, sort = APPLICATION_SORTING.apply(qs, request.GET.get("o"))
    if request.GET.get("format") == "xlsx":
        return excel_response(filename, [str(h) for h in APPLICATION_HEADERS], application_rows(qs.iterator(chunk_size=2000)),
                              sheet=title)
    page = Paginator(qs, per_page(request)).get_page(request.GET.get("page"))
    if decorate is not None:
        page.object_list = list(page.object_list)
        decorate(page.object_list)
    context = {"title": title, "filter_form": flt.form, "page_obj": page, "applications": page.object_list, "sort": sort,
               "export_url_enabled": True, **(extra or {})}
    return render(request, template, context)
