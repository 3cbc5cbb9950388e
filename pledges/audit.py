"""The audit trail of pledge loans: the only functions that write ``LoanEvent``, ``Repayment`` and
``Recovery`` rows.

Each row is the next link of a tamper-evident hash chain (``core.audit_chain``); call them
inside the transaction of the change they record, after the business rows are locked (application →
loan → budget). Chain heads are taken in ``core.audit_chain.LOCK_ORDER``: transition log,
ledger entry, repayment, recovery, then loan event, so a service posts its ledger entry before the
recovery row and writes the loan event last.
"""

from django.utils.translation import gettext_lazy as _

from core.audit_chain import Chain, append, register
from funding.models import AuditChainHead

from .models import LoanEvent, PledgeLoan, Recovery, Repayment

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
CHAIN_FIELDS = ("loan_id", "kind", "from_status", "to_status", "detail", "by_id", "at")
CHAIN = register(Chain(name="loan_event", label=_("贷款事件记录"), model=LoanEvent, head_model=AuditChainHead,
                       fields=CHAIN_FIELDS))


# The business fields of the money rows (same warning: a change needs a re-sealing migration).
REPAYMENT_FIELDS = ("loan_id", "date", "principal", "interest", "created_at")
RECOVERY_FIELDS = ("loan_id", "date", "amount", "pool_share", "created_at")
REPAYMENT_CHAIN = register(Chain(name="repayment", label=_("还款记录"), model=Repayment,
                                 head_model=AuditChainHead, fields=REPAYMENT_FIELDS))
RECOVERY_CHAIN = register(Chain(name="recovery", label=_("追偿回收记录"), model=Recovery,
                                head_model=AuditChainHead, fields=RECOVERY_FIELDS))


def record_repayment(loan: PledgeLoan, *, date, principal, interest) -> Repayment:
    return append(REPAYMENT_CHAIN, loan=loan, date=date, principal=principal, interest=interest)


def record_recovery(loan: PledgeLoan, *, date, amount, pool_share) -> Recovery:
    return append(RECOVERY_CHAIN, loan=loan, date=date, amount=amount, pool_share=pool_share)


def record_loan_event(loan: PledgeLoan, *, kind: str, by=None, from_status: str = "", to_status: str = "",
                      detail: dict | None = None) -> LoanEvent:
    return append(
        CHAIN, loan=loan, kind=str(kind), from_status=str(from_status or ""), to_status=str(to_status or ""),
        detail=detail or {}, by=by if getattr(by, "pk", None) else None,
    )
