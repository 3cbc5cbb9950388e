from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _nav(user) -> list[tuple[int, str, str]]:
    from .models import STAFF_ROLES

    entries: list[tuple[int, str, str]] = []
    if user.applicant_id is not None:
        entries += [(10, _("我的知识产权"), "applicants:my_assets"), (90, _("我的单位"), "applicants:organisation")]
    if user.roles & STAFF_ROLES:
        entries.append((60, _("知识产权"), "applicants:registry"))
    # The Django admin lets in active staff accounts only (the fund administrator's, superusers'):
    # the link is shown to whoever it would let in.
    if user.is_active and user.is_staff:
        entries.append((95, _("管理后台"), "admin:index"))
    return entries


class ApplicantsConfig(AppConfig):
    name = "applicants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("申请主体与知识产权")

    def ready(self) -> None:
        from core.dashboard import register_nav

        register_nav(_nav)
