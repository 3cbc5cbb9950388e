"""Pages for banks without an IT integration: the same services as the API (``api/views/pledges.py``).

Every write takes two POSTs. The first checks the form, runs the service in a rolled-back
transaction (``views_support.dry_run``: its errors on the fields, nothing stored) and renders a
confirmation that repeats the amounts in figures and in capitals, with what was typed in hidden
fields and a one-time token; the second (``confirmed=1``) runs the service once per token
(``views_support.submit_once``). A refusal shows the form again as typed, the error on its field.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.money import format_money, format_percent
from core.web import run_service

from . import selectors, services
from .forms_bank import ACTIONS, LoanRegisterForm, RightFormSet, offered, rights_of
from .interest import ip_share, share_text
from .models import PledgedRight
from .views import render_detail
from .views_support import (
    TOKEN_FIELD,
    Confirmation,
    Fact,
    bank_required,
    hidden_of,
    is_confirmed,
    new_token,
    submit_once,
    trial,
)

RIGHTS_PREFIX = "rights"
NEW_ROWS = 2  # empty rights rows of a new form


def confirm_page(request, confirmation: Confirmation, *, action_url: str, hidden: list, loan=None):
    return render(request, "pledges/confirm.html", {
        "confirmation": confirmation, "action_url": action_url, "hidden": hidden, "loan": loan,
        "token_field": TOKEN_FIELD, "token": new_token()})


def _replayed(request) -> None:
    messages.info(request, _("该表单已提交过，未重复办理"))


# --- 登记贷款 ---------------------------------------------------------------------------------

def _register_page(request, form, rights):
    return render(request, "pledges/loan_register.html", {"form": form, "rights": rights})


def _typed_rows(request) -> list[dict]:
    total = request.POST.get(f"{RIGHTS_PREFIX}-TOTAL_FORMS", "")
    count = min(int(total), RightFormSet.absolute_max) if total.isdigit() else 0
    return [{name: request.POST.get(f"{RIGHTS_PREFIX}-{i}-{name}", "") for name in ("kind", "number", "valuation")}
            for i in range(count)]


def _with_another_row(request):
    """「增加一项」: the form as typed, unchecked, with one more empty row."""
    form = LoanRegisterForm(initial={name: request.POST.get(name, "") for name in LoanRegisterForm.LOAN_FIELDS})
    rows = [*_typed_rows(request), {"kind": PledgedRight.Kind.PATENT}][:RightFormSet.absolute_max]
    return _register_page(request, form, RightFormSet(prefix=RIGHTS_PREFIX, initial=rows))


def _registration_hidden(form, rights: list[dict]) -> list[tuple[str, str]]:
    """The loan's fields as typed and the filled rights rows, renumbered, as a formset posts them."""
    hidden = hidden_of(form)
    hidden += [(f"{RIGHTS_PREFIX}-TOTAL_FORMS", str(len(rights))), (f"{RIGHTS_PREFIX}-INITIAL_FORMS", "0")]
    for i, right in enumerate(rights):
        hidden += [(f"{RIGHTS_PREFIX}-{i}-kind", right["kind"]), (f"{RIGHTS_PREFIX}-{i}-number", right["number"]),
                   (f"{RIGHTS_PREFIX}-{i}-valuation", str(right["valuation"]))]
    return hidden


def _peek_registration(loan) -> dict:
    """What the trial run stored, read before its rollback: the values as normalized by the service."""
    return {"borrower": loan.borrower.name, "credit_code": loan.borrower.credit_code,
            "registration_no": loan.pledge_registration_no,
            "rights": [(right.get_kind_display(), right.number, right.valuation) for right in loan.rights.all()],
            "ip_share": share_text(ip_share(loan))}


def _registration_confirmation(data: dict, seen: dict) -> Confirmation:
    facts = [
        Fact(_("合同编号"), text=data["contract_no"]),
        Fact(_("借款企业"), text=f"{seen['borrower']}（{seen['credit_code']}）"),
        Fact(_("贷款本金"), data["principal"]),
        Fact(_("年利率"), text=format_percent(data["annual_rate"])),
        Fact(_("贷款期限"), text=f"{data['start_date'].isoformat()} – {data['maturity_date'].isoformat()}"),
        Fact(_("质押登记号"), text=seen["registration_no"]),
    ]
    facts += [Fact(f"{kind} {number}", valuation) for kind, number, valuation in seen["rights"]]
    if len(seen["rights"]) > 1:
        facts.append(Fact(_("评估价值合计"), sum(valuation for _k, _n, valuation in seen["rights"])))
    if data.get("collateral_total") is not None:
        facts += [Fact(_("抵质押物总价值"), data["collateral_total"]), Fact(_("知识产权占比"), text=seen["ip_share"])]
    facts.append(Fact(_("有保险或担保"), text=_("是") if data.get("insured_or_guaranteed") else _("否")))
    return Confirmation(title=_("登记质押贷款"), facts=facts,
                        notes=[_("确认后所列权利即处于质押中，结清或撤销登记后释放")])


@bank_required
def loan_register(request):
    """登记贷款: the fields of ``POST /api/v1/pledges/``, then a confirmation, then the service."""
    if request.method != "POST":
        rows = [{"kind": PledgedRight.Kind.PATENT}] * NEW_ROWS
        return _register_page(request, LoanRegisterForm(), RightFormSet(prefix=RIGHTS_PREFIX, initial=rows))
    if "add_row" in request.POST:
        return _with_another_row(request)
    form = LoanRegisterForm(request.POST)
    formset = RightFormSet(request.POST, prefix=RIGHTS_PREFIX)
    if "edit" in request.POST or not (form.is_valid() & formset.is_valid()):
        return _register_page(request, form, formset)
    rights = rights_of(formset)
    data = {name: form.cleaned_data[name] for name in LoanRegisterForm.LOAN_FIELDS}

    def register():
        return services.loan_register(by=request.user, **data, rights=rights)

    if not is_confirmed(request):
        seen = trial(form, register, peek=_peek_registration)
        if seen is None:
            return _register_page(request, form, formset)
        return confirm_page(request, _registration_confirmation(data, seen), action_url=request.path,
                            hidden=_registration_hidden(form, rights))
    loan_id, replayed = submit_once(request, form, body={**data, "rights": rights}, call=lambda: register().pk)
    if loan_id is None:
        return _register_page(request, form, formset)
    if replayed:
        _replayed(request)
    else:
        messages.success(request, _("已登记贷款 %(contract)s") % {"contract": data["contract_no"]})
    return redirect("pledges:loan_detail", pk=loan_id)


# --- the actions of the detail page ----------------------------------------------------------

def _repayment(request, loan, d: dict):
    def call():
        return services.repayment_record(by=request.user, loan_id=loan.pk, date=d["date"], principal=d["principal"],
                                         interest=d["interest"])

    confirmation = Confirmation(title=str(ACTIONS["repayment"].title), facts=[
        Fact(_("还款日"), text=d["date"].isoformat()), Fact(_("归还本金"), d["principal"]),
        Fact(_("支付利息"), d["interest"]),
        Fact(_("还款后贷款余额"), loan.outstanding_principal - d["principal"])])
    done = _("已报送还款：本金 %(p)s，利息 %(i)s") % {"p": format_money(d["principal"]),
                                                  "i": format_money(d["interest"])}
    return call, None, confirmation, done


def _settle(request, loan, d: dict):
    def call():
        return services.loan_settle(by=request.user, loan_id=loan.pk, date=d["date"])

    on = d["date"] or timezone.localdate()
    numbers = "、".join(right.number for right in loan.rights.all() if right.live)
    confirmation = Confirmation(title=str(ACTIONS["settle"].title), style="success", facts=[
        Fact(_("结清日"), text=on.isoformat()), Fact(_("结清前贷款余额"), loan.outstanding_principal)],
        notes=[_("结清后贷款余额为 0，质押权利（%(numbers)s）释放，可再次质押") % {"numbers": numbers or "—"}])
    return call, None, confirmation, _("贷款已结清，质押权利已释放")


def _default(request, loan, d: dict):
    def call():
        return services.loan_default(by=request.user, loan_id=loan.pk, date=d["date"],
                                     outstanding_principal=d["outstanding_principal"])

    def peek(defaulted):
        return {"claim": selectors.risk_application_of(defaulted).requested_amount}

    confirmation = Confirmation(title=str(ACTIONS["default"].title), style="danger", facts=[
        Fact(_("违约日"), text=d["date"].isoformat()), Fact(_("违约时贷款余额"), d["outstanding_principal"])],
        notes=[_("确认后系统以本行为申请人提交风险补偿申请，由金融服务中心受理、财政局批准拨付")])
    return call, peek, confirmation, _("已登记违约，并已提交风险补偿申请")


def _recovery(request, loan, d: dict):
    def call():
        return services.recovery_record(by=request.user, loan_id=loan.pk, date=d["date"], amount=d["amount"])

    def peek(recovery):
        return {"pool_share": recovery.pool_share}

    confirmation = Confirmation(title=str(ACTIONS["recovery"].title), facts=[
        Fact(_("回收日"), text=d["date"].isoformat()), Fact(_("回收金额"), d["amount"])],
        notes=[_("按补偿时的分担比例计算的份额回流当年风险补偿资金池")])
    done = _("已登记追偿回收 %(x)s") % {"x": format_money(d["amount"])}
    return call, peek, confirmation, done


PLANS = {"repayment": _repayment, "settle": _settle, "default": _default, "recovery": _recovery}


def _back(request, loan, name: str, form):
    """The detail page with the form as typed and its errors; as messages when the loan's status no
    longer offers the action (a refused confirmation after someone else's change)."""
    if offered(loan, name):
        return render_detail(request, loan, {name: form})
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("pledges:loan_detail", pk=loan.pk)


def _action(request, pk: int, name: str):
    loan = run_service(request, lambda: selectors.loan_for(request.user, pk, full=True))
    action = ACTIONS[name]
    confirmed = is_confirmed(request)
    if not confirmed and not offered(loan, name):  # a confirmed post may be a double submit: replayed below
        messages.error(request, _("贷款当前状态为「%(status)s」，不能%(action)s")
                       % {"status": loan.get_status_display(), "action": action.title})
        return redirect("pledges:loan_detail", pk=loan.pk)
    form = action.form_class(request.POST, prefix=name)
    if "edit" in request.POST or not form.is_valid():
        return _back(request, loan, name, form)
    call, peek, confirmation, done = PLANS[name](request, loan, form.cleaned_data)
    if not confirmed:
        seen = trial(form, call, peek or (lambda result: {}))
        if seen is None:
            return render_detail(request, loan, {name: form})
        if "claim" in seen:
            confirmation.facts.append(Fact(_("风险补偿申请金额（按项目规则）"), seen["claim"]))
        if "pool_share" in seen:
            confirmation.facts.append(Fact(_("分回风险补偿资金池"), seen["pool_share"]))
        return confirm_page(request, confirmation, action_url=action.url(loan), hidden=hidden_of(form), loan=loan)
    body = {key: form.data.get(form.add_prefix(key), "") for key in form.fields}
    result, replayed = submit_once(request, form, body=body, call=lambda: call().pk)
    if result is None:
        return _back(request, loan, name, form)
    if replayed:
        _replayed(request)
    else:
        messages.success(request, done)
    return redirect("pledges:loan_detail", pk=loan.pk)


@require_POST
@bank_required
def loan_repayment(request, pk: int):
    return _action(request, pk, "repayment")


@require_POST
@bank_required
def loan_settle(request, pk: int):
    return _action(request, pk, "settle")


@require_POST
@bank_required
def loan_default(request, pk: int):
    return _action(request, pk, "default")


@require_POST
@bank_required
def loan_recovery(request, pk: int):
    return _action(request, pk, "recovery")
