"""Serializers shared by every part of the API: the contract's error shapes (for the OpenAPI schema),
``StrictSerializer`` (unknown fields are a 400, not silently dropped) and the money and fraction
fields, which parse through ``core.money`` like every other entry point."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core import money
from core.errors import Invalid
from core.money import CENT, ZERO


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


class StrictFieldsMixin:
    """Refuse fields the serializer does not know (400 keyed by the field), so a typo such as
    ``aproved_amount`` is reported instead of silently ignored; read-only fields are refused too."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for key in data:
                field = self.fields.get(key) if isinstance(key, str) else None
                if field is None:
                    errors[str(key)] = [_("未知字段：请检查字段名的拼写")]
                elif field.read_only:
                    errors[key] = [_("该字段只读，不能在请求中提交")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    """The base of every request body of a money or state-changing endpoint."""


def _parse(parse, data, field_name: str, **kwargs):
    try:
        return parse(data, field_name, **kwargs)
    except Invalid as exc:
        raise serializers.ValidationError(exc.message, code=exc.code) from None


class MoneyField(serializers.DecimalField):
    """Yuan with at most two decimals (分), parsed by ``core.money.parse_money``: decimal strings only
    (``"1000.00"``); JSON numbers, exponents, ``1_000`` and non-ASCII digits are refused with a message
    that says which. ``positive`` refuses zero and negatives, ``allow_negative=False`` negatives."""

    def __init__(self, *, positive: bool = False, allow_negative: bool = True, **kwargs) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        self.allow_zero = not positive
        self.allow_negative = allow_negative and not positive
        if positive:
            kwargs.setdefault("min_value", CENT)
        elif not allow_negative:
            kwargs.setdefault("min_value", ZERO)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int | float) and not isinstance(data, bool):
            raise serializers.ValidationError(
                _("金额应为十进制字符串，如 \"1000.00\"，不能是 JSON 数字（浮点数会丢失分位精度）"), code="invalid")
        return _parse(money.parse_money, data, self.field_name or "amount", allow_zero=self.allow_zero,
                      allow_negative=self.allow_negative)


class FractionField(serializers.DecimalField):
    """A share or rate as a decimal string in [low, high] (``"0.6000"``, ``"0.0385"``), parsed by
    ``core.money.parse_fraction``; JSON numbers are refused like money."""

    def __init__(self, *, places: int = 4, low: Decimal = Decimal("0"), high: Decimal = Decimal("1"),
                 low_open: bool = False, high_open: bool = False, what: str | None = None, **kwargs) -> None:
        kwargs.setdefault("max_digits", places + len(str(int(high))) + 1)
        kwargs.setdefault("decimal_places", places)
        self.places, self.low, self.high, self.low_open, self.high_open = places, low, high, low_open, high_open
        self.what = what
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int | float) and not isinstance(data, bool):
            raise serializers.ValidationError(_("比例应为十进制字符串，如 \"0.5000\"，不能是 JSON 数字"), code="invalid")
        return _parse(money.parse_fraction, data, self.field_name or "rate", places=self.places, low=self.low,
                      high=self.high, low_open=self.low_open, high_open=self.high_open,
                      what=str(self.what) if self.what else None)


def flat_errors(errors) -> dict[str, list[str]]:
    """A serializer's errors as the contract's 400 body: top-level field → list of plain messages; a
    nested object's or list item's errors read "第 2 项：valuation：…" under their top-level field."""
    if not isinstance(errors, dict):
        return {"non_field_errors": list(_messages(errors))}
    return {str(field): list(_messages(value)) for field, value in errors.items()}


def _messages(value, where: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            prefix = f"第 {int(key) + 1} 项：" if isinstance(key, int) else f"{key}："
            yield from _messages(inner, where + ("" if key == "non_field_errors" else prefix))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value, start=1):
            if item:
                yield from _messages(item, f"{where}第 {index} 项：")
    elif isinstance(value, list):
        yield from (f"{where}{item}" for item in value)
    else:
        yield f"{where}{value}"
