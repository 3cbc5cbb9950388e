from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "报表"

    def ready(self) -> None:
        from core.dashboard import register_nav

        register_nav(report_nav)


def report_nav(user) -> list[tuple[int, str, str]]:
    """The monthly pledge statistics (oversight staff, not banks) and the budget report (finance, admin)."""
    from django.utils.translation import gettext

    from applicants.models import Role

    from .pledge_stats import may_see_pledge_stats

    entries = []
    if may_see_pledge_stats(user):
        entries.append((45, gettext("贷款统计"), "reports:pledge_stats"))
    if user.has_role(Role.FINANCE, Role.ADMIN):
        entries.append((80, gettext("预算执行报告"), "reports:budget"))
    return entries
