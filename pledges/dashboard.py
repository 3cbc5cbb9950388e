"""Navigation and home-page tasks for fin_center, finance, admin and bank staff (registered from apps.ready)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Role
from core.dashboard import register_nav, register_tasks

from .models import LoanStatus
from .pool import banner_for
from .selectors import OVERSIGHT_ROLES, loans_visible_to, may_see_loans


def nav(user) -> list[tuple[int, str, str]]:
    if not may_see_loans(user):
        return []
    return [(40, _("质押贷款"), "pledges:loan_list")]


def tasks(user) -> list[dict]:
    if not (user.has_role(Role.BANK, Role.FIN_CENTER)) or not may_see_loans(user):
        return []
    today = timezone.localdate()
    counts = loans_visible_to(user).aggregate(
        active=Count("id", filter=Q(status=LoanStatus.ACTIVE)),
        overdue=Count("id", filter=Q(status=LoanStatus.ACTIVE, maturity_date__lt=today)),
        defaulted=Count("id", filter=Q(status=LoanStatus.DEFAULTED)),
    )
    url = reverse("pledges:loan_list")
    items = [
        {"label": _("正常贷款"), "count": counts["active"], "url": f"{url}?status={LoanStatus.ACTIVE}"},
        {"label": _("已到期未结清"), "count": counts["overdue"], "url": f"{url}?status={LoanStatus.ACTIVE}"},
        {"label": _("违约待补偿"), "count": counts["defaulted"], "url": f"{url}?status={LoanStatus.DEFAULTED}"},
    ]
    title = _("本行质押贷款") if user.has_role(Role.BANK) and not user.has_role(*OVERSIGHT_ROLES) else _("质押融资")
    # The risk pool's warning banner (pledges.pool) for the fin_center, at the top of the home page.
    return [{"title": title, "items": items, "alert": banner_for(user)}]


def register() -> None:
    register_nav(nav)
    register_tasks(tasks)
