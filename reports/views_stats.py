"""The monthly pledge-loan statistics page and its XLSX/CSV downloads (``reports.pledge_stats``).

For the oversight staff of a region (fin_center, finance, admin: ``pledges.selectors.OVERSIGHT_ROLES``),
over their region's loans. Bank staff are refused (403) even when they hold another role too: a bank
sees its own loans only, and these figures are the whole region's.
"""

import csv
import io
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applicants.models import Region
from core.errors import Invalid
from core.money import format_amount, format_number, plain_decimal, quantize
from core.web import role_required
from pledges.selectors import OVERSIGHT_ROLES

from .document import MONEY, spreadsheet_text
from .pledge_stats import (
    MIN_YEAR,
    Figures,
    Group,
    Period,
    PledgeStats,
    may_see_pledge_stats,
    measure_headers,
    parse_period,
    pledge_stats,
)
from .selectors import region_by_code
from .services import FORMATS

DOWNLOADS = ("xlsx", "csv")
TEMPLATE = "reports/pledge_stats.html"


def _region_of(user) -> Region:
    """The user's region; a superuser without one works on the default region. Bank staff: 403."""
    if not may_see_pledge_stats(user):
        raise PermissionDenied
    if user.region_id is not None:
        return user.region
    region = region_by_code(settings.IPFUND_DEFAULT_REGION) if user.is_superuser else None
    if region is None:
        raise PermissionDenied
    return region


def _period(request, today: date) -> Period:
    return parse_period(request.GET.get("year", str(today.year)), request.GET.get("from_month"),
                        request.GET.get("to_month"), today=today)


def _title(stats: PledgeStats) -> str:
    period = stats.period
    return _("%(region)s %(year)s 年知识产权质押贷款月度统计（%(first)s–%(last)s 月）") % {
        "region": stats.region.name, "year": period.year, "first": period.first_month, "last": period.last_month}


def _month_label(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


# --- the page -----------------------------------------------------------------------------------

def _cells(figures: Figures) -> list[dict]:
    return [{"text": format_amount(value) if kind == MONEY else format_number(value), "money": kind == MONEY}
            for value, (_attr, _header, kind) in zip(figures.values(), measure_headers(), strict=True)]


def _month_table(group: Group, stats: PledgeStats) -> dict:
    return {
        "key": group.key, "label": group.label,
        "rows": [{"label": _month_label(month), "cells": _cells(figures)}
                 for month, figures in zip(stats.months, group.months, strict=True)],
        "total": _cells(group.period),
    }


def _breakdown(groups: list[Group], stats: PledgeStats) -> dict:
    return {
        "rows": [{"label": group.label, "cells": _cells(group.period)} for group in groups],
        "total": _cells(stats.total.period),
        "months": [_month_table(group, stats) for group in groups],
    }


def _base_context(request, today: date) -> dict:
    return {
        "year": request.GET.get("year", str(today.year)),
        "from_month": request.GET.get("from_month", ""), "to_month": request.GET.get("to_month", ""),
        "years": list(range(today.year, MIN_YEAR - 1, -1)), "month_choices": list(range(1, 13)),
        "headers": [{"text": header, "money": kind == MONEY} for _attr, header, kind in measure_headers()],
        "stats": None,
    }


def _error_page(request, context: dict, exc: Invalid):
    context["error"] = exc.message
    return render(request, TEMPLATE, context, status=400)


@require_GET
@role_required(*OVERSIGHT_ROLES)
def pledge_stats_page(request):
    region = _region_of(request.user)
    today = timezone.localdate()
    context = _base_context(request, today)
    try:
        period = _period(request, today)
    except Invalid as exc:
        return _error_page(request, context, exc)
    stats = pledge_stats(region, period)
    query = {"year": period.year, "from_month": period.first_month, "to_month": period.last_month}
    context.update(
        stats=stats, title=_title(stats), year=period.year, query=query,
        from_month=period.first_month, to_month=period.last_month,
        as_of=min(period.last_day, today), total=_month_table(stats.total, stats),
        by_bank=_breakdown(stats.by_bank, stats), by_industry=_breakdown(stats.by_industry, stats),
        formats=DOWNLOADS,
    )
    return render(request, TEMPLATE, context)


# --- the downloads ------------------------------------------------------------------------------

def _parse_format(value) -> str:
    text = str(value or "").strip().lower()
    if text not in DOWNLOADS:
        raise Invalid(_("下载格式必须是 xlsx 或 csv，收到“%(value)s”。") % {"value": text}, field="format")
    return text


def _sheets(stats: PledgeStats) -> list[tuple[str, str | None, list[Group]]]:
    """(sheet name, dimension, groups): the total (no dimension column), by bank, by industry."""
    return [(_("合计"), None, [stats.total]), (_("按银行"), _("银行"), stats.by_bank),
            (_("按行业"), _("行业"), stats.by_industry)]


def _group_rows(group: Group, stats: PledgeStats) -> list[tuple[str, Figures, bool]]:
    """A group's months, then its period row (flows summed, the balance at the last month end)."""
    return [*((_month_label(m), f, False) for m, f in zip(stats.months, group.months, strict=True)),
            (_("期间合计"), group.period, True)]


def stats_workbook(stats: PledgeStats):
    """A sheet each for the total, the banks and the industries: a title row, the header row (money
    headers say 元), then a row per month and a bold period row per group; amounts are Decimal cells
    formatted ``#,##0.00``, counts ``#,##0``."""
    from openpyxl import Workbook  # noqa: PLC0415  heavy: loaded by the download only
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    headers = measure_headers()
    bold = Font(bold=True)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet_name, dimension, groups in _sheets(stats):
        ws = wb.create_sheet(sheet_name[:31])
        ws.append([_title(stats)])
        ws["A1"].font = Font(bold=True, size=14)
        lead = [_("月份")] if dimension is None else [dimension, _("月份")]
        ws.append([*lead, *(header for _attr, header, _kind in headers)])
        for cell in ws[2]:
            cell.font = bold
        for group in groups:
            for label, figures, period_row in _group_rows(group, stats):
                prefix = [label] if dimension is None else [spreadsheet_text(group.label), label]
                ws.append([*prefix, *figures.values()])
                for column, (_attr, _header, kind) in enumerate(headers, start=len(lead) + 1):
                    ws.cell(row=ws.max_row, column=column).number_format = "#,##0.00" if kind == MONEY else "#,##0"
                if period_row:
                    for cell in ws[ws.max_row]:
                        cell.font = bold
        if not groups:
            ws.append([_("无数据")])
        ws.freeze_panes = ws.cell(row=3, column=len(lead) + 1)
        for i in range(1, len(lead) + len(headers) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 22 if i > len(lead) else 16
    return wb


def _render_xlsx(stats: PledgeStats) -> bytes:
    buffer = io.BytesIO()
    stats_workbook(stats).save(buffer)
    return buffer.getvalue()


def _render_csv(stats: PledgeStats) -> bytes:
    """One table, UTF-8 with BOM (Excel opens it): a row per group and month; amounts as plain
    two-place decimals (``1234567.89``), no separators."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    headers = measure_headers()
    writer.writerow([_("维度"), _("名称"), _("月份"), *(header for _attr, header, _kind in headers)])
    for _sheet, dimension, groups in _sheets(stats):
        for group in groups:
            for label, figures, _period_row in _group_rows(group, stats):
                values = [plain_decimal(quantize(v), min_places=2) if kind == MONEY else str(v)
                          for v, (_attr, _header, kind) in zip(figures.values(), headers, strict=True)]
                writer.writerow([dimension or _("合计"), spreadsheet_text(group.label), label, *values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@require_GET
@role_required(*OVERSIGHT_ROLES)
def pledge_stats_download(request):
    region = _region_of(request.user)
    today = timezone.localdate()
    try:
        period = _period(request, today)
        fmt = _parse_format(request.GET.get("format"))
    except Invalid as exc:
        return _error_page(request, _base_context(request, today), exc)
    stats = pledge_stats(region, period)
    content = _render_xlsx(stats) if fmt == "xlsx" else _render_csv(stats)
    response = HttpResponse(content, content_type=FORMATS[fmt][0])
    name = f"pledge-stats-{region.code}-{period.year}-{period.first_month:02d}-{period.last_month:02d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
