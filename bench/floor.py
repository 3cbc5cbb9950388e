"""The benchmark's framework floors, routed only by ``bench/urls.py`` (bench settings), never by the project.

- ``GET /api/v1/_bench/floor/``: the cheapest authenticated DRF endpoint.
- ``POST /api/v1/_bench/floor-post/``: validates a body of the pledge registration's shape with plain
  DRF fields and returns it (201); no database writes.

Same authentication, permission, parser, renderer and exception handler as every API view, but no
work of their own, so ``bench/run.py`` can state each endpoint's throughput as a share of a floor.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class BenchFloorView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"ok": True, "user": request.user.username})


class _RightShape(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["patent", "trademark"])
    number = serializers.CharField(max_length=20)
    valuation = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class _RegistrationShape(serializers.Serializer):
    """The fields of ``POST /api/v1/pledges/`` (api.serializers.pledges.LoanRegisterSerializer), plain DRF."""

    contract_no = serializers.CharField(max_length=60)
    borrower_credit_code = serializers.CharField(max_length=18)
    principal = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    annual_rate = serializers.DecimalField(max_digits=8, decimal_places=6, min_value=0, max_value=1)
    start_date = serializers.DateField()
    maturity_date = serializers.DateField()
    pledge_registration_no = serializers.CharField(max_length=40)
    rights = _RightShape(many=True, allow_empty=False)


class BenchFloorPostView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def post(self, request):
        serializer = _RegistrationShape(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("_bench/floor/", BenchFloorView.as_view(), name="bench-floor"),
    path("_bench/floor-post/", BenchFloorPostView.as_view(), name="bench-floor-post"),
]
