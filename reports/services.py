"""The report's entry points, shared by the management command and the pages."""

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from applicants.errors import Invalid
from core.db_routing import replica_reads

from . import selectors
from .document import Report

MIN_YEAR, MAX_YEAR = 2000, 2100
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


def parse_year(value) -> int:
    """A fiscal year from user input, or Invalid with a Chinese message."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or not (MIN_YEAR <= int(text) <= MAX_YEAR):
        raise Invalid(_("年度必须是 %(min)s 至 %(max)s 之间的整数，收到“%(value)s”。")
                      % {"min": MIN_YEAR, "max": MAX_YEAR, "value": text}, field="year")
    return int(text)


def parse_format(value) -> str:
    text = str(value or "").strip().lower()
    if text not in FORMATS:
        raise Invalid(_("格式必须是 pdf、xlsx 或 csv 之一，收到“%(value)s”。") % {"value": text}, field="format")
    return text


def budget_report(*, year: int, region_code: str | None = None, today: date | None = None) -> Report:
    """Build the year-end budget execution report (a fixed number of aggregate queries)."""
    from .frames import build_report  # noqa: PLC0415  heavy: pandas, loaded on first report

    code = region_code or settings.IPFUND_DEFAULT_REGION
    with replica_reads():  # whole-year aggregates: a replica's moment of lag does not matter
        region = selectors.region_by_code(code)
        if region is None:
            raise Invalid(_("未找到行政区划代码为 %(code)s 的行政区。") % {"code": code}, field="region")
        return build_report(region=region, year=year, today=today)


def renderer(fmt: str) -> Callable[[Report], bytes]:
    if fmt == "pdf":
        from .pdf import render_pdf  # noqa: PLC0415  heavy: reportlab

        return render_pdf
    if fmt == "xlsx":
        from .xlsx import render_xlsx  # noqa: PLC0415  heavy: openpyxl

        return render_xlsx
    from .csv import render_csv  # noqa: PLC0415  beside its heavier siblings

    return render_csv


def render(report: Report, fmt: str) -> bytes:
    return renderer(parse_format(fmt))(report)


def filename(report: Report, fmt: str) -> str:
    return f"budget-report-{report.region_code}-{report.year}.{FORMATS[fmt][1]}"


def write_atomically(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to a temp file beside ``path`` and rename it into place; nothing partial is left.

    Raises Invalid (Chinese) when the path cannot be written.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise Invalid(_("输出路径 %(path)s 是一个目录，请给出文件名。") % {"path": target}, field="output")
    directory = target.parent
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise Invalid(_("无法写入输出文件 %(path)s：%(reason)s") % {"path": target, "reason": exc.strerror or exc},
                      field="output") from exc
    finally:
        if tmp_name and os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target
