"""The audit trail of funding: the only code that writes ``TransitionLog`` and ``ProgramRuleChange`` rows.

Called inside the transaction of the change it records. Each row is the next link of a
tamper-evident hash chain (``core.audit_chain``), so nothing else may create these rows;
``manage.py verify_audit`` recomputes the chains.
"""

import json
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from core.audit_chain import Chain, register, register_check, stream_by
from core.audit_seal import append
from core.money import CENT, format_money, quantize

from . import counts
from .models import Application, AuditChainHead, Program, ProgramRuleChange, Review, RuleVersion, TransitionLog

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
# ``amount``, ``voucher_no`` and ``detail`` came later: hashed when present, so older rows keep their hashes
# (and a review's ``item_scores``, likewise).
CHAIN_FIELDS = ("application_id", "transition", "from_state", "to_state", "by_id", "at", "comment")
# One stream per program (so per region): unrelated regions never wait on each other's chain heads.
BY_PROGRAM = stream_by("program", application="program_id", program="pk", budget="program_id")
CHAIN = register(Chain(name="transition_log", label=_("申请流转记录"), model=TransitionLog,
                       head_model=AuditChainHead, fields=CHAIN_FIELDS, optional=("amount", "voucher_no", "detail"),
                       stream_of=BY_PROGRAM))
REVIEW_CHAIN = register(Chain(name="review", label=_("专家评审记录"), model=Review, head_model=AuditChainHead,
                              fields=("application_id", "expert_id", "round", "score", "recommended_amount",
                                      "comment"), optional=("item_scores",), stream_of=BY_PROGRAM))
VERSION_CHAIN = register(Chain(name="rule_version", label=_("项目规则版本"), model=RuleVersion,
                               head_model=AuditChainHead,
                               fields=("program_id", "number", "effective_from", "effective_until", "ends",
                                       "basis_title", "basis_doc_no", "basis_article", "basis_url", "rules",
                                       "reason", "by_id", "at"), stream_of=BY_PROGRAM))
RULE_CHAIN = register(Chain(name="program_rule", label=_("项目规则变更记录"), model=ProgramRuleChange,
                            head_model=AuditChainHead,
                            fields=("program_id", "field", "old_value", "new_value", "by_id", "at", "reason"),
                            stream_of=BY_PROGRAM))


def case_findings() -> list[str]:
    """Each case whose row disagrees with its chained history: its state with the last transition,
    its request and frozen rules with the last submission, its approved amount with the approval, the amount its notice proposes with the publish row."""
    def last(name: str | None, field: str):
        rows = TransitionLog.objects.filter(application_id=OuterRef("pk"))
        if name:
            rows = rows.filter(transition=name)
        return Subquery(rows.order_by("-id").values(field)[:1])

    rows = (
        Application.objects.exclude(state="draft")
        .annotate(last_state=last(None, "to_state"), submit_amount=last("submit", "amount"),
                  submit_detail=last("submit", "detail"), approve_amount=last("approve", "amount"),
                  publish_amount=last("publish", "amount"))
        .values_list("pk", "state", "requested_amount", "frozen_rules", "approved_amount", "last_state",
                     "submit_amount", "submit_detail", "approve_amount", "proposed_amount", "publish_amount",
                     "rule_version_id", "rule_version__rules")
        .order_by("pk")
    )
    findings: list[str] = []
    for (pk, state, requested, rules, approved, last_state, submit_amount, submit_detail, approve_amount,
         proposed, publish_amount, version_id, version_rules) in rows.iterator(chunk_size=5000):
        if proposed is not None and (publish_amount is None or quantize(Decimal(publish_amount)) != proposed):
            findings.append(_("申请 #%(id)s：公示的拟资助金额 %(p)s 与公示记录不符，被绕过流程改动")
                            % {"id": pk, "p": format_money(proposed)})
        if last_state is not None and last_state != state:
            findings.append(_("申请 #%(id)s：状态为 %(s)s，而最后一条流转记录为 %(l)s，状态被绕过流程改动")
                            % {"id": pk, "s": state, "l": last_state})
        # A returned case may be edited before it is submitted again (a new submit row): its request
        # answers to the last submission only once it is submitted.
        if submit_amount is not None and state != "returned" and quantize(Decimal(submit_amount)) != requested:
            findings.append(_("申请 #%(id)s：申请金额 %(r)s 与提交记录的 %(s)s 不符，被绕过流程改动")
                            % {"id": pk, "r": format_money(requested), "s": format_money(Decimal(submit_amount))})
        if isinstance(submit_detail, str):  # some backends hand back the JSON text of a subquery
            submit_detail = json.loads(submit_detail)
        if isinstance(submit_detail, dict) and "rules" in submit_detail and submit_detail["rules"] != rules:
            findings.append(_("申请 #%(id)s：冻结的项目规则与提交记录不符，被绕过流程改动") % {"id": pk})
        if isinstance(submit_detail, dict) and submit_detail.get("rule_version") != version_id \
                and ("rule_version" in submit_detail or version_id is not None):
            findings.append(_("申请 #%(id)s：所依据的规则版本与提交记录不符，被绕过流程改动") % {"id": pk})
        if isinstance(version_rules, str):
            version_rules = json.loads(version_rules)
        if version_id is not None and version_rules != rules:
            findings.append(_("申请 #%(id)s：冻结的项目规则与其规则版本不符，被绕过流程改动") % {"id": pk})
        if approve_amount is not None and approved is not None and state != "rejected" \
                and quantize(Decimal(approve_amount)) != approved:
            findings.append(_("申请 #%(id)s：批准金额 %(a)s 与批准记录的 %(r)s 不符，被绕过流程改动")
                            % {"id": pk, "a": format_money(approved), "r": format_money(Decimal(approve_amount))})
    return findings


register_check(case_findings)
register_check(counts.findings)  # a state (or a case) changed in SQL shows against the counters too


def record(application: Application, *, transition: str, from_state: str, to_state: str, by, comment: str = "",
           amount: Decimal | None = None, voucher_no: str | None = None, detail: dict | None = None
           ) -> TransitionLog:
    """Append the audit row of one state change (locks the chain head until the transaction ends)."""
    return append(
        CHAIN, application=application, transition=str(transition), from_state=str(from_state),
        to_state=str(to_state), by=by if getattr(by, "pk", None) else None, comment=comment or "",
        amount=None if amount is None else Decimal(amount).quantize(CENT), voucher_no=voucher_no or None,
        detail=detail or None,
    )


def record_review(application: Application, *, expert, round: int, score: int, recommended_amount: Decimal,
                  comment: str, item_scores: dict | None = None) -> Review:
    return append(REVIEW_CHAIN, application=application, expert=expert, round=round, score=score,
                  recommended_amount=Decimal(recommended_amount).quantize(CENT), comment=comment,
                  item_scores=item_scores or None)


def record_rule_change(program: Program, *, field: str, old, new, by, reason: str = "") -> ProgramRuleChange:
    return append(RULE_CHAIN, program=program, field=field, old_value=old, new_value=new,
                  by=by if getattr(by, "pk", None) else None, reason=reason[:200])
