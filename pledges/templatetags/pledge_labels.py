"""Human labels for loan-event kinds and loan statuses on the pledge pages."""

from django import template
from django.utils.translation import gettext_lazy as _

from pledges.models import LoanStatus

register = template.Library()

# The kinds pledges.services writes into LoanEvent.kind.
EVENT_KIND_LABELS = {
    "registered": _("已登记"),
    "repayment": _("还款"),
    "settled": _("已结清"),
    "defaulted": _("已违约"),
    "compensated": _("已补偿"),
    "recovery": _("追偿回收"),
    "cancelled": _("已撤销登记"),
    "pool_covered": _("纳入风险补偿资金池"),
    "pool_shared": _("资金池出资方分担"),
    "lpr": _("LPR 录入或更正"),
}


@register.filter
def loan_event_label(kind) -> str:
    return EVENT_KIND_LABELS.get(kind, kind)


@register.filter
def loan_status_label(value) -> str:
    try:
        return LoanStatus(value).label
    except ValueError:
        return value or "—"
