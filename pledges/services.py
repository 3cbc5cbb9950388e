"""Every write on pledge loans: one function per use case, one transaction each.

Lock order, as everywhere (docs/architecture.md): business rows first — application → applicant → loan →
risk pool → budget — then the audit chain heads in ``core.audit_chain.LOCK_ORDER`` (ledger entry,
repayment, recovery, loan event: so the loan event is always written last). ``loan_default``
locks the loan before the application it creates, which no one else can see until it commits.
Field rules live in ``validation``; idempotency of the bank API lives in ``idempotency``.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core.errors import Conflict, Invalid, NotAllowed, NotFound
from core.money import ZERO, format_money, quantize
from funding import ledger, rule_versions
from funding import services as funding_services
from funding.models import Budget, EntryKind, Program
from funding.workflow import ProgramCode, Transition

from .audit import record_recovery, record_repayment
from .common import _ensure_can, _event, _locked_bank_loan, _no_later_than_today, _release_rights
from .models import LoanStatus, PledgeLoan, Recovery, Repayment
from .pool import after_cancel, after_settle
from .pool_shares import share_recovery
from .registration import loan_register, refuse_right_pledged_for_another  # noqa: F401  re-exported
from .selectors import loans_visible_to
from .validation import (
    Errors,
    parse_date,
    parse_money,
    parse_text,
)

# --- repayments, settlement, default -------------------------------------------------

def _last_repayment_on(loan: PledgeLoan) -> dt.date | None:
    return loan.repayments.order_by("-date").values_list("date", flat=True).first()


def repayment_record(*, by: User, loan_id: int, date: dt.date | str | None = None,
                     principal: Decimal | str | None = None, interest: Decimal | str | None = None) -> Repayment:
    """Record principal and interest the borrower paid; lowers the outstanding principal (never below 0).

    The date lies in the loan's life: not before the start, not in the future (the loan is active,
    so not after a settlement either); after maturity is allowed (an overdue loan still repays).
    """
    errors = Errors()
    on = parse_date(errors, "date", date)
    principal = parse_money(errors, "principal", principal, allow_zero=True)
    interest = parse_money(errors, "interest", interest, allow_zero=True)
    if principal == 0 and interest == 0:
        errors.add("principal", _("本金和利息不能同时为 0"))
    errors.raise_if_any()
    _no_later_than_today(on, "date", _("还款日"))
    with transaction.atomic():
        loan = _locked_bank_loan(by, loan_id)
        if loan.status != LoanStatus.ACTIVE:
            raise Conflict(_("贷款当前状态为「%(status)s」，只有正常状态的贷款可以登记还款")
                           % {"status": loan.get_status_display()}, code="invalid_state")
        if principal > loan.outstanding_principal:
            raise Invalid(_("还款本金 %(p)s 超过贷款余额 %(o)s")
                          % {"p": format_money(principal), "o": format_money(loan.outstanding_principal)},
                          field="principal")
        if on < loan.start_date:
            raise Invalid(_("还款日不能早于放款日（%(start)s）") % {"start": loan.start_date}, field="date")
        repayment = record_repayment(loan, date=on, principal=principal, interest=interest)
        loan.outstanding_principal -= principal
        loan.save(update_fields=["outstanding_principal", "updated_at"])
        _event(loan, "repayment", by, date=on.isoformat(), principal=str(principal), interest=str(interest))
    return repayment


def loan_settle(*, by: User, loan_id: int, date: dt.date | str | None = None) -> PledgeLoan:
    """Settle an active loan (or a defaulted one whose claim was rejected or withdrawn); its rights
    are released and may be pledged again. The date: not before the start or the last repayment,
    not in the future."""
    errors = Errors()
    on = parse_date(errors, "date", date) if date is not None else timezone.localdate()
    errors.raise_if_any()
    _no_later_than_today(on, "date", _("结清日"))
    with transaction.atomic():
        loan = _locked_bank_loan(by, loan_id)
        _ensure_can(loan, loan.settle, _("结清"))
        earliest = max(filter(None, [loan.start_date, _last_repayment_on(loan)]))
        if on < earliest:
            raise Invalid(_("结清日不能早于放款日或最后一次还款日（%(day)s）") % {"day": earliest.isoformat()},
                          field="date")
        before = loan.status
        loan.settle(on=on)
        loan.outstanding_principal = ZERO
        loan.save()
        released = _release_rights(loan)
        after_settle(loan)  # a loan settled at once leaves the loss ratio's base (pool lock after the loan)
        _event(loan, "settled", by, from_status=before, date=on.isoformat(), released=released)
    return loan


def loan_default(*, by: User, loan_id: int, date: dt.date | str | None = None,
                 outstanding_principal: Decimal | str | None = None) -> PledgeLoan:
    """Mark an active loan defaulted and open the bank's risk-compensation claim (submitted).

    The outstanding at default is at most the outstanding after the repayments the bank reported
    (it is never raised); the date is not before the start and not in the future.
    """
    errors = Errors()
    on = parse_date(errors, "date", date)
    outstanding = parse_money(errors, "outstanding_principal", outstanding_principal)
    errors.raise_if_any()
    _no_later_than_today(on, "date", _("违约日"))
    with transaction.atomic():
        loan = _locked_bank_loan(by, loan_id)
        _ensure_can(loan, loan.default, _("登记违约"))
        if outstanding > loan.outstanding_principal:
            raise Invalid(_("违约时余额 %(o)s 超过按已报还款计算的贷款余额 %(left)s（本金 %(p)s）")
                          % {"o": format_money(outstanding), "left": format_money(loan.outstanding_principal),
                             "p": format_money(loan.principal)}, field="outstanding_principal")
        if on < loan.start_date:
            raise Invalid(_("违约日不能早于放款日（%(start)s）") % {"start": loan.start_date}, field="date")
        before = loan.status
        loan.default(on=on, outstanding=outstanding)
        loan.outstanding_principal = outstanding
        loan.save()
        # The borrower's county pays (and later gets the recoveries): its program, its pool.
        program = Program.objects.filter(region_id=loan.borrower.region_id, code=ProgramCode.RISK_COMPENSATION).first()
        if program is None:
            raise Conflict(_("本地区未设立风险补偿资金项目，无法登记违约"), code="no_program")
        # The default is a fact and is recorded; a compensation claim only while the program's rules
        # are in force (an ended program: the default stands, no claim, and the event says why).
        status = rule_versions.status_on(program)
        if status["in_force"]:
            application = funding_services.application_create(
                by=by, program_code=ProgramCode.RISK_COMPENSATION, applicant=loan.borrower, claimant_bank=loan.bank,
                title=_("%(bank)s %(contract)s 违约风险补偿") % {"bank": loan.bank.name, "contract": loan.contract_no},
                details={"loan": loan},  # the amount is the rule's (RiskCompensationHandler.rule_amount)
            )
            funding_services.application_transition(application_id=application.pk, name=Transition.SUBMIT, by=by)
        # Last: the transition-log chain head (taken by the submit above) comes before the loan-event head.
        _event(loan, "defaulted", by, from_status=before, date=on.isoformat(), outstanding=str(outstanding),
               **({} if status["in_force"] else {"no_claim": status["message"]}))
    return loan


def loan_compensate(*, loan_id: int, by: User | None = None) -> PledgeLoan:
    """The risk-compensation claim is fully paid: the loan is compensated and its rights released.

    Called by funding's disbursement, which already holds the loan lock (``lock_related``)."""
    loan = PledgeLoan.objects.select_for_update().get(pk=loan_id)
    if loan.status != LoanStatus.DEFAULTED:
        return loan
    loan.compensate()
    loan.save()
    released = _release_rights(loan)
    _event(loan, "compensated", by, from_status=LoanStatus.DEFAULTED, released=released)
    return loan


def pool_share_of(*, amount: Decimal, paid: Decimal, outstanding_at_default: Decimal, returned: Decimal) -> Decimal:
    """What a recovery gives back to the pool: ``amount × paid ÷ outstanding_at_default`` (half up to
    the cent), and never more than the pool has still to get back (``paid − returned``)."""
    if outstanding_at_default <= 0 or paid <= 0:
        return ZERO
    share = quantize(amount * paid / outstanding_at_default)
    return max(ZERO, min(share, amount, paid - returned))


def recovery_record(*, by: User, loan_id: int, date: dt.date | str | None = None,
                    amount: Decimal | str | None = None) -> Recovery:
    """Money the bank recovered after compensation; the pool's share flows back to this year's risk
    budget of the program that paid (the borrower's county). The date: not before the default, not
    in the future. Locks: loan → budget, then the ledger entry, the recovery row, the loan event."""
    errors = Errors()
    on = parse_date(errors, "date", date)
    amount = parse_money(errors, "amount", amount)
    errors.raise_if_any()
    _no_later_than_today(on, "date", _("回收日"))
    with transaction.atomic():
        loan = _locked_bank_loan(by, loan_id)
        if loan.status != LoanStatus.COMPENSATED:
            raise Conflict(_("贷款当前状态为「%(status)s」，风险补偿拨付完成后才能登记追偿回收")
                           % {"status": loan.get_status_display()}, code="invalid_state")
        earliest = loan.defaulted_on or loan.start_date
        if on < earliest:
            raise Invalid(_("回收日不能早于违约日（%(day)s）") % {"day": earliest.isoformat()}, field="date")
        claim = loan.risk_claim
        application = claim.application
        totals = loan.recoveries.aggregate(amount=Sum("amount"), returned=Sum("pool_share"))
        recovered = totals["amount"] or ZERO
        base = loan.outstanding_at_default or ZERO
        if recovered + amount > base:
            raise Invalid(_("累计回收 %(total)s 将超过违约时余额 %(o)s")
                          % {"total": format_money(recovered + amount), "o": format_money(base)}, field="amount")
        budget = (
            Budget.objects.select_for_update()
            .filter(program_id=application.program_id, year=timezone.localdate().year)
            .first()
        )
        if budget is None:
            raise Conflict(_("本年度风险补偿资金池预算尚未设立，无法入账回收款"), code="no_budget")
        paid = ledger.application_balances(application.pk)["paid"]
        pool_share = pool_share_of(amount=amount, paid=paid, outstanding_at_default=base,
                                   returned=totals["returned"] or ZERO)
        if pool_share > 0:
            ledger.post(budget=budget, kind=EntryKind.RECOVERY, amount=pool_share, by=by,
                        application=application, booked_on=on if on.year == budget.year else None,
                        memo=_("贷款 %(contract)s 追偿回收分回") % {"contract": loan.contract_no})
        recovery = record_recovery(loan, date=on, amount=amount, pool_share=pool_share)
        weights = share_recovery(recovery)  # the funders' parts of pool_share (pledges.pool_shares)
        # the weights the parts were split by, chained: verify_audit recomputes each part (pool_shares.split_findings)
        _event(loan, "recovery", by, date=on.isoformat(), amount=str(amount), pool_share=str(pool_share),
               **({"recovery": recovery.pk, "weights": weights} if weights else {}))
    return recovery


def loan_cancel(*, by: User, loan_id: int, reason: str) -> PledgeLoan:
    """Cancel a registration made in error (fin_center or admin of the loan's region); rights released.

    A defaulted loan can be cancelled once its risk-compensation claim is rejected or withdrawn."""
    if not by.has_role(Role.FIN_CENTER, Role.ADMIN):
        raise NotAllowed(_("只有金融服务中心或管理员可以撤销贷款登记"))
    errors = Errors()
    reason = parse_text(errors, "reason", reason, max_length=500)
    errors.raise_if_any()
    if not reason:
        raise Invalid(_("请说明撤销原因"), field="reason")
    with transaction.atomic():
        loan = loans_visible_to(by).select_for_update(of=("self",)).filter(pk=loan_id).first()
        if loan is None:
            raise NotFound(_("贷款不存在"))
        _ensure_can(loan, loan.cancel, _("撤销登记"))
        before = loan.status
        loan.cancel()
        loan.save()
        after_cancel(loan)  # a covered loan leaves the loss ratio's base: pool locked, warned if it crosses
        released = _release_rights(loan)
        _event(loan, "cancelled", by, from_status=before, reason=reason, released=released)
    return loan
