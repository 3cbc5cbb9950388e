"""The benchmark's framework floor: the cheapest authenticated DRF endpoint, ``/api/v1/_bench/floor/``.

Same authentication, permission, renderer and exception handler as every API view, but no work
of its own, so ``bench/run.py`` can state each endpoint's throughput as a share of this floor.
Routed only by ``bench/urls.py`` (``DJANGO_SETTINGS_MODULE=bench.settings``), never by the project.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class BenchFloorView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"ok": True, "user": request.user.username})


urlpatterns = [path("_bench/floor/", BenchFloorView.as_view(), name="bench-floor")]
