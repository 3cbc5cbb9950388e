"""Navigation entries and home-page task counts of the funding app, per role."""

from django.urls import reverse
from django.utils.translation import gettext as _

from applicants.models import Role

from . import queues, selectors
from .workflow import State, reached_finance_q


def nav(user) -> list[tuple[int, str, str]]:
    entries: list[tuple[int, str, str]] = []
    if user.has_role(Role.APPLICANT):
        entries.append((10, _("我的申请"), "funding:list"))
    if user.has_role(Role.IP_OFFICE, Role.FIN_CENTER, Role.ADMIN):
        entries.append((20, _("受理队列"), "funding:intake"))
    if user.has_role(Role.EXPERT):
        entries.append((30, _("待评审"), "funding:reviews"))
    if user.has_role(Role.FINANCE, Role.ADMIN):
        entries.append((40, _("审批与拨付"), "funding:approvals"))
    if user.has_role(Role.FINANCE, Role.ADMIN, Role.IP_OFFICE, Role.FIN_CENTER):
        entries.append((50, _("预算"), "funding:budgets"))
        entries.append((15, _("全部申请"), "funding:list"))
    if user.has_role(Role.ADMIN, Role.FINANCE):
        entries.append((85, _("合规检查"), "funding:compliance"))
    entries.append((90, _("公示"), "funding:notices"))
    return entries


def tasks(user) -> list[dict]:
    items = []
    if user.has_role(Role.APPLICANT):
        mine = selectors.applications_visible_to(user)
        items.append({"label": _("退回补正待修改"), "count": mine.filter(state=State.RETURNED).count(),
                      "url": reverse("funding:list") + "?state=returned"})
        items.append({"label": _("草稿"), "count": mine.filter(state=State.DRAFT).count(),
                      "url": reverse("funding:list") + "?state=draft"})
    if user.has_role(Role.IP_OFFICE, Role.FIN_CENTER):
        queue = selectors.intake_queue(user)
        items.append({"label": _("待受理"), "count": queue.filter(state=State.SUBMITTED).count(),
                      "url": reverse("funding:intake") + "?state=submitted"})
    if user.has_role(Role.EXPERT):
        items.append({"label": _("待评审"), "count": selectors.review_queue(user).count(),
                      "url": reverse("funding:reviews")})
    if user.has_role(Role.FINANCE):
        # What can be acted on today: rows waiting on a notice, an objection or 验收 are not counted.
        queue = selectors.finance_queue(user).exclude(queues.waiting_q())
        items.append({"label": _("待审批"), "count": queue.filter(reached_finance_q()).count(),
                      "url": reverse("funding:approvals")})
        items.append({"label": _("待拨付"), "count": queue.filter(state__in=selectors.payable_states()).count(),
                      "url": reverse("funding:approvals") + "?state=approved"})
    return [{"title": _("资金申请"), "items": items}] if items else []
