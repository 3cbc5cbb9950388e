"""Emails to the claimant on each state change, sent only once the transaction has committed."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.inbox import absolute

from .inbox import claimant_users
from .models import Application
from .workflow import State

log = logging.getLogger(__name__)


def recipients(application: Application) -> list[str]:
    emails: list[str] = []
    if not application.claimant_bank_id and application.applicant.contact_email:
        emails.append(application.applicant.contact_email)
    emails.extend(email for email in claimant_users(application).values_list("email", flat=True) if email)
    return sorted(set(emails))


def _send(application_id: int, state: str, transition_label: str, comment: str) -> None:
    app = Application.objects.select_related("applicant", "program").get(pk=application_id)
    to = recipients(app)
    if not to:
        return
    subject = _("【知识产权专项资金】申请 #%(id)s 状态变更：%(state)s") % {"id": app.pk, "state": State(state).label}
    lines = [
        _("项目：%(title)s（%(program)s）") % {"title": app.title, "program": app.program.name_zh},
        _("操作：%(name)s") % {"name": transition_label},
        _("新状态：%(state)s") % {"state": State(state).label},
    ]
    if comment:
        lines.append(_("意见：%(comment)s") % {"comment": comment})
    lines.append(_("查看：%(url)s") % {"url": absolute(reverse("funding:detail", args=[app.pk]))})
    try:
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, to)
    except Exception:
        log.exception("notification for application %s failed", application_id)


def after_commit(application: Application, transition_label: str, comment: str = "") -> None:
    """Queue the email; it goes out only if (and when) the surrounding transaction commits."""
    app_id, state = application.pk, application.state
    transaction.on_commit(lambda: _send(app_id, state, str(transition_label), comment))
