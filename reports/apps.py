from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "报表"

    def ready(self) -> None:
        from core.dashboard import register_nav

        register_nav(report_nav)


def report_nav(user) -> list[tuple[int, str, str]]:
    """The budget report entry, for finance and the fund administrator."""
    from django.utils.translation import gettext

    from applicants.models import Role

    if user.has_role(Role.FINANCE, Role.ADMIN):
        return [(80, gettext("预算执行报告"), "reports:budget")]
    return []
