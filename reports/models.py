"""Report jobs: a year-end report built in the background, its progress and its private file."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class ReportJob(ConcurrentTransitionMixin, models.Model):
    """One request for the budget execution report as a file; every status change is a transition."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_jobs", verbose_name=_("申请人")
    )
    region = models.ForeignKey("applicants.Region", on_delete=models.PROTECT, related_name="report_jobs",
                               verbose_name=_("行政区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    format = models.CharField(_("格式"), max_length=4, choices=ReportFormat.choices)
    status = FSMField(_("状态"), default=JobStatus.QUEUED, choices=JobStatus.choices, protected=True, max_length=8)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # Relative to settings.IPFUND_REPORT_DIR (private, never served directly).
    file_name = models.CharField(_("文件"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报表任务")
        verbose_name_plural = _("报表任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region", "-created_at"], name="reportjob_region_recent"),
            models.Index(fields=["requested_by", "status"], name="reportjob_user_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="reportjob_progress_0_100"),
            models.CheckConstraint(condition=~Q(status=JobStatus.DONE) | ~Q(file_name=""),
                                   name="reportjob_done_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}-{self.year}.{self.format} #{self.pk}"

    # --- transitions ---------------------------------------------------------------------
    @transition(field=status, source=JobStatus.QUEUED, target=JobStatus.RUNNING)
    def start(self, message: str = "") -> None:
        self.progress = max(self.progress, 5)
        self.message = message
        self.updated_at = timezone.now()

    @transition(field=status, source=JobStatus.RUNNING, target=JobStatus.DONE)
    def finish(self, file_name: str, message: str = "") -> None:
        self.file_name = file_name
        self.progress = 100
        self.message = message
        self.updated_at = self.finished_at = timezone.now()

    @transition(field=status, source=[JobStatus.QUEUED, JobStatus.RUNNING], target=JobStatus.FAILED)
    def fail(self, message: str) -> None:
        self.message = message[:500]
        self.file_name = ""
        self.updated_at = self.finished_at = timezone.now()

    # --- derived ------------------------------------------------------------------------
    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_stale(self) -> bool:
        """Unfinished and silent for longer than IPFUND_REPORT_JOB_STALE_MINUTES (its worker was stopped)."""
        limit = timedelta(minutes=getattr(settings, "IPFUND_REPORT_JOB_STALE_MINUTES", 30))
        return not self.is_finished and self.updated_at < timezone.now() - limit

    @property
    def progress_step(self) -> int:
        """The progress rounded to 5 %, for the bar's width class (no inline styles under the CSP)."""
        return min(100, (self.progress + 2) // 5 * 5)

    @property
    def download_name(self) -> str:
        return f"budget-report-{self.region.code}-{self.year}.{self.format}"
