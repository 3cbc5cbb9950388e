"""One mapping from every error to the contract's JSON: 400 keyed by field, 409 with detail+code."""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from applicants.errors import Conflict, DomainError


def _conflict(detail: str, code: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status.HTTP_409_CONFLICT)


def exception_handler(exc, context):
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
        return _conflict(_("与现有数据冲突"), "integrity_conflict")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=400)
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


__all__ = ["exception_handler", "Conflict", "Http404", "PermissionDenied"]
