"""Report jobs: the pages that request a background budget report, follow its progress and download it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Role
from reports import jobs, services
from reports.models import ReportJob
from tests.clients import page_client
from tests.factories import RegionFactory, UserFactory
from tests.reports.helpers import queued_job

# Every test here writes its files under a temporary IPFUND_REPORT_DIR (tests/reports/conftest.py).
pytestmark = pytest.mark.usefixtures("report_dir")


# --- the pages ---------------------------------------------------------------------------------------
@pytest.fixture
def finance_client(world):
    return page_client(world.finance)


@pytest.fixture
def other_region_finance(db):
    return UserFactory(username="finance-500238", role=Role.FINANCE, region=RegionFactory(code="500238", name="巫溪县"))


@pytest.mark.django_db
def test_the_report_page_offers_background_generation(finance_client, world):
    body = finance_client.get(reverse("reports:budget"), {"year": world.year}).content.decode()
    assert f'action="{reverse("reports:job_create")}"' in body
    for fmt in ("pdf", "xlsx", "csv"):
        assert f'name="format" value="{fmt}"' in body


@pytest.mark.django_db
def test_finance_creates_a_job_follows_it_and_downloads_the_file(finance_client, world, inline_tasks):
    response = finance_client.post(reverse("reports:job_create"), {"year": world.year, "format": "xlsx"})
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:job", args=[job.pk])
    page = finance_client.get(response["Location"])
    assert page.status_code == 200
    assert reverse("reports:job_download", args=[job.pk]) in page.content.decode()
    download = finance_client.get(reverse("reports:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == services.FORMATS["xlsx"][0]
    assert f'filename="budget-report-500237-{world.year}.xlsx"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"PK")


@pytest.mark.django_db
def test_an_admin_of_the_region_may_download_a_finance_users_report(world, inline_tasks):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    client = page_client(world.admin)
    assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["applicant1", "clerk", "bank1_user"])
def test_other_roles_are_forbidden_from_job_pages(world, inline_tasks, who):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    client = page_client(getattr(world, who))
    assert client.post(reverse("reports:job_create"), {"year": world.year, "format": "csv"}).status_code == 403
    for name in ("job", "job_progress", "job_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 403
    assert client.get(reverse("reports:jobs")).status_code == 403
    assert ReportJob.objects.count() == 1


@pytest.mark.django_db
def test_finance_of_another_region_cannot_see_the_job(world, inline_tasks, other_region_finance):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    client = page_client(other_region_finance)
    for name in ("job", "job_progress", "job_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404
    assert reverse("reports:job", args=[job.pk]) not in client.get(reverse("reports:jobs")).content.decode()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(reverse("reports:jobs"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_creating_a_job_needs_a_post(finance_client):
    assert finance_client.get(reverse("reports:job_create")).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"year": "abc", "format": "pdf"}, {"year": "2026", "format": "exe"}, {}])
def test_a_bad_generate_request_goes_back_to_the_report_page_with_a_message(finance_client, params):
    response = finance_client.post(reverse("reports:job_create"), params, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("reports:budget"))
    assert "必须是" in response.content.decode()
    assert not ReportJob.objects.exists()


@pytest.mark.django_db
def test_the_progress_fragment_polls_every_second_while_the_job_is_unfinished(finance_client, world, held_tasks):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    body = finance_client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert f'hx-get="{reverse("reports:job_progress", args=[job.pk])}"' in body
    assert 'aria-valuenow="0"' in body
    assert reverse("reports:job_download", args=[job.pk]) not in body


@pytest.mark.django_db
def test_the_progress_fragment_stops_polling_when_the_job_is_done(finance_client, world, inline_tasks):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    body = finance_client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in body and "hx-get" not in body
    assert 'aria-valuenow="100"' in body
    assert reverse("reports:job_download", args=[job.pk]) in body


@pytest.mark.django_db
def test_the_progress_fragment_stops_polling_when_the_job_failed(finance_client, world, inline_tasks, monkeypatch):
    monkeypatch.setattr(services, "render", lambda report, fmt: 1 / 0)
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    body = finance_client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in body
    assert "生成失败" in body
    assert reverse("reports:job_download", args=[job.pk]) not in body


@pytest.mark.django_db
def test_the_progress_fragment_stops_polling_a_stalled_job(finance_client, world):
    job = queued_job(world)
    ReportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    body = finance_client.get(reverse("reports:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in body
    assert 'role="alert"' in body


@pytest.mark.django_db
def test_downloading_an_unfinished_job_is_a_message(finance_client, world, held_tasks):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    response = finance_client.get(reverse("reports:job_download", args=[job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:job", args=[job.pk])
    assert "报表尚未生成完成" in response.content.decode()


@pytest.mark.django_db
def test_a_deleted_report_file_is_a_404(finance_client, world, inline_tasks, report_dir):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    for path in report_dir.iterdir():
        path.unlink()
    assert finance_client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_the_job_list_uses_a_fixed_number_of_queries(finance_client, world):
    for i in range(15):
        queued_job(world, requested_by=world.admin if i % 2 else world.finance, format=["pdf", "csv"][i % 2])

    def queries_for(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = finance_client.get(reverse("reports:jobs"), {"page_size": page_size})
        assert response.status_code == 200
        assert response.content.decode().count('<a href="/reports/jobs/') == page_size
        return len(ctx.captured_queries)

    assert queries_for(3) == queries_for(15)


@pytest.mark.django_db
def test_the_job_list_shows_the_regions_jobs_newest_first(finance_client, world, other_region_finance):
    older = queued_job(world, created_at=timezone.now() - timedelta(minutes=5))
    newer = queued_job(world, requested_by=world.admin)
    hidden = queued_job(world, requested_by=other_region_finance, region=other_region_finance.region)
    body = finance_client.get(reverse("reports:jobs")).content.decode()
    first, second = (body.index(reverse("reports:job", args=[j.pk]) + '"') for j in (newer, older))
    assert first < second
    assert reverse("reports:job", args=[hidden.pk]) + '"' not in body
