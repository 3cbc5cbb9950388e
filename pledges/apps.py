from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "知识产权质押融资"

    def ready(self) -> None:
        from . import dashboard, handlers  # noqa: F401  handlers registers interest_subsidy and risk_compensation

        dashboard.register()
