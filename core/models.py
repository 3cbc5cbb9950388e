"""The national calendar an admin keeps for the years ``chinese-calendar`` does not know yet, and the inbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One day whose kind the State Council's notice fixes: a public holiday (放假) or a weekend day
    worked in exchange (调休上班). Days not listed are Monday–Friday working days. An entry also
    overrides the package for that date (a late change to the schedule)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), default=False,
                                     help_text=_("勾选：调休上班的周末；不勾选：法定节假日（放假）"))
    name = models.CharField(_("名称"), max_length=40, blank=True, help_text=_("如 国庆节、春节调休"))

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("放假")
        return f"{self.date.isoformat()} {self.name} {kind}".replace("  ", " ")


class InboxMessage(models.Model):
    """One line in a user's inbox (站内消息): what changed that concerns them, and where to look."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox",
                             verbose_name=_("用户"))
    text = models.CharField(_("内容"), max_length=300)
    link = models.CharField(_("链接"), max_length=300)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]

    def __str__(self) -> str:
        return self.text
