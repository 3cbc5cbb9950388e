"""IP assets over the API. Serializers check shape and types only; the rules live in
``applicants.services`` (numbers, ownership, nice classes, dates)."""

from rest_framework import serializers

from applicants.models import IPAsset

from .common import StrictFieldsMixin, StrictSerializer

__all__ = ["IPAssetCreateSerializer", "IPAssetSerializer", "OwnerSerializer", "StrictFieldsMixin"]


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


class IPAssetCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=IPAsset.Kind.choices)
    number = serializers.CharField(max_length=40, trim_whitespace=True,
                                   help_text="专利号：中国专利 ZL/CN 前缀、点号可省（如 ZL201710601862.3）；国外授权专利"
                                   "带国别代码（如 US11234567B2、EP1234567B1、JP6543210B2、KR10-2345678、"
                                   "WO2020/123456）；或商标注册号。返回规范化的号码")
    title = serializers.CharField(max_length=200)
    granted_on = serializers.DateField(required=False, allow_null=True)
    country = serializers.CharField(required=False, max_length=2, min_length=2,
                                    help_text="国家/地区代码；专利省略时按号码判断（ZL/CN 为 CN，US… 为 US），"
                                    "与号码不符为 400；商标省略为 CN")
    nice_class = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=45,
                                          help_text="商标必填：尼斯分类 1–45")
    owner = serializers.IntegerField(required=False, min_value=1,
                                     help_text="仅知识产权局、管理员代登记时填写：权利人（申请主体）id")
