"""One mapping from every error to the contract's JSON: 400 keyed by field, 409 with detail+code.

The project's HTML/JSON error pages (400/403/404/500) live in ``core.error_pages``.
"""

import logging

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.db import DataError, IntegrityError, OperationalError
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from applicants.errors import DomainError
from core.error_pages import _too_big_message
from core.web import database_error_as_domain

logger = logging.getLogger(__name__)


def _conflict(detail: str, code: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status.HTTP_409_CONFLICT)




def exception_handler(exc, context):
    if isinstance(exc, DataError | OperationalError):
        # A value the column cannot hold: 400; a deadlock / serialization failure: 409. Else a 500.
        exc = database_error_as_domain(exc) or exc
    if isinstance(exc, DomainError):
        if exc.status == 400:
            return Response(exc.as_field_errors(), status=400)
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, ConcurrentTransition):
        return _conflict(_("记录已被他人同时修改，请刷新后重试"), "concurrent_modification")
    if isinstance(exc, TransitionNotAllowed):
        return _conflict(_("当前状态不允许此操作"), "invalid_state")
    if isinstance(exc, IntegrityError):
        # A constraint the services did not anticipate: still the caller's conflict, never a 500.
        logger.warning("IntegrityError mapped to 409: %s", exc)
        return _conflict(_("与现有数据冲突"), "integrity_conflict")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=400)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        return Response({"detail": _too_big_message(), "code": "request_too_large"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": _("请求无效"), "code": "bad_request"}, status=400)
    if isinstance(exc, RecursionError):
        # json.loads on "[[[[…" thousands deep: a malformed body, not a server fault.
        return Response({"non_field_errors": [_("请求体嵌套层数过多")]}, status=400)
    if isinstance(exc, OverflowError):
        # A number past what the database takes (?owner=1e301 on SQLite): the caller's value, not a fault.
        logger.warning("OverflowError mapped to 400: %s", exc)
        return Response({"non_field_errors": [_("请求中的数值超出范围")]}, status=400)
    if isinstance(exc, exceptions.ParseError):
        return Response({"non_field_errors": [_("请求体不是有效的 JSON：%(msg)s") % {"msg": exc.detail}]}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data and "code" not in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response
