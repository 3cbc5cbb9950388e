"""The budget execution report for finance and the fund administrator: an HTML preview, downloads,
and report files generated in the background (jobs) with a progress page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applicants.errors import Invalid
from applicants.models import Role
from core.web import role_required, run_service
from funding.pages import per_page

from . import jobs, services
from .document import DECIMAL, INT, MONEY, RATE, Report, format_cell, unit_line

NUMERIC = {MONEY, INT, RATE, DECIMAL}


def _region_code(request) -> str:
    region = getattr(request.user, "region", None)
    return region.code if region is not None else settings.IPFUND_DEFAULT_REGION


def _preview(report: Report) -> list[dict]:
    """Sections as text cells for the template (the renderers' formatting, one place): money in 万元
    under the section's "单位：万元" line, as in the PDF."""
    sections = []
    for section in report.sections:
        def cells(row, columns=section.columns):
            return [{"text": format_cell(v, c.kind, wan=True), "numeric": c.kind in NUMERIC}
                    for v, c in zip(row, columns, strict=True)]

        total = section.total_row()
        rows = section.rows()
        sections.append({
            "key": section.key, "title": section.title, "note": section.note,
            "unit": unit_line() if section.has_money else "",
            "headers": [{"text": c.printed_header, "numeric": c.kind in NUMERIC} for c in section.columns],
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


# --- background jobs ------------------------------------------------------------------------
@require_POST
@role_required(*jobs.JOB_ROLES)
def report_job_create(request):
    """The report page's "generate" form: queue a job and go to its progress page."""
    job = run_service(request, lambda: jobs.request_report_job(
        by=request.user, year=request.POST.get("year"), fmt=request.POST.get("format")))
    if job is None:
        year = (request.POST.get("year") or "").strip()
        query = f"?{urlencode({'year': year})}" if year.isascii() and year.isdigit() and len(year) == 4 else ""
        return redirect(reverse("reports:budget") + query)
    messages.success(request, _("已提交生成任务，完成后可在此页下载。"))
    return redirect("reports:job", job_id=job.pk)


@require_GET
@role_required(*jobs.JOB_ROLES)
def report_job_list(request):
    page = Paginator(jobs.visible_jobs(request.user), per_page(request)).get_page(request.GET.get("page"))
    return render(request, "reports/job_list.html", {"page_obj": page, "jobs": page.object_list})


@require_GET
@role_required(*jobs.JOB_ROLES)
def report_job_detail(request, job_id: int):
    job = run_service(request, lambda: jobs.job_for(request.user, job_id))
    return render(request, "reports/job_detail.html", {"job": job})


@require_GET
@role_required(*jobs.JOB_ROLES)
def report_job_progress(request, job_id: int):
    """The htmx fragment polled every second while the job is unfinished."""
    job = run_service(request, lambda: jobs.job_for(request.user, job_id))
    return render(request, "reports/_job_progress.html", {"job": job})


@require_GET
@role_required(*jobs.JOB_ROLES)
def report_job_download(request, job_id: int):
    result = run_service(request, lambda: jobs.job_file(request.user, job_id))
    if result is None:
        return redirect("reports:job", job_id=job_id)
    job, path = result
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name,
                        content_type=services.FORMATS[job.format][0])
