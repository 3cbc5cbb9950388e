"""What a confirmation page repeats before a transition runs (``Step(confirm=True)``): the facts
(amounts shown in figures and in capitals), what will happen, and what the service will likely refuse.
Reads only, nothing locked: the transition computes and checks everything again under its locks."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import ZERO, format_money, plain_decimal

from . import bounds, integrity_pledge, ledger
from .models import TransitionLog
from .programs import handler_for
from .templatetags.funding_labels import GRADE_LABELS
from .workflow import State, Transition


@dataclass(frozen=True)
class Fact:
    """One line of a confirmation: a label and an amount (in figures and capitals) or a text."""

    label: str
    amount: Decimal | None = None
    text: str = ""


@dataclass
class Confirmation:
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what will happen
    warnings: list[str] = field(default_factory=list)  # what the service will likely refuse
    hidden: dict[str, str] = field(default_factory=dict)  # carried besides what was typed
    # Submission: the integrity pledge to accept (承诺书), and on a resubmission the 修改说明 asked for.
    pledge: list[str] = field(default_factory=list)
    pledge_title: str = ""
    pledge_version: str = ""
    asks_revision_note: bool = False
    revision_note: str = ""


def plain(amount: Decimal) -> str:
    return plain_decimal(amount, min_places=2)


def _approve(app, data: dict) -> Confirmation:
    asked = data.get("approved_amount")
    bound = bounds.preview(app)
    done = Confirmation()
    if asked is None:
        done.facts.append(Fact(_("批准金额"), bound.amount, _("按可批准上限，受限于：%(limit)s") % {"limit": bound.label}))
        done.hidden["expected_amount"] = plain(bound.amount)
        by_budget = bound.code == "budget_exhausted" and not handler_for(app.program.code).cap_by_budget_room
        if bound.amount <= 0 or by_budget:
            done.warnings.append(_("按当前上限不能批准（%(limit)s），确认后将被拒绝；可返回填写较低的批准金额")
                                 % {"limit": bound.label})
    else:
        done.facts.append(Fact(_("批准金额"), asked))
        done.facts.append(Fact(_("当前可批准上限"), bound.amount, bound.label))
        if asked > bound.amount:
            done.warnings.append(_("批准金额超过%(limit)s，确认后将被拒绝") % {"limit": bound.label})
    done.notes.append(_("确认后该金额从预算可用余额转为已承诺"))
    return done


def _disburse(app, data: dict) -> Confirmation:
    amount = data["amount"]
    done = Confirmation(facts=[
        Fact(_("拨付金额"), amount), Fact(_("凭证号"), text=data["voucher_no"]),
        Fact(_("拨付后累计已拨付"), app.disbursed_amount + amount),
        Fact(_("拨付后尚未拨付的批准金额"), max(ZERO, app.outstanding_amount - amount))])
    if amount > app.outstanding_amount:
        done.warnings.append(_("拨付金额超过未拨付的批准金额 %(left)s，确认后将被拒绝")
                             % {"left": format_money(app.outstanding_amount)})
    return done


def _release(app, data: dict) -> Confirmation:
    """Revoke, terminate: what is still committed goes back to the budget; what was paid stays paid."""
    committed = ledger.application_balances(app.pk)["committed"]
    done = Confirmation(facts=[Fact(_("释放回预算的未拨付承诺金额"), committed)])
    if app.disbursed_amount > 0:
        done.facts.append(Fact(_("已拨付金额（保留，不因本操作退回）"), app.disbursed_amount))
        done.notes.append(_("已拨付资金如需收回，请另行登记追回"))
    return done


def _decline(app, data: dict) -> Confirmation:
    """Reject, withdraw: the request stops counting; anything committed (none, before approval) is released."""
    committed = ledger.application_balances(app.pk)["committed"]
    done = Confirmation(facts=[Fact(_("申请金额"), app.requested_amount)])
    if committed > 0:
        done.facts.append(Fact(_("释放回预算的承诺金额"), committed))
    else:
        done.notes.append(_("尚无已承诺的资金，无需释放；申请金额不再占用本年度额度"))
    return done


def return_reason(app) -> str:
    """Why the case was last returned for revision (the comment of the last 退回补正), or ""."""
    return (TransitionLog.objects.filter(application=app, transition=Transition.RETURN_FOR_REVISION)
            .order_by("-id").values_list("comment", flat=True).first() or "")


def _submit(app, data: dict) -> Confirmation:
    done = Confirmation(facts=[Fact(_("申请金额"), app.requested_amount)],
                        notes=[_("提交后按提交时的项目规则审查")])
    lines = handler_for(app.program.code).explain(app)
    if lines:
        done.facts.append(Fact(_("计算方法"), text="\n".join(lines)))
    if app.case_no:
        done.facts.append(Fact(_("受理编号"), text=app.case_no))
    else:
        done.notes.append(_("提交后生成受理编号和受理回执，可打印申报书"))
    if app.state == State.RETURNED:
        done.facts.insert(0, Fact(_("退回理由"), text=return_reason(app) or "—"))
        done.asks_revision_note = True
        done.revision_note = data.get("comment") or ""
    done.pledge = integrity_pledge.paragraphs(app)
    done.pledge_title = integrity_pledge.title()
    done.pledge_version = integrity_pledge.VERSION
    return done


def _submit_completion(app, data: dict) -> Confirmation:
    done = Confirmation()
    if data.get("output_value") is not None:
        done.facts.append(Fact(_("实际产值"), data["output_value"]))
    for key, label in (("jobs", _("实际新增就业")), ("patents_implemented", _("实施专利数"))):
        if data.get(key) is not None:
            done.facts.append(Fact(label, text=str(data[key])))
    done.facts.append(Fact(_("验收通过后可拨付的余款"), app.outstanding_amount))
    return done


def _pass_completion(app, data: dict) -> Confirmation:
    return Confirmation(facts=[Fact(_("验收等级"), text=str(GRADE_LABELS.get(data.get("grade"), "—"))),
                               Fact(_("验收通过后可拨付的余款"), app.outstanding_amount)])


CONFIRMATIONS = {
    Transition.SUBMIT: _submit, Transition.WITHDRAW: _decline, Transition.REJECT: _decline,
    Transition.APPROVE: _approve, Transition.DISBURSE: _disburse, Transition.REVOKE: _release,
    Transition.TERMINATE: _release, Transition.SUBMIT_COMPLETION: _submit_completion,
    Transition.PASS_COMPLETION: _pass_completion,
}


DANGEROUS = frozenset({Transition.REJECT, Transition.REVOKE, Transition.TERMINATE, Transition.WITHDRAW})


def confirmation_of(app, name: str, data: dict) -> Confirmation:
    """The confirmation of transition ``name`` with the cleaned page form ``data``."""
    confirmation = CONFIRMATIONS.get(name, lambda app, data: Confirmation())(app, data)
    if data.get("comment") and not confirmation.asks_revision_note:
        confirmation.facts.append(Fact(_("意见"), text=data["comment"]))
    return confirmation
