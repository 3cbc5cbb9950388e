from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "资金项目与申请"

    def ready(self) -> None:
        from core.dashboard import register_nav, register_tasks

        from . import audit, clawbacks, dashboard, handlers  # noqa: F401  registers the funding programs and audit chains

        register_nav(dashboard.nav)
        register_tasks(dashboard.tasks)
