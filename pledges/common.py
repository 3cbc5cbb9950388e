"""What the pledge services share: the bank's own loan under a row lock, the loan event, state and
date checks, releasing the rights."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applicants.models import Bank, Role, User
from core.errors import Conflict, Invalid, NotAllowed, NotFound

from .audit import record_loan_event
from .models import LoanEvent, LoanStatus, PledgedRight, PledgeLoan


def _bank_of(user: User) -> Bank:
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.BANK) or user.bank_id is None:
        raise NotAllowed(_("只有合作银行的用户可以登记和变更质押贷款"))
    return user.bank


def _locked_bank_loan(user: User, loan_id: int) -> PledgeLoan:
    """The bank's own loan, row-locked; another bank's loan is simply not there (404)."""
    bank = _bank_of(user)
    loan = PledgeLoan.objects.select_for_update().filter(pk=loan_id, bank_id=bank.pk).first()
    if loan is None:
        raise NotFound(_("贷款不存在"))
    return loan


def _event(loan: PledgeLoan, kind: str, by: User | None, *, from_status: str = "", **detail) -> LoanEvent:
    """The audit row of a loan change: the next link of the loan-event hash chain (``pledges.audit``)."""
    return record_loan_event(loan, kind=kind, by=by, from_status=from_status,
                             to_status=loan.status if from_status else "", detail=detail)


def _ensure_can(loan: PledgeLoan, method, action: str) -> None:
    if not can_proceed(method):
        if loan.status == LoanStatus.DEFAULTED and method._django_fsm.has_transition(loan.status):
            raise Conflict(_("贷款已违约且风险补偿申请仍在办理中：申请不予通过或撤回后才能%(action)s")
                           % {"action": action}, code="claim_pending")
        raise Conflict(
            _("贷款当前状态为「%(status)s」，不能%(action)s") % {"status": loan.get_status_display(), "action": action},
            code="invalid_state",
        )


def _release_rights(loan: PledgeLoan) -> int:
    return PledgedRight.objects.filter(loan=loan, live=True).update(live=False)


def _no_later_than_today(on: dt.date, field: str, what: str) -> None:
    today = timezone.localdate()
    if on > today:
        raise Invalid(_("%(what)s %(on)s 晚于今天（%(today)s），不能登记未来的日期")
                      % {"what": what, "on": on.isoformat(), "today": today.isoformat()}, field=field)


