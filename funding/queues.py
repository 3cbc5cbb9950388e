"""Which rows of finance's queue wait on something, and why, as one annotated query: the queue
marks them, and the home page counts only what can be acted on now. The reasons are the workflow's
own (``conditions.publicity_elapsed``, ``no_open_objection``, ``tranches.payable_now``) written as
filters; ``tests/funding/test_queues.py`` holds the two readings together."""

from __future__ import annotations

from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Application, Objection
from .tranches import payable_now
from .workflow import State

_SHARE = DecimalField(max_digits=6, decimal_places=4)


def with_waits(queue: QuerySet[Application]) -> QuerySet[Application]:
    """The queue annotated with what its rows may wait on (an open objection, the tranche share)."""
    return queue.annotate(
        open_objection=Exists(Objection.objects.filter(application=OuterRef("pk"), resolved_at__isnull=True)),
        tranche_share=Coalesce(Cast(KT("frozen_rules__first_tranche_share"), _SHARE), F("program__first_tranche_share")),
    )


def waiting_q() -> Q:
    """Rows of ``with_waits`` that cannot be acted on today."""
    today = timezone.localdate()
    notice_running = (Q(state=State.PUBLICITY, publicity_ends_on__gte=today)
                      & ~Q(publicity_ends_on=F("publicity_started_on")))
    objection = Q(state=State.PUBLICITY, open_objection=True)
    first_tranche_paid = (Q(state=State.APPROVED, tranche_share__lt=1)
                          & Q(disbursed_amount__gte=Round(F("approved_amount") * F("tranche_share"), 2)))
    return notice_running | objection | first_tranche_paid


def actionable(queue: QuerySet[Application]) -> QuerySet[Application]:
    return with_waits(queue).exclude(waiting_q())


def wait_reason(app: Application) -> str:
    """Why a row of ``with_waits`` waits ("" when it can be acted on): read from its annotations."""
    today = timezone.localdate()
    if app.state == State.PUBLICITY:
        ends = app.publicity_ends_on
        if ends is not None and ends != app.publicity_started_on and ends >= today:
            return _("公示期至 %(end)s，结束后方可批准") % {"end": ends.isoformat()}
        if getattr(app, "open_objection", False):
            return _("有待处理的公示异议")
    if app.state == State.APPROVED and payable_now(app).amount <= 0:
        return _("首笔已拨付，余款待验收后拨付")
    return ""
