"""The audit trail of pledge loans: the only functions that write ``LoanEvent``, ``Repayment`` and
``Recovery`` rows.

Each row becomes the next link of a tamper-evident hash chain (``core.audit_chain``), sealed right
after the transaction of the change it records commits (``core.audit_seal``); call them inside that
transaction, after the business rows are locked (application → loan → budget), in
``core.audit_chain.LOCK_ORDER`` (ledger entry, repayment, recovery, then loan event: the order tests
check where rows are linked at once).
"""

from django.utils.translation import gettext_lazy as _

from core.audit_chain import Chain, register, stream_by
from core.audit_seal import append
from funding.models import AuditChainHead

from .interest import lpr_month
from .lpr_lock import rate_as_registered
from .models import LoanEvent, PledgeLoan, Recovery, Repayment, RiskPoolChange

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
CHAIN_FIELDS = ("loan_id", "kind", "from_status", "to_status", "detail", "by_id", "at")
# One stream per bank: two banks' writes never wait on each other's chain heads.
BY_BANK = stream_by("bank", loan="bank_id")
CHAIN = register(Chain(name="loan_event", label=_("贷款事件记录"), model=LoanEvent, head_model=AuditChainHead,
                       fields=CHAIN_FIELDS, stream_of=BY_BANK))


# The business fields of the money rows (same warning: a change needs a re-sealing migration).
REPAYMENT_FIELDS = ("loan_id", "date", "principal", "interest", "created_at")
RECOVERY_FIELDS = ("loan_id", "date", "amount", "pool_share", "created_at")
REPAYMENT_CHAIN = register(Chain(name="repayment", label=_("还款记录"), model=Repayment,
                                 head_model=AuditChainHead, fields=REPAYMENT_FIELDS, stream_of=BY_BANK))
RECOVERY_CHAIN = register(Chain(name="recovery", label=_("追偿回收记录"), model=Recovery,
                                head_model=AuditChainHead, fields=RECOVERY_FIELDS, stream_of=BY_BANK))

# A pool's settings as the admin left them (pledges.pool_setup); one stream: they change a few times a year.
POOL_CHANGE_CHAIN = register(Chain(name="risk_pool_change", label=_("资金池设置记录"), model=RiskPoolChange,
                                   head_model=AuditChainHead, fields=("pool_id", "state", "by_id", "at")))


def record_repayment(loan: PledgeLoan, *, date, principal, interest) -> Repayment:
    return append(REPAYMENT_CHAIN, loan=loan, date=date, principal=principal, interest=interest)


def record_recovery(loan: PledgeLoan, *, date, amount, pool_share) -> Recovery:
    return append(RECOVERY_CHAIN, loan=loan, date=date, amount=amount, pool_share=pool_share)


def registered_facts(loan: PledgeLoan, rights, coverage: str) -> dict:
    """What the chained ``registered`` event records besides the principal and the rights' numbers:
    the loan's other facts a subsidy or a compensation is computed from (rate, dates, mixed
    collateral, the insured flag, each right's valuation), the coverage decision (the pool or None,
    and why: ``pledges.pool.COVERED`` …) and the one-year LPR the loan will be judged by as the
    admin's table holds it now (None: the month is not in the table yet). ``pledges.verify``
    compares the loan row, its rights and the LPR table with these."""
    lpr = rate_as_registered(lpr_month(loan.start_date))  # under the month's lock (pledges.lpr_lock)
    return {
        "annual_rate": str(loan.annual_rate),
        "start_date": loan.start_date.isoformat(),
        "maturity_date": loan.maturity_date.isoformat(),
        "collateral_total": None if loan.collateral_total is None else str(loan.collateral_total),
        "insured_or_guaranteed": bool(loan.insured_or_guaranteed),
        "valuations": [[str(right.kind), right.number, str(right.valuation)] for right in rights],
        "risk_pool": loan.risk_pool_id,
        "coverage": coverage,
        "lpr": None if lpr is None else str(lpr),
    }


def record_loan_event(loan: PledgeLoan, *, kind: str, by=None, from_status: str = "", to_status: str = "",
                      detail: dict | None = None) -> LoanEvent:
    return append(
        CHAIN, loan=loan, kind=str(kind), from_status=str(from_status or ""), to_status=str(to_status or ""),
        detail=detail or {}, by=by if getattr(by, "pk", None) else None,
    )


def record_pool_change(pool_id: int, *, state: dict, by=None) -> RiskPoolChange:
    return append(POOL_CHANGE_CHAIN, pool_id=pool_id, state=state, by=by if getattr(by, "pk", None) else None)
