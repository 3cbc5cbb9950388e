"""The project's URLs plus ``/api/v1/_bench/floor/`` (api/routes/bench.py), for benchmark runs only."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [path("api/v1/", include("api.routes.bench")), *project_urls]
