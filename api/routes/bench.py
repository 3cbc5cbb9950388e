"""``/api/v1/_bench/floor/`` — only with DEBUG or ``IPFUND_BENCH=1``; mounted from ``api/urls.py``."""

import os

from django.conf import settings
from django.urls import path

from api.views.bench import BENCH_FLOOR

urlpatterns = (
    [path("_bench/floor/", BENCH_FLOOR, name="bench-floor")]
    if settings.DEBUG or os.environ.get("IPFUND_BENCH") == "1"
    else []
)
