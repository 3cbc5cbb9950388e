"""The benchmark's framework floor: the cheapest authenticated DRF endpoint.

Same authentication, permission, renderer and exception handler as every API view, but no work
of its own, so ``bench/run.py`` can state each endpoint's throughput as a share of this floor.
Routed only when ``settings.DEBUG`` or ``IPFUND_BENCH=1`` (see ``api/routes/bench.py``).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class BenchFloorView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"ok": True, "user": request.user.username})


BENCH_FLOOR = BenchFloorView.as_view()
