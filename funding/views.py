"""Server-rendered pages of the funding app; every write goes through funding.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applicants.errors import NotFound
from applicants.models import Role
from core.money import format_money, quantize
from core.web import excel_response, role_required, run_service

from . import documents, queues, selectors, services
from . import views_lifecycle as lifecycle
from .confirmations import Confirmation, Fact, plain, return_reason
from .documents import may_attach, may_remove
from .forms import PROGRAM_FORMS, AdjustmentForm, DocumentForm, ReviewForm, SubmitForm, TransitionForm
from .models import Document, Program
from .pages import application_list_page
from .programs import handler_for
from .tranches import payable_now
from .workflow import State, Transition, step_of, transition_named


def _app_or_404(request, pk: int):
    try:
        return selectors.application_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def application_list(request):
    qs = selectors.applications_visible_to(request.user)
    mine = request.user.has_role(Role.APPLICANT) and not request.user.is_staff_role
    programs = []
    if mine and request.user.applicant_id:
        programs = Program.objects.filter(code__in=list(PROGRAM_FORMS), is_open=True,
                                          region_id=request.user.applicant.region_id)
    return application_list_page(request, qs, title=_("我的申请") if mine else _("全部申请"),
                                 filename="applications.xlsx", extra={"programs": programs})


@role_required(Role.IP_OFFICE, Role.FIN_CENTER, Role.ADMIN)
def intake_queue(request):
    return application_list_page(request, selectors.intake_queue(request.user), title=_("受理队列"),
                                 filename="intake.xlsx")


MY_REVIEWS_SHOWN = 50


@role_required(Role.EXPERT)
def review_queue(request):
    """What waits for this expert, and below it 我的评审: their own reviews, every case and round."""
    return application_list_page(request, selectors.review_queue(request.user), title=_("待评审"),
                                 filename="reviews.xlsx",
                                 extra={"my_reviews": selectors.reviews_by(request.user)[:MY_REVIEWS_SHOWN]})


@role_required(Role.FINANCE, Role.ADMIN)
def approval_queue(request):
    queue = selectors.finance_queue(request.user)
    # Only the budgets the queue draws on: the figures sum the ledger, so no other year is read.
    in_queue = selectors.budgets_for(request.user, None).filter(year__in=queue.values("fiscal_year"))
    budgets = {(b.program_id, b.year): b.fig_available for b in in_queue}

    def decorate(apps):
        for app in apps:
            app.budget_room = budgets.get((app.program_id, app.fiscal_year))
            app.wait_reason = queues.wait_reason(app)

    return application_list_page(request, queue, title=_("审批与拨付"),
                                 filename="approvals.xlsx", extra={"show_room": True}, decorate=decorate)


@role_required(Role.APPLICANT)
def application_new(request, code: str):
    form_class = PROGRAM_FORMS.get(code)
    if form_class is None:
        raise Http404
    program = selectors.programs_for(request.user).filter(code=code).first() if request.user.applicant_id else None
    form = form_class(request.POST or None, applicant=request.user.applicant, program=program)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        app = run_service(request, lambda: services.application_create(
            by=request.user, program_code=code, title=d["title"], requested_amount=d.get("requested_amount"),
            details=form.details()), success=_("草稿已保存"))
        if app is not None:
            return redirect("funding:detail", pk=app.pk)
    return render(request, "funding/application_form.html", {"form": form, "program_code": code,
                                                             "program": program, "title": _("新建申请")})


@role_required(Role.APPLICANT)
def application_edit(request, pk: int):
    app = _app_or_404(request, pk)
    form_class = PROGRAM_FORMS.get(app.program.code)
    if form_class is None:
        raise Http404
    initial = {"title": app.title, "requested_amount": app.requested_amount, **handler_for(app.program.code).details(app)}
    if isinstance(initial.get("patents"), list):  # the picker ticks the registered ones, the rest is typed
        initial["patents"] = [p["number"] for p in initial["patents"]]
    form = form_class(request.POST or None, initial=initial, applicant=app.applicant, program=app.program,
                      application=app)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = run_service(request, lambda: services.application_update_draft(
            application_id=pk, by=request.user, title=d["title"], requested_amount=d.get("requested_amount"),
            details=form.details()), success=_("已保存"))
        if done is not None:
            return redirect("funding:detail", pk=pk)
    return render(request, "funding/application_form.html", {"form": form, "application": app, "program": app.program,
                                                             "program_code": app.program.code, "title": _("修改申请")})


@login_required
def application_detail(request, pk: int):
    return _detail_page(request, _app_or_404(request, pk), lifecycle.typed_from(request.GET))


def _detail_page(request, app, typed: dict, status: int = 200):
    """The case page; ``typed`` puts back what a refused POST or a 返回修改 link carried."""
    actions = []
    blocked = selectors.blocked_transitions(app, request.user)
    for name in selectors.available_transitions(app, request.user):
        if name == Transition.UPHOLD_OBJECTION:  # taken from the objections list (views_lifecycle)
            continue
        if any(item["name"] == name for item in blocked):  # nothing payable now: shown disabled
            continue
        declared = step_of(app, name)
        actions.append({"name": name, "label": Transition(name).label, "needs_comment": declared.comment_required,
                        "fields": declared.fields, "style": declared.style, "confirm": declared.confirm,
                        "values": lifecycle.action_values(app, name, typed)})
    rules = app.rules
    history = list(selectors.application_history(app))  # read once: the table and the round's experts
    sending = next((a for a in actions if a["name"] == Transition.SEND_TO_REVIEW), None)
    chosen = TransitionForm.base_fields["experts"].to_python(sending["values"].get("experts")) if sending else ()
    context = {
        "application": app, "actions": actions, "transition_form": TransitionForm(),
        "blocked": [item for item in blocked if item["name"] != Transition.UPHOLD_OBJECTION],
        "payable": payable_now(app),
        "details": handler_for(app.program.code).details(app),
        "explanation": handler_for(app.program.code).explain(app),
        "return_reason": return_reason(app) if app.state == State.RETURNED else "",
        "can_resubmit": app.state == State.RETURNED and any(a["name"] == Transition.SUBMIT for a in actions),
        "can_remove": may_remove(app, request.user),
        "history": history,
        "round_experts": selectors.round_experts(request.user, app, history),
        "payments": selectors.application_payments(app),
        "documents": app.documents.all(),
        "reviews": selectors.with_item_rows(selectors.reviews_visible_to(request.user, app), rules.scoring_criteria),
        "criteria": rules.scoring_criteria,
        "review_summary": selectors.review_summary(app)
        if app.review_round and request.user.has_role(*selectors.REVIEW_READERS) else None,
        "expert_choice": selectors.expert_choice(app, chosen) if sending else None,
        "can_upload": may_attach(app, request.user),
        "document_form": DocumentForm(),
        "can_review": app.state == State.UNDER_REVIEW
        and app.review_assignments.filter(expert=request.user, round=app.review_round).exists()
        and not app.reviews.filter(expert=request.user, round=app.review_round).exists(),
        "review_form": ReviewForm(criteria=rules.scoring_criteria),
        **lifecycle.detail_extras(request, app, typed),
    }
    return render(request, "funding/application_detail.html", context, status=status)


@require_POST
@login_required
def application_transition(request, pk: int, name: str):
    """A transition from the case page. One whose ``Step`` has ``confirm=True`` first shows the
    confirmation (views_lifecycle) and runs on the POST with ``confirmed=1``; a refusal shows the
    case page again with what was typed."""
    label = transition_named(name).label  # 404 for a name that is not a transition
    app = _app_or_404(request, pk)
    typed = lifecycle.typed_from(request.POST, action=name)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}：{'；'.join(errors)}")
        return _detail_page(request, app, typed, status=400)
    data = form.data_for_service()
    pledge = None
    if name == Transition.SUBMIT and request.POST.get("confirmed") == "1":
        # The page's submission needs the integrity pledge ticked (and, after a return, 修改说明).
        pledge = SubmitForm(request.POST, resubmission=app.state == State.RETURNED)
        if pledge.is_valid():
            data["pledge_accepted"] = True
        else:
            for errors in pledge.errors.values():
                for error in errors:
                    messages.error(request, error)
    if step_of(app, name).confirm and (request.POST.get("confirmed") != "1" or (pledge is not None and pledge.errors)
                                       or lifecycle.approval_moved(request, app, name, form.cleaned_data)):
        page = lifecycle.transition_confirmation(request, app, name, form)
        if page is not None and pledge is not None and pledge.errors:
            page.status_code = 400
        return page if page is not None else _detail_page(request, app, typed)
    done = run_service(request, lambda: services.application_transition(
        application_id=pk, name=name, by=request.user, comment=form.cleaned_data["comment"],
        data=data), success=_("已完成：%(name)s") % {"name": label})
    if done is None:
        return _detail_page(request, app, typed)
    if name == Transition.SUBMIT:
        return redirect("funding:receipt", pk=pk)
    try:
        selectors.application_for(request.user, pk)
    except NotFound:
        return redirect("funding:list")
    return redirect("funding:detail", pk=pk)


@require_POST
@role_required(Role.EXPERT)
def review_submit(request, pk: int):
    """An expert's review: one score, or one input per item of the case's 评分细则 (the service adds them up)."""
    app = _app_or_404(request, pk)
    form = ReviewForm(request.POST, criteria=app.rules.scoring_criteria)
    if form.is_valid():
        d = form.cleaned_data
        run_service(request, lambda: services.review_submit(
            application_id=pk, by=request.user, score=d.get("score"), item_scores=form.item_scores(),
            recommended_amount=d["recommended_amount"], comment=d["comment"]), success=_("评审意见已提交"))
    else:
        problems = "；".join(f"{form.fields[name].label if name in form.fields else ''}：{'；'.join(errors)}"
                            for name, errors in form.errors.items())
        messages.error(request, _("评审表填写有误：%(e)s") % {"e": problems})
    return redirect("funding:detail", pk=pk)


@require_POST
@login_required
def document_upload(request, pk: int):
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        run_service(request, lambda: services.document_attach(
            application_id=pk, by=request.user, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"]),
            success=_("材料已上传"))
    else:
        messages.error(request, _("请选择材料类型和文件"))
    return redirect("funding:detail", pk=pk)


@require_POST
@login_required
def document_remove(request, pk: int, doc_id: int):
    """The claimant removes a document from a draft or returned case (the service says 403/409 otherwise)."""
    run_service(request, lambda: documents.document_remove(by=request.user, application_id=pk, document_id=doc_id),
                success=_("材料已删除"))
    return redirect(reverse("funding:detail", args=[pk]) + "#h-docs")


@login_required
def document_download(request, pk: int, doc_id: int):
    app = _app_or_404(request, pk)
    doc = Document.objects.filter(application=app, pk=doc_id).first()
    if doc is None:
        raise Http404
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                        content_type=doc.content_type)


@role_required(*selectors.BUDGET_READERS)
def budget_overview(request):
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() else None
    budgets = list(selectors.budgets_for(request.user, year))
    if request.GET.get("format") == "xlsx":
        return excel_response("budgets.xlsx", [_("资金项目"), _("年度"), _("已分配"), _("已承诺"), _("已拨付"), _("可用")],
                              ([b.program.name_zh, b.year, *(quantize(v) for v in (  # numeric cells, to the fen
                                  b.fig_allocated, b.fig_committed, b.fig_disbursed, b.fig_available))]
                               for b in budgets), sheet=_("预算"))
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_role(Role.FINANCE, Role.ADMIN):
            raise PermissionDenied
        if form.is_valid() and request.POST.get("confirmed") != "1":
            return _adjustment_confirmation(request, form.cleaned_data)
        if form.is_valid():
            d = form.cleaned_data
            done = run_service(request, lambda: services.budget_adjust(
                by=request.user, program_code=d["program"], year=d["year"], amount=d["amount"], reason=d["reason"]),
                success=_("预算已调整"))
            if done is not None:
                return redirect(reverse("funding:budgets"))
    return render(request, "funding/budgets.html", {"budgets": budgets, "form": form, "year": year,
                                                    "can_adjust": request.user.has_role(Role.FINANCE, Role.ADMIN)})


def _adjustment_confirmation(request, data: dict):
    """A budget top-up or cut repeats its amount (in figures and capitals) and the balance it leaves."""
    budget = selectors.budgets_for(request.user, data["year"]).filter(program__code=data["program"]).first()
    program = budget.program.name if budget is not None else data["program"]
    confirmation = Confirmation(facts=[Fact(_("预算"), text=f"{program} {data['year']}"),
                                       Fact(_("调整金额（负数为调减）"), data["amount"]), Fact(_("理由"), text=data["reason"])])
    if budget is not None:
        after = budget.fig_available + data["amount"]
        confirmation.facts.insert(2, Fact(_("调整后可用余额"), after))
        if after < 0:
            confirmation.warnings.append(_("调减金额超过可用余额 %(x)s，确认后将被拒绝") % {"x": format_money(budget.fig_available)})
    hidden = {"program": data["program"], "year": str(data["year"]), "amount": plain(data["amount"]),
              "reason": data["reason"]}
    title = _("确认调减预算") if data["amount"] < 0 else _("确认追加预算")
    return lifecycle.confirm_page(request, title=title, action_url=reverse("funding:budgets"), hidden=hidden,
                                  back_url=reverse("funding:budgets"), confirmation=confirmation,
                                  style="danger" if data["amount"] < 0 else "primary")
