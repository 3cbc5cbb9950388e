"""Shared helpers for server-rendered pages: domain errors as messages, Excel export, roles.

``database_error_as_domain`` is the one reading of a database error the services did not
anticipate, for the pages here and the API (``api.exceptions``): a ``DataError`` (a value the
column cannot hold) is a 400; a deadlock, serialization failure or lock timeout is a 409
``concurrent_modification``. Neither is a 500.
"""

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import wraps
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DataError, OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict, DomainError, Invalid, NotAllowed, NotFound

logger = logging.getLogger(__name__)

try:  # PostgreSQL's concurrency failures, as psycopg raises them (Django keeps them as __cause__)
    from psycopg import errors as _pg

    _PG_CONCURRENCY: tuple[type[BaseException], ...] = (
        _pg.DeadlockDetected, _pg.SerializationFailure, _pg.LockNotAvailable)
except ImportError:  # pragma: no cover - psycopg is in requirements.txt
    _PG_CONCURRENCY = ()


def is_concurrency_failure(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout (PostgreSQL), or SQLite's busy timeout."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if _PG_CONCURRENCY and isinstance(cause, _PG_CONCURRENCY):
        return True
    return "database is locked" in str(exc)


def database_error_as_domain(exc: BaseException) -> DomainError | None:
    """The domain error a database error stands for, or None when it is a real fault (a 500)."""
    if isinstance(exc, DataError):
        logger.warning("DataError mapped to 400: %s", exc)
        return Invalid(_("提交的数据超出了允许的范围或格式（如数值过大、文本过长或含无效字符），请检查后重试"),
                       code="data_error")
    if is_concurrency_failure(exc):
        logger.warning("Concurrency failure mapped to 409: %s", exc)
        return Conflict(_("记录已被他人同时修改，请刷新后重试"), code="concurrent_modification")
    return None


def role_required(*roles: str):
    """Login, then 403 unless the user has one of ``roles``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if roles and not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _domain_errors(call):
    try:
        return call()
    except (DataError, OperationalError) as exc:
        domain = database_error_as_domain(exc)
        if domain is None:
            raise
        raise domain from exc


def _page_call(call, report) -> tuple[bool, object]:
    """Run a service call for a page: 403/404 propagate as pages; a 400/409 (a database ``DataError``
    or deadlock included) is handed to ``report(field, message)``. Returns (succeeded, result)."""
    try:
        return True, _domain_errors(call)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        for field, errors in exc.as_field_errors().items():
            for error in errors:
                report(field, error)
        return False, None


def run_service(request, call, *, success: str | None = None, redirect_to: str | None = None):
    """Run a service call for a page: a 400/409 becomes a message. Returns the service's result, or
    None when it raised a message-worthy error."""
    ok, result = _page_call(call, lambda field, error: messages.error(request, error))
    if not ok:
        return None
    if success:
        messages.success(request, success)
    if redirect_to:
        return redirect(redirect_to)
    return result


def run_form_service(form, call):
    """Run a service call for a bound, valid form: a 400/409 DomainError becomes errors on the form's
    fields (or non-field errors), 403/404 propagate as pages. Returns the result, or None on error."""
    return _page_call(call, lambda field, error: form.add_error(field if field in form.fields else None, error))[1]


def excel_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence], sheet: str = "Sheet1") -> HttpResponse:
    """An .xlsx download: Chinese headers, frozen header row, numbers stored as numbers."""
    from openpyxl import Workbook  # noqa: PLC0415  heavy: loaded by the exports only
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(list(headers))
    widths = [max(8, len(str(h)) * 2) for h in headers]
    for row in rows:
        values = []
        for i, value in enumerate(row):
            if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
                value = timezone.localtime(value).replace(tzinfo=None)
            values.append(value)
            if i < len(widths):
                widths[i] = min(60, max(widths[i], len(str(value)) + 2))
        ws.append(values)
        for i, value in enumerate(values, start=1):
            if isinstance(value, Decimal):
                ws.cell(row=ws.max_row, column=i).number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
