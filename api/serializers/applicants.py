"""IP assets over the API. Serializers check shape and types only; the rules live in
``applicants.services`` (numbers, ownership, nice classes, dates)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applicants.models import IPAsset


class StrictFieldsMixin:
    """Refuse fields the serializer does not know (400 keyed by the unknown field), so a typo such as
    ``grantd_on`` is reported instead of silently ignored. Other serializers may mix this in."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError({key: [_("未知字段")] for key in unknown})
        return super().to_internal_value(data)


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class IPAssetSerializer(serializers.ModelSerializer):
    owner = OwnerSerializer(read_only=True)
    patent_type = serializers.CharField(read_only=True, help_text="invention / utility_model / design；商标为空")

    class Meta:
        model = IPAsset
        fields = ["id", "kind", "number", "title", "owner", "patent_type", "granted_on", "country", "nice_class"]
        read_only_fields = fields


class IPAssetCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=IPAsset.Kind.choices)
    number = serializers.CharField(max_length=40, trim_whitespace=True,
                                   help_text="专利号（ZL/CN 前缀、点号可省）或商标注册号；返回规范化的号码")
    title = serializers.CharField(max_length=200)
    granted_on = serializers.DateField(required=False, allow_null=True)
    country = serializers.CharField(required=False, default="CN", max_length=2, min_length=2)
    nice_class = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=45,
                                          help_text="商标必填：尼斯分类 1–45")
    owner = serializers.IntegerField(required=False, min_value=1,
                                     help_text="仅知识产权局、管理员代登记时填写：权利人（申请主体）id")
