"""Report jobs: the budget report built in the background, by the service and by the thread backend."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task_backends

from applicants.errors import Conflict, Invalid, NotAllowed
from reports import jobs, services
from reports.models import JobStatus, ReportJob
from tests.factories import build_world, ensure_role_groups
from tests.reports.helpers import THREAD, files_in, queued_job

# Every test here writes its files under a temporary IPFUND_REPORT_DIR (tests/reports/conftest.py).
pytestmark = pytest.mark.usefixtures("report_dir")


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
