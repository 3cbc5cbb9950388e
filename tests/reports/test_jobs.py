"""Report jobs: the budget report built in the background, its progress page and its download."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import task_backends

from applicants.errors import Conflict, Invalid, NotAllowed
from applicants.models import Role
from reports import jobs, services
from reports.models import JobStatus, ReportJob
from tests.clients import page_client
from tests.factories import RegionFactory, UserFactory, build_world, ensure_role_groups

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
THREAD = {"default": {"BACKEND": "reports.task_backend.ThreadBackend", "OPTIONS": {"max_threads": 2}}}


@pytest.fixture(autouse=True)
def report_dir(settings, tmp_path):
    settings.IPFUND_REPORT_DIR = tmp_path / "reports"
    return settings.IPFUND_REPORT_DIR


@pytest.fixture
def inline_tasks(settings):
    """Enqueued tasks run at once, in the caller's thread (django-tasks' ImmediateBackend)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def held_tasks(settings):
    """Enqueued tasks are stored and never run (DummyBackend): jobs stay queued."""
    settings.TASKS = DUMMY


def files_in(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def queued_job(world, **kwargs) -> ReportJob:
    fields = {"requested_by": world.finance, "region": world.region, "year": world.year, "format": "csv"} | kwargs
    return ReportJob.objects.create(**fields)


# --- the service --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_requested_job_runs_to_done_with_its_file(world, inline_tasks, report_dir):
    job = jobs.request_report_job(by=world.finance, year=str(world.year), fmt="pdf")
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.DONE
    assert job.progress == 100
    assert job.finished_at is not None
    assert files_in(report_dir) == [job.file_name]
    assert (report_dir / job.file_name).read_bytes().startswith(b"%PDF")


@pytest.mark.django_db
def test_a_job_reports_progress_at_each_stage(world, inline_tasks, monkeypatch):
    seen = []
    original = jobs._set_progress
    monkeypatch.setattr(jobs, "_set_progress", lambda job_id, p, m: (seen.append((p, m)), original(job_id, p, m)))
    jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    assert [p for p, _ in seen] == [10, 50, 85]
    assert all(m for _, m in seen)


@pytest.mark.django_db
def test_the_job_file_matches_the_synchronous_report(world, inline_tasks, report_dir):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    job.refresh_from_db()
    expected = services.render(services.budget_report(year=world.year), "csv")
    assert (report_dir / job.file_name).read_bytes() == expected


@pytest.mark.django_db
def test_an_unwritable_report_dir_ends_the_job_failed_with_nothing_left(world, inline_tasks, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings.IPFUND_REPORT_DIR = blocker / "reports"
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("生成失败：无法保存报表文件")
    assert str(tmp_path) not in job.message
    assert job.file_name == ""
    assert files_in(tmp_path) == ["not-a-dir"]


@pytest.mark.django_db
def test_a_failed_write_leaves_no_partial_file(world, inline_tasks, report_dir, monkeypatch):
    def broken_write(path, content):
        path.write_bytes(content[:10])  # half a file, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "write_atomically", broken_write)
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert "No space left on device" in job.message
    assert files_in(report_dir) == []


@pytest.mark.django_db
def test_an_unexpected_error_ends_the_job_failed_with_a_chinese_message(world, inline_tasks, report_dir, monkeypatch):
    monkeypatch.setattr(services, "render", lambda report, fmt: 1 / 0)
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="xlsx")
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert job.message == "生成失败：内部错误（ZeroDivisionError），请稍后重试或联系管理员。"
    assert files_in(report_dir) == []


@pytest.mark.django_db
def test_a_job_delivered_twice_runs_once(world, inline_tasks, report_dir):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    first = ReportJob.objects.get(pk=job.pk)
    again = jobs.run_report_job(job.pk)
    assert again.status == JobStatus.DONE
    assert again.file_name == first.file_name
    assert files_in(report_dir) == [first.file_name]


def test_running_a_job_that_no_longer_exists_does_nothing(db):
    assert jobs.run_report_job(987654) is None


@pytest.mark.django_db
def test_the_status_changes_only_through_transitions(world):
    job = queued_job(world)
    with pytest.raises(AttributeError):
        job.status = JobStatus.DONE


@pytest.mark.django_db
def test_a_queued_job_waits_until_a_worker_takes_it(world, held_tasks):
    job = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    job.refresh_from_db()
    assert (job.status, job.progress) == (JobStatus.QUEUED, 0)


@pytest.mark.django_db
def test_the_job_is_for_the_requesters_region(world, held_tasks):
    job = jobs.request_report_job(by=world.admin, year=world.year, fmt="csv")
    assert job.region == world.region
    assert job.requested_by == world.admin


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["applicant1", "clerk", "bank1_user", "fincenter"])
def test_only_finance_and_admin_may_request_a_job(world, held_tasks, who):
    with pytest.raises(NotAllowed):
        jobs.request_report_job(by=getattr(world, who), year=world.year, fmt="csv")
    assert not ReportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("year,fmt,field", [("1999", "csv", "year"), ("abc", "pdf", "year"), ("2026", "exe", "format")])
def test_a_bad_year_or_format_is_invalid(world, held_tasks, year, fmt, field):
    with pytest.raises(Invalid) as caught:
        jobs.request_report_job(by=world.finance, year=year, fmt=fmt)
    assert caught.value.field == field
    assert not ReportJob.objects.exists()


@pytest.mark.django_db
def test_too_many_unfinished_jobs_is_a_conflict(world, held_tasks, settings):
    settings.IPFUND_REPORT_JOBS_PER_USER = 2
    for _ in range(2):
        jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    with pytest.raises(Conflict) as caught:
        jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    assert caught.value.code == "too_many_jobs"
    assert ReportJob.objects.count() == 2


@pytest.mark.django_db
def test_stalled_jobs_do_not_count_against_the_limit(world, held_tasks, settings):
    settings.IPFUND_REPORT_JOBS_PER_USER = 1
    old = jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    ReportJob.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    assert ReportJob.objects.get(pk=old.pk).is_stale
    jobs.request_report_job(by=world.finance, year=world.year, fmt="csv")
    assert ReportJob.objects.count() == 2


# --- the thread backend (the default for `make run`) ----------------------------------------------
@pytest.fixture
def tx_world(transactional_db):
    """build_world() for transaction=True tests: their flush removed the data migration's role groups."""
    ensure_role_groups()
    return build_world()


def _join_threads() -> None:
    for thread in task_backends["default"].threads:
        thread.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_the_thread_backend_runs_the_job_after_commit(tx_world, settings, report_dir):
    settings.TASKS = THREAD
    job = jobs.request_report_job(by=tx_world.finance, year=tx_world.year, fmt="csv")
    _join_threads()
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.DONE
    assert files_in(report_dir) == [job.file_name]


@pytest.mark.django_db(transaction=True)
def test_the_thread_backend_runs_nothing_when_the_request_rolls_back(tx_world, settings, report_dir):
    settings.TASKS = THREAD
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.request_report_job(by=tx_world.finance, year=tx_world.year, fmt="csv")
        raise RuntimeError("the request failed after queuing")
    _join_threads()
    assert task_backends["default"].threads == []
    assert not ReportJob.objects.exists()
    assert files_in(report_dir) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_the_same_job_build_it_once(tx_world, report_dir):
    job = queued_job(tx_world)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(jobs.run_report_job(job.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    job = ReportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.DONE
    assert JobStatus.DONE in outcomes  # the other worker found it taken and left it alone
    assert len(outcomes) == 2
    assert files_in(report_dir) == [job.file_name]


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
