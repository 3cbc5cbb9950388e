from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "知识产权质押融资"

    def ready(self) -> None:
        from . import audit, dashboard, handlers, verify  # noqa: F401  programs; chains; verify_audit's checks

        dashboard.register()
        from .forms_subsidy import register as register_subsidy_form

        register_subsidy_form()
        from applicants.services import register_number_guard

        from .services import refuse_right_pledged_for_another

        register_number_guard(refuse_right_pledged_for_another)
