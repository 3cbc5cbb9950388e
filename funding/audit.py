"""The audit trail of funding: the only code that writes ``TransitionLog`` and ``ProgramRuleChange`` rows.

Called inside the transaction of the change it records. Each row is the next link of a
tamper-evident hash chain (``core.audit_chain``), so nothing else may create these rows;
``manage.py verify_audit`` recomputes the chains.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.audit_chain import Chain, append, register

from .models import Application, AuditChainHead, Program, ProgramRuleChange, TransitionLog

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
# ``amount``, ``voucher_no`` and ``detail`` came later: hashed when present, so older rows keep their hashes.
CHAIN_FIELDS = ("application_id", "transition", "from_state", "to_state", "by_id", "at", "comment")
CHAIN = register(Chain(name="transition_log", label=_("申请流转记录"), model=TransitionLog,
                       head_model=AuditChainHead, fields=CHAIN_FIELDS, optional=("amount", "voucher_no", "detail")))
RULE_CHAIN = register(Chain(name="program_rule", label=_("项目规则变更记录"), model=ProgramRuleChange,
                            head_model=AuditChainHead,
                            fields=("program_id", "field", "old_value", "new_value", "by_id", "at", "reason")))


def record(application: Application, *, transition: str, from_state: str, to_state: str, by, comment: str = "",
           amount: Decimal | None = None, voucher_no: str | None = None, detail: dict | None = None
           ) -> TransitionLog:
    """Append the audit row of one state change (locks the chain head until the transaction ends)."""
    return append(
        CHAIN, application=application, transition=str(transition), from_state=str(from_state),
        to_state=str(to_state), by=by if getattr(by, "pk", None) else None, comment=comment or "",
        amount=None if amount is None else Decimal(amount).quantize(Decimal("0.01")), voucher_no=voucher_no or None,
        detail=detail or None,
    )


def record_rule_change(program: Program, *, field: str, old, new, by, reason: str = "") -> ProgramRuleChange:
    return append(RULE_CHAIN, program=program, field=field, old_value=old, new_value=new,
                  by=by if getattr(by, "pk", None) else None, reason=reason[:200])
