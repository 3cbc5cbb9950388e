"""The audit trail of applications: the one function that writes ``TransitionLog`` rows.

Called inside the transaction of the state change it records. Each row is the next link of a
tamper-evident hash chain (``applicants.audit_chain``), so nothing else may create ``TransitionLog``
rows; ``manage.py verify_audit`` recomputes the chain.
"""

from django.utils.translation import gettext_lazy as _

from applicants.audit_chain import Chain, append, register

from .models import Application, AuditChainHead, TransitionLog

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
CHAIN_FIELDS = ("application_id", "transition", "from_state", "to_state", "by_id", "at", "comment")
CHAIN = register(Chain(name="transition_log", label=_("申请流转记录"), model=TransitionLog,
                       head_model=AuditChainHead, fields=CHAIN_FIELDS, optional=("amount", "voucher_no")))


def record(application: Application, *, transition: str, from_state: str, to_state: str, by, comment: str = "",
           ) -> TransitionLog:
    """Append the audit row of one state change (locks the chain head until the transaction ends)."""
    return append(
        CHAIN, application=application, transition=str(transition), from_state=str(from_state),
        to_state=str(to_state), by=by if getattr(by, "pk", None) else None, comment=comment or "",
    )
