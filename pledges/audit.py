"""The audit trail of pledge loans: the one function that writes ``LoanEvent`` rows.

Each row is the next link of a tamper-evident hash chain (``applicants.audit_chain``); call it
inside the transaction of the change it records. Within one transaction the transition-log head
is always taken before this one (``applicants.audit_chain.LOCK_ORDER``).
"""

from django.utils.translation import gettext_lazy as _

from applicants.audit_chain import Chain, append, register
from funding.models import AuditChainHead

from .models import LoanEvent, PledgeLoan

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
CHAIN_FIELDS = ("loan_id", "kind", "from_status", "to_status", "detail", "by_id", "at")
CHAIN = register(Chain(name="loan_event", label=_("贷款事件记录"), model=LoanEvent, head_model=AuditChainHead,
                       fields=CHAIN_FIELDS))


def record_loan_event(loan: PledgeLoan, *, kind: str, by=None, from_status: str = "", to_status: str = "",
                      detail: dict | None = None) -> LoanEvent:
    return append(
        CHAIN, loan=loan, kind=str(kind), from_status=str(from_status or ""), to_status=str(to_status or ""),
        detail=detail or {}, by=by if getattr(by, "pk", None) else None,
    )
