"""Objections to a public notice (公示异议): anyone may object, in writing and with a real name, while a
case is in its notice; the intake role resolves each. Upheld: the case goes back to review (a new
round) or, without experts, to intake; dismissed: the notice runs on. While one is open, approval is a
409 ``objection_pending`` (``conditions.no_open_objection``)."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import User
from core.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from core.text import clean_text

from . import inbox
from .models import Application, Objection
from .selectors import is_visible
from .services import application_transition
from .workflow import State, Transition, may_take

PER_ADDRESS_PER_HOUR = 5
_PHONE = re.compile(r"\+?[0-9][0-9\- ]{5,18}[0-9]")


def objection_submit(*, application_id: int, name: str, phone: str, reason: str, address: str | None = None,
                     by: User | None = None) -> Objection:
    """Record an objection to a case in its public notice (no login needed)."""
    name = clean_text(name, "name", max_length=50, required=True, label=_("姓名"))
    if len(name) < 2:
        raise Invalid(_("请填写真实姓名"), field="name")
    phone = clean_text(phone, "phone", max_length=20, required=True, label=_("联系电话"))
    if not _PHONE.fullmatch(phone):
        raise Invalid(_("请填写有效的联系电话，如 023-57681234 或 13800000000"), field="phone")
    reason = clean_text(reason, "reason", max_length=2000, required=True, label=_("异议理由"))
    if len(reason) < 10:
        raise Invalid(_("请具体写明异议的事实和理由（至少 10 个字）"), field="reason")
    with transaction.atomic():
        app = Application.objects.select_for_update().filter(pk=application_id, state=State.PUBLICITY).first()
        if app is None:
            raise NotFound(_("该项目不在公示期内"))
        if address:
            since = timezone.now() - dt.timedelta(hours=1)
            if Objection.objects.filter(address=address, created_at__gte=since).count() >= PER_ADDRESS_PER_HOUR:
                raise TooMany(_("同一地址一小时内最多提交 %(n)d 份异议，请稍后再试") % {"n": PER_ADDRESS_PER_HOUR})
        user = by if getattr(by, "is_authenticated", False) else None
        objection = Objection.objects.create(application=app, name=name, phone=phone, reason=reason,
                                             address=address, submitted_by=user)
        inbox.after_objection(app)
    return objection


def objection_resolve(*, by: User, application_id: int, objection_id: int, upheld: bool, comment: str) -> Objection:
    """Uphold (the case goes back for a new decision, a history row) or dismiss (the notice runs on)."""
    if not isinstance(upheld, bool):
        raise Invalid(_("应为 true 或 false"), field="upheld")
    comment = clean_text(comment, "comment", max_length=2000, required=True, label=_("处理意见"))
    if upheld:
        with transaction.atomic():
            application_transition(application_id=application_id, name=Transition.UPHOLD_OBJECTION, by=by,
                                   comment=comment, data={"objection": objection_id})
            Objection.objects.filter(pk=objection_id).update(comment=comment)
        return Objection.objects.get(pk=objection_id)
    with transaction.atomic():
        app = Application.objects.select_for_update().filter(pk=application_id).first()
        if app is None or not is_visible(by, app):
            raise NotFound(_("申请不存在"))
        if not may_take(Transition.UPHOLD_OBJECTION, app, by):
            raise NotAllowed(_("只有受理部门可以处理异议"))
        objection = Objection.objects.select_for_update().filter(pk=objection_id, application=app).first()
        if objection is None:
            raise NotFound(_("异议不存在"))
        if objection.resolved_at is not None:
            raise Conflict(_("该异议已处理"), code="already_resolved")
        objection.upheld, objection.comment = False, comment
        objection.resolved_by, objection.resolved_at = by, timezone.now()
        objection.save(update_fields=["upheld", "comment", "resolved_by", "resolved_at"])
    return objection
