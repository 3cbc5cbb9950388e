from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "applicants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "申请主体与知识产权"
