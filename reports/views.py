"""The budget execution report for finance and the fund administrator: an HTML preview and downloads."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from applicants.errors import Invalid
from applicants.models import Role
from applicants.web import role_required

from . import services
from .document import DECIMAL, INT, MONEY, RATE, Report, format_cell

NUMERIC = {MONEY, INT, RATE, DECIMAL}


def _region_code(request) -> str:
    region = getattr(request.user, "region", None)
    return region.code if region is not None else settings.IPFUND_DEFAULT_REGION


def _preview(report: Report) -> list[dict]:
    """Sections as text cells for the template (the renderers' formatting, one place)."""
    sections = []
    for section in report.sections:
        def cells(row, columns=section.columns):
            return [{"text": format_cell(v, c.kind), "numeric": c.kind in NUMERIC}
                    for v, c in zip(row, columns, strict=True)]

        total = section.total_row()
        rows = section.rows()
        sections.append({
            "key": section.key, "title": section.title, "note": section.note,
            "headers": [{"text": c.header, "numeric": c.kind in NUMERIC} for c in section.columns],
            "rows": [cells(r) for r in rows],
            "total": cells(total) if total is not None and rows else None,
        })
    return sections


@role_required(Role.FINANCE, Role.ADMIN)
def budget_report_page(request):
    raw_year = request.GET.get("year") or str(timezone.localdate().year)
    context = {"year": raw_year, "formats": list(services.FORMATS), "report": None, "sections": []}
    try:
        year = services.parse_year(raw_year)
        report = services.budget_report(year=year, region_code=_region_code(request))
    except Invalid as exc:
        messages.error(request, exc.message)
        return render(request, "reports/budget_report.html", context, status=400)
    context.update(report=report, sections=_preview(report), year=year)
    return render(request, "reports/budget_report.html", context)


@role_required(Role.FINANCE, Role.ADMIN)
def budget_report_download(request):
    try:
        year = services.parse_year(request.GET.get("year"))
        fmt = services.parse_format(request.GET.get("format"))
        report = services.budget_report(year=year, region_code=_region_code(request))
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect(reverse("reports:budget"))
    content = services.render(report, fmt)
    response = HttpResponse(content, content_type=services.FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{services.filename(report, fmt)}"'
    return response
