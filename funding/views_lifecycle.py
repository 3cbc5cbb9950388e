"""Pages of the steps after approval, each for the role that takes it.

- The confirmation (``transition_confirmation``, from ``views.application_transition``): a transition
  whose ``Step`` has ``confirm=True`` does not run on the first POST; the page repeats the action,
  the case and the amount involved (``funding.confirmations``), in figures and in Chinese capitals,
  and carries what was typed in hidden fields to the POST with ``confirmed=1``.
- 追回 (``clawback_new``): finance of the case's region, with a confirmation (with fraud, the bar's end).
- 公示异议 (``objection_resolve``): the intake role upholds or dismisses an objection, with a confirmation.
- 失信 (``applicant_standing``, ``bar_lift``): staff see an applicant's bars on a funding page (the
  applicants app may not import funding); the fund administrator lifts one with a reason.
- What the case detail page shows of all this (``detail_extras``, ``action_values``).

A first POST only reads; every write goes through a service (``funding.services``,
``funding.clawbacks``, ``funding.objections``), which checks everything again under its locks.
"""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applicants import selectors as applicant_selectors
from applicants.errors import NotAllowed, NotFound
from applicants.models import Role
from core.money import format_money
from core.web import role_required, run_form_service, run_service

from . import bounds, clawbacks, objections, selectors, services
from .conditions import COMPLETION_REPORT, completion_report_attached, paid_in_tranches
from .confirmations import DANGEROUS, Confirmation, Fact, confirmation_of, plain
from .forms import BarLiftForm, ClawbackForm, ObjectionResolveForm, TransitionForm
from .tranches import payable_now
from .workflow import CLAIMANT, FINANCE, ProgramCode, State, Transition, actor_kinds, may_take

TRANSITION_INPUTS = tuple(TransitionForm.base_fields)
OBJECTION_INPUTS = ("objection", "decision", "comment")
CLAWBACK_INPUTS = tuple(ClawbackForm.base_fields)
# Inputs a transition cannot go without (the service would refuse it): asked before confirming.
REQUIRED_INPUTS = {Transition.DISBURSE: ("amount", "voucher_no"), Transition.PASS_COMPLETION: ("grade",)}


MULTIPLE_INPUTS = ("experts",)  # checkboxes: every ticked value, joined by commas


def typed_inputs(data, names) -> dict[str, str]:
    """What was typed into a form (non-empty values only): carried to the confirmation or put back."""
    typed = {name: data.get(name) for name in names if data.get(name) not in (None, "")}
    for name in MULTIPLE_INPUTS:
        if name in typed and hasattr(data, "getlist"):
            typed[name] = ",".join(value for value in data.getlist(name) if value)
    return typed


def typed_from(data, action: str = "") -> dict:
    """What a refused POST or a 返回修改 link puts back into the detail page's forms."""
    return {"action": action or data.get("action", ""), "objection": data.get("objection", ""),
            "values": typed_inputs(data, TRANSITION_INPUTS + ("decision",))}


def _back(url: str, anchor: str, query: dict) -> str:
    return f"{url}?{urlencode(query)}#{anchor}" if query else f"{url}#{anchor}"


def app_or_404(request, pk: int):
    try:
        return selectors.application_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def confirm_page(request, *, title: str, action_url: str, hidden: dict, back_url: str,
                  confirmation: Confirmation, application=None, applicant=None, style: str = "primary"):
    return render(request, "funding/confirm.html", {
        "title": title, "action_url": action_url, "hidden": sorted({**hidden, **confirmation.hidden}.items()),
        "back_url": back_url, "confirmation": confirmation, "application": application, "applicant": applicant,
        "style": style})


def transition_confirmation(request, app, name: str, form: TransitionForm):
    """The confirmation page, or None (with the reason as a message) when the transition cannot be
    taken as typed; 403 for a role that may not take it."""
    data = form.cleaned_data
    missing = [str(form.fields[key].label) for key in REQUIRED_INPUTS.get(name, ()) if data.get(key) in (None, "")]
    if missing:
        messages.error(request, _("请填写：%(fields)s") % {"fields": "、".join(missing)})
        return None
    checked = run_service(request, lambda: services.check_transition(
        application=app, name=name, by=request.user, comment=data["comment"]) or True)
    if checked is None:
        return None
    confirmation = confirmation_of(app, name, data)
    typed = typed_inputs(request.POST, TRANSITION_INPUTS)
    detail = reverse("funding:detail", args=[app.pk])
    return confirm_page(request, title=str(Transition(name).label), application=app,
                         action_url=reverse("funding:transition", args=[app.pk, name]), hidden=typed,
                         back_url=_back(detail, f"action-{name}", {"action": name, **typed}),
                         confirmation=confirmation, style="danger" if name in DANGEROUS else "primary")


def approval_moved(request, app, name: str, data: dict) -> bool:
    """An approval without a typed amount commits the bound of its own moment: when that is no longer
    the amount the confirmation repeated, the page asks again rather than commit another amount."""
    expected = request.POST.get("expected_amount")
    if name != Transition.APPROVE or data.get("approved_amount") is not None or not expected:
        return False
    now = bounds.preview(app).amount
    try:
        if Decimal(expected) == now:
            return False
    except InvalidOperation:
        pass
    messages.warning(request, _("可批准金额已变为 %(x)s，请再次确认") % {"x": format_money(now)})
    return True


# --- the detail page's parts ------------------------------------------------------------------

def action_values(app, name: str, typed: dict) -> dict:
    """The values an action form of the detail page shows: its defaults, then what was typed."""
    values = {}
    if name == Transition.DISBURSE:  # what may be paid now (the first tranche before 验收), paid today
        values = {"amount": plain(payable_now(app).amount), "date": timezone.localdate().isoformat()}
    if typed.get("action") == name:
        values.update(typed["values"])
    return values


def _or_none(call):
    try:
        return call()
    except NotAllowed:
        return None


def detail_extras(request, app, typed: dict) -> dict:
    user = request.user
    kinds = actor_kinds(app, user)
    left = app.disbursed_amount - app.clawed_back_amount
    sees_applicants = user.has_role(*selectors.STAFF_WITH_REGION)
    completion_missing = (CLAIMANT in kinds and app.state == State.APPROVED and paid_in_tranches(app)
                          and not completion_report_attached(app))
    return {
        "clawbacks": _or_none(lambda: list(selectors.clawbacks_of(user, app))),
        "can_clawback": FINANCE in kinds and left > 0,
        "objections": _or_none(lambda: list(selectors.objections_of(user, app))),
        "can_resolve": may_take(Transition.UPHOLD_OBJECTION, app, user),
        "typed_objection": str(typed.get("objection", "")),
        "typed_values": typed.get("values", {}),
        "bar": clawbacks.active_bar(app.applicant_id, app.program.region_id) if sees_applicants else None,
        "sees_applicants": sees_applicants,
        "completion_report": COMPLETION_REPORT,
        "completion_report_missing": completion_missing,
        "outcomes_required": app.program.code == ProgramCode.INDUSTRIALIZATION,
    }


# --- 追回 ---------------------------------------------------------------------------------------

@login_required
def clawback_new(request, pk: int):
    """Finance of the case's region records money recovered from what was paid (confirmed first)."""
    app = app_or_404(request, pk)
    if FINANCE not in actor_kinds(app, request.user):
        raise PermissionDenied(_("只有本地区财政局可以登记追回"))
    left = app.disbursed_amount - app.clawed_back_amount
    initial = {"amount": left if left > 0 else None, "date": timezone.localdate(),
               **typed_inputs(request.GET, CLAWBACK_INPUTS)}
    form = ClawbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("confirmed") != "1":
            return _clawback_confirmation(request, app, d, left)
        done = run_form_service(form, lambda: clawbacks.clawback_record(
            by=request.user, application_id=app.pk, amount=d["amount"], date=d["date"], voucher_no=d["voucher_no"],
            reason=d["reason"], fraud=d["fraud"]))
        if done is not None:
            messages.success(request, _("已登记追回 %(x)s") % {"x": format_money(done.amount)})
            return redirect("funding:detail", pk=app.pk)
    return render(request, "funding/clawback_form.html", {"application": app, "form": form, "left": left,
                                                          "ban_years": app.rules.ban_years})


def _clawback_confirmation(request, app, d: dict, left: Decimal):
    done = Confirmation(facts=[
        Fact(_("追回金额"), d["amount"]), Fact(_("追回日期"), text=d["date"].isoformat()),
        Fact(_("凭证号"), text=d["voucher_no"]), Fact(_("追回原因"), text=d["reason"]),
        Fact(_("追回后累计已追回"), app.clawed_back_amount + d["amount"])])
    done.notes.append(_("追回的资金回到该项目拨付所用的 %(year)s 年度预算可用余额") % {"year": app.fiscal_year})
    if d["amount"] > left:
        done.warnings.append(_("追回金额超过已拨付且未追回的 %(left)s，确认后将被拒绝") % {"left": format_money(left)})
    if d["fraud"]:
        until = clawbacks.bar_end(app, d["date"])
        if until is None:
            done.notes.append(_("本项目规则未设失信限制年限：不限制申请人申报"))
        else:
            done.facts.append(Fact(_("失信限制至"), text=until.isoformat()))
            done.warnings.append(_("以欺诈手段取得：「%(name)s」将被限制申报本地区所有资金项目至 %(until)s")
                                 % {"name": app.applicant.name, "until": until.isoformat()})
    hidden = {"amount": plain(d["amount"]), "date": d["date"].isoformat(), "voucher_no": d["voucher_no"],
              "reason": d["reason"], **({"fraud": "on"} if d["fraud"] else {})}
    url = reverse("funding:clawback", args=[app.pk])
    return confirm_page(request, title=_("登记追回"), application=app, action_url=url, hidden=hidden,
                         back_url=_back(url, "clawback-form", hidden), confirmation=done, style="danger")


# --- 公示异议 -------------------------------------------------------------------------------------

@require_POST
@login_required
def objection_resolve(request, pk: int):
    """The intake role upholds (a new decision) or dismisses (the notice runs on) an objection."""
    app = app_or_404(request, pk)
    if not may_take(Transition.UPHOLD_OBJECTION, app, request.user):
        raise PermissionDenied(_("只有受理部门可以处理异议"))
    form = ObjectionResolveForm(request.POST)
    typed = typed_inputs(request.POST, OBJECTION_INPUTS)
    back = _back(reverse("funding:detail", args=[app.pk]), f"objection-{typed.get('objection', '')}", typed)
    if not form.is_valid():
        for key, errors in form.errors.items():
            messages.error(request, f"{form.fields[key].label}：{'；'.join(errors)}")
        return redirect(back)
    objection = app.objections.filter(pk=form.cleaned_data["objection"], resolved_at__isnull=True).first()
    if objection is None:
        messages.error(request, _("请指定本申请一项待处理的异议"))
        return redirect(back)
    comment = form.cleaned_data["comment"]
    if request.POST.get("confirmed") != "1":
        return _objection_confirmation(request, app, objection, form.upheld, comment, typed, back)
    done = run_service(request, lambda: objections.objection_resolve(
        by=request.user, application_id=app.pk, objection_id=objection.pk, upheld=form.upheld, comment=comment),
        success=_("异议已处理：%(result)s") % {"result": _("异议成立") if form.upheld else _("异议不成立")})
    return redirect(back if done is None else reverse("funding:detail", args=[app.pk]))


def _objection_confirmation(request, app, objection, upheld: bool, comment: str, typed: dict, back: str):
    done = Confirmation(facts=[
        Fact(_("异议人"), text=f"{objection.name}（{objection.phone}）"), Fact(_("异议理由"), text=objection.reason),
        Fact(_("处理结果"), text=_("异议成立") if upheld else _("异议不成立")), Fact(_("处理意见"), text=comment)])
    if upheld and app.rules.expert_review:
        done.notes.append(_("公示终止，案件退回专家评审，开始第 %(round)d 轮评审") % {"round": app.review_round + 1})
    elif upheld:
        done.notes.append(_("公示终止，案件退回「已受理」，由受理部门重新审查"))
    else:
        ends = app.publicity_ends_on.isoformat() if app.publicity_ends_on else "—"
        done.notes.append(_("公示继续，公示期 %(end)s 届满后方可审批") % {"end": ends})
    others = app.objections.filter(resolved_at__isnull=True).exclude(pk=objection.pk).count()
    if others:
        done.notes.append(_("另有 %(n)d 项异议尚未处理") % {"n": others})
    return confirm_page(request, title=_("处理公示异议"), application=app,
                         action_url=reverse("funding:objection_resolve", args=[app.pk]), hidden=typed,
                         back_url=back, confirmation=done, style="danger" if upheld else "primary")


# --- 失信 -------------------------------------------------------------------------------------

def _applicant_or_404(request, applicant_id: int):
    applicant = applicant_selectors.applicants_visible_to(request.user).filter(pk=applicant_id).first()
    if applicant is None:
        raise Http404(_("申请人不存在"))
    return applicant


def _standing_page(request, applicant, lift_form: BarLiftForm | None = None):
    user = request.user
    today = timezone.localdate()
    bars = list(selectors.bars_visible_to(user).filter(applicant=applicant))
    for bar in bars:
        bar.active = bar.lifted_at is None and bar.until >= today
    typed = lift_form.data if lift_form is not None else request.GET
    return render(request, "funding/applicant.html", {
        "applicant": applicant, "bars": bars, "active_bars": [bar for bar in bars if bar.active],
        "applications": selectors.applications_visible_to(user).filter(applicant=applicant)[:50],
        "can_lift": user.has_role(Role.ADMIN), "lift_form": lift_form or BarLiftForm(),
        "lift_bar": str(typed.get("bar", "")), "lift_reason": typed.get("reason", "")})


@role_required(*selectors.STAFF_WITH_REGION)
def applicant_standing(request, applicant_id: int):
    """Staff of the applicant's region: its bars (active and lifted) and its cases."""
    return _standing_page(request, _applicant_or_404(request, applicant_id))


@require_POST
@role_required(Role.ADMIN)
def bar_lift(request, applicant_id: int):
    """The fund administrator lifts a bar early, with a reason (confirmed first)."""
    applicant = _applicant_or_404(request, applicant_id)
    form = BarLiftForm(request.POST)
    if not form.is_valid():
        return _standing_page(request, applicant, form)
    bar = selectors.active_bars(selectors.bars_visible_to(request.user)).filter(
        applicant=applicant, pk=form.cleaned_data["bar"]).first()
    if bar is None:
        form.add_error(None, _("失信限制不存在或已解除"))
        return _standing_page(request, applicant, form)
    reason = form.cleaned_data["reason"]
    if request.POST.get("confirmed") != "1":
        done = Confirmation(
            facts=[Fact(_("限制至"), text=bar.until.isoformat()), Fact(_("限制原因"), text=bar.reason),
                   Fact(_("解除理由"), text=reason)],
            notes=[_("解除后「%(name)s」可重新申报本地区的资金项目") % {"name": applicant.name}])
        url = reverse("funding:applicant", args=[applicant.pk])
        hidden = {"bar": str(bar.pk), "reason": reason}
        return confirm_page(request, title=_("解除失信限制"), applicant=applicant,
                             action_url=reverse("funding:bar_lift", args=[applicant.pk]), hidden=hidden,
                             back_url=_back(url, f"bar-{bar.pk}", hidden), confirmation=done)
    done = run_form_service(form, lambda: clawbacks.bar_lift(by=request.user, bar_id=bar.pk, reason=reason))
    if done is None:
        return _standing_page(request, applicant, form)
    messages.success(request, _("失信限制已解除"))
    return redirect("funding:applicant", applicant_id=applicant.pk)
