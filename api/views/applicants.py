"""``/api/v1/ip-assets/``: applicants list and register their own; staff list their region's."""

from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from api.serializers.applicants import IPAssetCreateSerializer, IPAssetSerializer
from api.serializers.common import error_responses
from applicants import selectors, services
from applicants.errors import Invalid
from applicants.models import Applicant, IPAsset


class MayListIPAssets(permissions.BasePermission):
    """Applicants and staff list; applicants (and IP-office/admin staff for an owner) register. Banks: 403."""

    def has_permission(self, request, view) -> bool:
        if request.method == "POST":
            self.message = _("无权登记知识产权")
            return selectors.may_register_ip_assets(request.user)
        self.message = _("无权查看知识产权登记")
        return selectors.may_list_ip_assets(request.user)


class IdFilter(filters.NumberFilter):
    """A positive 64-bit integer: ``1.5`` or ``-3e304`` are a 400 on the field, never a database overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class IPAssetFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=IPAsset.Kind.choices)
    number = filters.CharFilter(method="filter_number", help_text="号码（规范化后部分匹配）")
    owner = IdFilter(field_name="owner_id", help_text="权利人 id")

    class Meta:
        model = IPAsset
        fields = ["kind", "number", "owner"]

    def filter_number(self, queryset, name, value):
        return selectors.ip_assets_filtered(queryset, number=value)


@extend_schema_view(
    get=extend_schema(summary="知识产权列表",
                      responses={200: IPAssetSerializer(many=True), **error_responses(400, 401, 403, 404)}),
    post=extend_schema(
        summary="登记专利或商标",
        request=IPAssetCreateSerializer,
        responses={201: IPAssetSerializer, **error_responses(400, 401, 403, 409)},
    ),
)
class IPAssetListCreate(generics.ListCreateAPIView):
    permission_classes = [permissions.IsAuthenticated, MayListIPAssets]
    filterset_class = IPAssetFilter
    serializer_class = IPAssetSerializer

    def get_queryset(self):
        return selectors.ip_assets_visible_to(self.request.user).order_by("-id")

    def create(self, request, *args, **kwargs):
        incoming = IPAssetCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        owner = None
        if "owner" in data:
            owner = Applicant.objects.filter(pk=data.pop("owner")).first()
            if owner is None:
                raise Invalid(_("权利人不存在"), field="owner")
        asset = services.ip_asset_register(by=request.user, owner=owner, **data)
        return Response(IPAssetSerializer(asset).data, status=status.HTTP_201_CREATED)
