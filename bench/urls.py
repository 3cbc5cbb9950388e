"""The project's URLs plus the ``/api/v1/_bench/`` floors (bench/floor.py), for benchmark runs only."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [path("api/v1/", include("bench.floor")), *project_urls]
