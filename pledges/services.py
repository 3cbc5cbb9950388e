"""Every write on pledge loans: one function per use case, one transaction each.

Lock order, as everywhere (docs/architecture.md): business rows first — application → loan →
budget — then the audit chain heads in ``core.audit_chain.LOCK_ORDER`` (ledger entry,
repayment, recovery, loan event: so the loan event is always written last). ``loan_default``
locks the loan before the application it creates, which no one else can see until it commits.
Field rules live in ``validation``; idempotency of the bank API lives in ``idempotency``.
"""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applicants.models import Applicant, Bank, IPAsset, Role, User
from core.errors import Conflict, Invalid, NotAllowed, NotFound
from core.money import ZERO, format_money, quantize
from funding import ledger
from funding import services as funding_services
from funding.models import Budget, EntryKind, Program
from funding.workflow import ProgramCode, Transition

from .audit import record_loan_event, record_recovery, record_repayment
from .models import LoanEvent, LoanStatus, PledgedRight, PledgeLoan, Recovery, Repayment
from .selectors import loans_visible_to
from .validation import (
    MAX_TERM_YEARS,
    Errors,
    RightData,
    parse_credit_code,
    parse_date,
    parse_money,
    parse_rate,
    parse_registration_no,
    parse_rights,
    parse_text,
    years_after,
)

# --- helpers -----------------------------------------------------------------------------

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


def _live_pledges_of(rights: list[RightData]) -> list[str]:
    """Numbers among ``rights`` already under a live pledge (one query)."""
    query = Q()
    for right in rights:
        query |= Q(kind=right.kind, number=right.number)
    taken = PledgedRight.objects.filter(query, live=True).values_list("number", flat=True)
    return sorted(set(taken))


def _no_later_than_today(on: dt.date, field: str, what: str) -> None:
    today = timezone.localdate()
    if on > today:
        raise Invalid(_("%(what)s %(on)s 晚于今天（%(today)s），不能登记未来的日期")
                      % {"what": what, "on": on.isoformat(), "today": today.isoformat()}, field=field)


def _owned_by_others(rights: list[RightData], borrower: Applicant) -> list[tuple[RightData, int]]:
    """(right, asset id) for each right; Conflict when a registered right belongs to someone else."""
    query = Q()
    for right in rights:
        query |= Q(kind=right.kind, number=right.number)
    assets = {(kind, number): (pk, owner) for kind, number, pk, owner
              in IPAsset.objects.filter(query).values_list("kind", "number", "pk", "owner_id")}
    foreign = [r.number for r in rights if (r.kind, r.number) in assets and assets[(r.kind, r.number)][1] != borrower.pk]
    if foreign:
        raise Conflict(_("%(numbers)s 已登记的权利人不是借款企业 %(name)s，不能为其质押")
                       % {"numbers": "、".join(foreign), "name": borrower.name}, code="right_owned_by_other")
    return [(r, assets.get((r.kind, r.number), (None, None))[0]) for r in rights]


def _already_pledged(numbers: list[str]) -> Conflict:
    return Conflict(
        _("%(numbers)s 已在其他有效质押贷款中质押，须先结清或撤销该贷款") % {"numbers": "、".join(numbers)},
        code="right_already_pledged",
    )


def _duplicate_contract(contract_no: str) -> Conflict:
    return Conflict(_("本行已登记合同编号为 %(no)s 的贷款") % {"no": contract_no}, code="duplicate_contract")


# --- registration ----------------------------------------------------------------------

def _clean_registration(data: dict) -> dict:
    """Every field's rule at once, so a bank sees all its errors in one 400."""
    errors = Errors()
    clean = {
        "contract_no": parse_text(errors, "contract_no", data.get("contract_no"), max_length=60, required=True,
                                  label=_("合同编号")),
        "borrower_name": parse_text(errors, "borrower_name", data.get("borrower_name"), max_length=100),
        "credit_code": parse_credit_code(errors, "borrower_credit_code", data.get("borrower_credit_code")),
        "principal": parse_money(errors, "principal", data.get("principal")),
        "annual_rate": parse_rate(errors, "annual_rate", data.get("annual_rate")),
        "start_date": parse_date(errors, "start_date", data.get("start_date")),
        "maturity_date": parse_date(errors, "maturity_date", data.get("maturity_date")),
        "registration_no": parse_registration_no(errors, "pledge_registration_no", data.get("pledge_registration_no")),
        "rights": parse_rights(errors, "rights", data.get("rights")),
    }
    start, maturity = clean["start_date"], clean["maturity_date"]
    if start and maturity and maturity <= start:
        errors.add("maturity_date", _("到期日应晚于放款日（%(start)s）") % {"start": start})
    elif start and maturity and maturity > years_after(start, MAX_TERM_YEARS):
        errors.add("maturity_date", _("贷款期限最长 %(n)d 年：到期日不能晚于 %(last)s")
                   % {"n": MAX_TERM_YEARS, "last": years_after(start, MAX_TERM_YEARS).isoformat()})
    errors.raise_if_any()
    return clean


def _borrower(credit_code: str, name: str, bank: Bank) -> Applicant:
    borrower = Applicant.objects.filter(credit_code=credit_code).first()
    if borrower is not None:
        return borrower
    if not name:
        raise Invalid(_("统一社会信用代码 %(code)s 尚未登记，请同时提供企业名称") % {"code": credit_code},
                      field="borrower_name")
    borrower, _created = Applicant.objects.get_or_create(
        credit_code=credit_code,
        defaults={"name": name, "region_id": bank.region_id, "kind": Applicant.Kind.ENTERPRISE},
    )
    return borrower


def loan_register(*, by: User, contract_no: str | None = None, borrower_credit_code: str | None = None,
                  principal: Decimal | str | None = None, annual_rate: Decimal | str | None = None,
                  start_date: dt.date | str | None = None, maturity_date: dt.date | str | None = None,
                  pledge_registration_no: str | None = None, rights: list[dict] | None = None,
                  borrower_name: str | None = None) -> PledgeLoan:
    """Register a bank's pledge loan with its rights; the rights become pledged (409 if one already is).

    Values arrive typed from the input serializer (or as the strings a bank sends); the rules of
    each field (check digits, windows, term) are applied here, where every caller meets them.
    """
    bank = _bank_of(by)
    clean = _clean_registration({
        "contract_no": contract_no, "borrower_credit_code": borrower_credit_code, "borrower_name": borrower_name,
        "principal": principal, "annual_rate": annual_rate, "start_date": start_date, "maturity_date": maturity_date,
        "pledge_registration_no": pledge_registration_no, "rights": rights,
    })
    rights: list[RightData] = clean["rights"]
    with transaction.atomic():
        borrower = _borrower(clean["credit_code"], clean["borrower_name"], bank)
        if PledgeLoan.objects.filter(bank=bank, contract_no=clean["contract_no"]).exists():
            raise _duplicate_contract(clean["contract_no"])
        owned = _owned_by_others(rights, borrower)
        taken = _live_pledges_of(rights)
        if taken:
            raise _already_pledged(taken)
        try:
            with transaction.atomic():
                loan = PledgeLoan.objects.create(
                    bank=bank, borrower=borrower, contract_no=clean["contract_no"], principal=clean["principal"],
                    annual_rate=clean["annual_rate"], start_date=clean["start_date"],
                    maturity_date=clean["maturity_date"], pledge_registration_no=clean["registration_no"],
                    outstanding_principal=clean["principal"], created_by=by,
                )
        except IntegrityError:
            raise _duplicate_contract(clean["contract_no"]) from None
        try:
            with transaction.atomic():
                PledgedRight.objects.bulk_create([
                    PledgedRight(loan=loan, kind=r.kind, number=r.number, valuation=r.valuation, ip_asset_id=asset)
                    for r, asset in owned
                ])
        except IntegrityError:
            # A concurrent registration won the partial unique index for one of the rights.
            raise _already_pledged(_live_pledges_of(rights) or [r.number for r in rights]) from None
        _event(loan, "registered", by, principal=str(loan.principal), rights=[r.number for r in rights])
    return loan


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
        application = funding_services.application_create(
            by=by, program_code=ProgramCode.RISK_COMPENSATION, applicant=loan.borrower, claimant_bank=loan.bank,
            title=_("%(bank)s %(contract)s 违约风险补偿") % {"bank": loan.bank.name, "contract": loan.contract_no},
            details={"loan": loan},  # the amount is the rule's (RiskCompensationHandler.rule_amount)
        )
        funding_services.application_transition(application_id=application.pk, name=Transition.SUBMIT, by=by)
        # Last: the transition-log chain head (taken by the submit above) comes before the loan-event head.
        _event(loan, "defaulted", by, from_status=before, date=on.isoformat(), outstanding=str(outstanding))
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
        _event(loan, "recovery", by, date=on.isoformat(), amount=str(amount), pool_share=str(pool_share))
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
        released = _release_rights(loan)
        _event(loan, "cancelled", by, from_status=before, reason=reason, released=released)
    return loan


def refuse_right_pledged_for_another(kind: str, number: str, owner) -> None:
    """A guard of ``applicants.services.ip_asset_register``: a right under a live pledge for one
    borrower cannot then be registered as another enterprise's (409 ``right_pledged_by_other``)."""
    pledged_for = (PledgedRight.objects.filter(kind=kind, number=number, live=True)
                   .values_list("loan__borrower_id", "loan__contract_no").first())
    if pledged_for is not None and pledged_for[0] != owner.pk:
        raise Conflict(_("%(n)s 正在另一借款企业的有效质押贷款（合同 %(c)s）中质押，不能登记为本企业所有")
                       % {"n": number, "c": pledged_for[1]}, code="right_pledged_by_other")
