"""Emails to the claimant on each state change, sent only once the transaction has committed."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.inbox import absolute

from .models import Application
from .workflow import State

log = logging.getLogger(__name__)


def recipients(application: Application, claimant_emails) -> list[str]:
    """The applicant's contact email (not for a bank's claim) and its active users' ones,
    ``claimant_emails``, as the transition read them (``funding.inbox.concerned_now``)."""
    emails: list[str] = []
    if not application.claimant_bank_id and application.applicant.contact_email:
        emails.append(application.applicant.contact_email)
    emails.extend(email for email in claimant_emails if email)
    return sorted(set(emails))


def message(application: Application, transition_label: str, comment: str) -> tuple[str, str]:
    state = application.state
    subject = _("【知识产权专项资金】申请 #%(id)s 状态变更：%(state)s") % {"id": application.pk,
                                                              "state": State(state).label}
    lines = [
        _("项目：%(title)s（%(program)s）") % {"title": application.title, "program": application.program.name_zh},
        _("操作：%(name)s") % {"name": transition_label},
        _("新状态：%(state)s") % {"state": State(state).label},
    ]
    if comment:
        lines.append(_("意见：%(comment)s") % {"comment": comment})
    lines.append(_("查看：%(url)s") % {"url": absolute(reverse("funding:detail", args=[application.pk]))})
    return subject, "\n".join(lines)


def _deliver(application_id: int, to: list[str], subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:
        log.exception("notification for application %s failed", application_id)


def after_commit(application: Application, transition_label: str, comment: str = "", *,
                 claimant_emails) -> None:
    """Queue the email, written now from the case as the transaction leaves it (nothing is read
    again); it goes out only if (and when) the surrounding transaction commits."""
    to = recipients(application, claimant_emails)
    if not to:
        return
    subject, body = message(application, str(transition_label), comment)
    app_id = application.pk
    transaction.on_commit(lambda: _deliver(app_id, to, subject, body))
