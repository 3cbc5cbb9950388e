"""Serializers shared by every part of the API: the contract's error shapes (for the OpenAPI schema)
and a money field that accepts only decimal strings/numbers with at most two places."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """401/403/404: ``{"detail": "…", "code": "…"}``."""

    detail = serializers.CharField(help_text="人类可读的说明（中文）")
    code = serializers.CharField(help_text="机器可读的错误代码，如 permission_denied、not_found")


class ConflictSerializer(serializers.Serializer):
    """409: the request conflicts with the current state (workflow, budget, pledge, duplicate)."""

    detail = serializers.CharField(help_text="冲突原因（中文），如预算余额不足时给出数字")
    code = serializers.CharField(
        help_text="冲突代码，如 invalid_state、budget_exhausted、concurrent_modification、duplicate"
    )


class ValidationErrorSerializer(serializers.Serializer):
    """400: errors keyed by field name; ``non_field_errors`` for errors of the whole body."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        ref_name = "ValidationError"


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses={**error_responses(400, 403, 404, 409), 200: …})``."""
    table = {
        400: OpenApiResponse(ValidationErrorSerializer, description=str(_("请求数据无效，按字段给出错误"))),
        401: OpenApiResponse(ErrorSerializer, description=str(_("未登录或令牌无效"))),
        403: OpenApiResponse(ErrorSerializer, description=str(_("无权执行此操作"))),
        404: OpenApiResponse(ErrorSerializer, description=str(_("不存在或不可见"))),
        409: OpenApiResponse(ConflictSerializer, description=str(_("与当前状态冲突"))),
    }
    return {code: table[code] for code in codes}


class MoneyField(serializers.DecimalField):
    """Yuan with at most two decimals (分); ``positive`` refuses zero and negatives."""

    def __init__(self, *, positive: bool = False, allow_negative: bool = True, **kwargs) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if positive:
            kwargs.setdefault("min_value", Decimal("0.01"))
        elif not allow_negative:
            kwargs.setdefault("min_value", Decimal("0.00"))
        super().__init__(**kwargs)
        self.error_messages.update({
            "invalid": _("请输入有效的金额（十进制字符串，如 \"1000.00\"）"),
            "max_decimal_places": _("金额最多保留 2 位小数"),
            "max_digits": _("金额位数过多"),
            "max_whole_digits": _("金额过大"),
            "min_value": _("金额必须大于 0") if positive else _("金额不能为负数"),
        })

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("invalid")  # binary floats lose cents: money travels as decimal strings
        return super().to_internal_value(data)
