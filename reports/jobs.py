"""The budget report as a background job: request it, run it (in a task), find it, send its file.

The task runs on whatever django-tasks backend ``settings.TASKS`` names (``IPFUND_TASK_BACKEND``):
a thread after commit for `make run`, ``db_worker`` in production, inline in tests.
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from django_tasks import task

from applicants.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from applicants.models import Role, User

from . import selectors, services
from .models import FINISHED, JobStatus, ReportJob

logger = logging.getLogger(__name__)

JOB_ROLES = (Role.FINANCE, Role.ADMIN)


def report_dir() -> Path:
    return Path(settings.IPFUND_REPORT_DIR)


def user_region_code(user: User) -> str:
    """The region whose reports ``user`` works on: their own, else the installation's default."""
    region = getattr(user, "region", None)
    return region.code if region is not None else settings.IPFUND_DEFAULT_REGION


# --- writes ---------------------------------------------------------------------------------
def request_report_job(*, by: User, year: object, fmt: object) -> ReportJob:
    """Create a queued job for the user's region and hand it to the task backend (on commit)."""
    if not by.has_role(*JOB_ROLES):
        raise NotAllowed(_("只有财政局和资金管理员可以生成预算执行报告。"))
    year_value = services.parse_year(year)
    fmt_value = services.parse_format(fmt)
    code = user_region_code(by)
    region = selectors.region_by_code(code)
    if region is None:
        raise Invalid(_("未找到行政区划代码为 %(code)s 的行政区。") % {"code": code}, field="region")
    with transaction.atomic():
        limit = settings.IPFUND_REPORT_JOBS_PER_USER
        pending = [j for j in ReportJob.objects.filter(requested_by=by).exclude(status__in=FINISHED)
                   .select_for_update() if not j.is_stale]
        if len(pending) >= limit:
            raise Conflict(_("您已有 %(n)s 个报表正在生成，请等它们完成后再提交。") % {"n": len(pending)},
                           code="too_many_jobs")
        job = ReportJob.objects.create(requested_by=by, region=region, year=year_value, format=fmt_value)
        enqueue(job.pk)
    return job


def enqueue(job_id: int) -> None:
    """Queue the job's task; the thread backend starts it after the surrounding transaction commits."""
    build_report_job.enqueue(job_id)


@task()
def build_report_job(job_id: int) -> str:
    """The task: run the job; returns its final status (kept by the database backend)."""
    job = run_report_job(job_id)
    return job.status if job is not None else "missing"


def _set_progress(job_id: int, progress: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=progress, message=message, updated_at=timezone.now()
    )


def _transition(job_id: int, name: str, **kwargs) -> ReportJob | None:
    """Take transition ``name`` on the locked row; None when the job's status does not allow it."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not can_proceed(getattr(job, name)):
            return None
        getattr(job, name)(**kwargs)
        job.save()
    return job


def run_report_job(job_id: int) -> ReportJob | None:
    """Build, render and write the report, updating progress; any error ends the job failed, no file left.

    A job that is not queued (already run, or gone) is left as it is: a worker may deliver a task twice.
    Returns the job as it ends (None when it no longer exists).
    """
    job = _transition(job_id, "start", message=_("已开始。"))
    if job is None:
        return ReportJob.objects.filter(pk=job_id).first()
    target: Path | None = None
    try:
        _set_progress(job.pk, 10, _("正在查询并整理数据……"))
        report = services.budget_report(year=job.year, region_code=job.region.code)
        _set_progress(job.pk, 50, _("正在生成 %(fmt)s 文件……") % {"fmt": job.format.upper()})
        content = services.render(report, job.format)
        _set_progress(job.pk, 85, _("正在保存文件……"))
        name = f"{job.pk}-{uuid.uuid4().hex}.{job.format}"
        target = report_dir() / name  # removed again on any failure below, whatever was written
        _save(target, content)
        done = _transition(job.pk, "finish", file_name=name,
                           message=_("已生成，共 %(size)s 字节。") % {"size": len(content)})
        if done is None:
            raise Conflict(_("任务状态已被改变，文件未保存。"), code="job_changed")
        return done
    except Exception as exc:  # every failure must end the job, with a message
        if target is not None:
            _discard(target)
        if isinstance(exc, DomainError):
            message = _("生成失败：%(reason)s") % {"reason": exc.message}
        else:
            logger.exception("Report job %s failed", job_id)
            message = _("生成失败：内部错误（%(kind)s），请稍后重试或联系管理员。") % {"kind": type(exc).__name__}
        failed = _transition(job_id, "fail", message=message)
        return failed or ReportJob.objects.filter(pk=job_id).first()


def _discard(path: Path) -> None:
    """Remove what a failed job may have written; a path that cannot exist is nothing to remove."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.warning("Could not remove %s after a failed report job", path, exc_info=True)


def _save(target: Path, content: bytes) -> None:
    """Write the file atomically; a failure is Invalid with the reason but not the server's paths."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        services.write_atomically(target, content)
    except (OSError, Invalid) as exc:
        cause = exc if isinstance(exc, OSError) else exc.__cause__
        logger.warning("Report file %s could not be written: %s", target, exc)
        reason = getattr(cause, "strerror", None) or type(cause or exc).__name__
        raise Invalid(_("无法保存报表文件（%(reason)s），请联系管理员检查报表目录。") % {"reason": reason},
                      field="file") from exc


# --- reads ------------------------------------------------------------------------------------
def visible_jobs(user: User) -> QuerySet[ReportJob]:
    """Jobs ``user`` may see: finance/admin see their region's jobs; anyone their own."""
    qs = ReportJob.objects.select_related("region", "requested_by")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(*JOB_ROLES):
        return qs.filter(Q(region__code=user_region_code(user)) | Q(requested_by=user))
    return qs.filter(requested_by=user)


def job_for(user: User, job_id: int) -> ReportJob:
    """One visible job, or NotFound (absent and not visible look the same)."""
    job = visible_jobs(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("未找到该报表任务。"))
    return job


def job_file(user: User, job_id: int) -> tuple[ReportJob, Path]:
    """The finished job's file for download, or NotFound / Conflict with a Chinese message."""
    job = job_for(user, job_id)
    if job.status != JobStatus.DONE:
        raise Conflict(_("报表尚未生成完成，暂不能下载。"), code="job_not_done")
    directory = report_dir().resolve()
    path = (directory / job.file_name).resolve()
    if path.parent != directory or not path.is_file():
        raise NotFound(_("报表文件已不存在，请重新生成。"))
    return job, path
