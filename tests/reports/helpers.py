"""Shared settings and helpers for the report job tests (tests/reports/test_jobs_*.py)."""

from reports.models import ReportJob

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
THREAD = {"default": {"BACKEND": "reports.task_backend.ThreadBackend", "OPTIONS": {"max_threads": 2}}}


def files_in(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def queued_job(world, **kwargs) -> ReportJob:
    fields = {"requested_by": world.finance, "region": world.region, "year": world.year, "format": "csv"} | kwargs
    return ReportJob.objects.create(**fields)
