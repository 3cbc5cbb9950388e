"""Server-rendered pages of the funding app; every write goes through funding.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applicants.errors import NotFound
from applicants.models import Role
from core.money import quantize
from core.web import excel_response, role_required, run_service

from . import selectors, services
from .documents import may_attach
from .forms import PROGRAM_FORMS, AdjustmentForm, DocumentForm, ReviewForm, TransitionForm
from .models import Document, Program
from .pages import application_list_page, per_page
from .programs import handler_for
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


@role_required(Role.EXPERT)
def review_queue(request):
    return application_list_page(request, selectors.review_queue(request.user), title=_("待评审"),
                                 filename="reviews.xlsx")


@role_required(Role.FINANCE, Role.ADMIN)
def approval_queue(request):
    queue = selectors.finance_queue(request.user)
    # Only the budgets the queue draws on: the figures sum the ledger, so no other year is read.
    in_queue = selectors.budgets_for(request.user, None).filter(year__in=queue.values("fiscal_year"))
    budgets = {(b.program_id, b.year): b.fig_available for b in in_queue}

    def decorate(apps):
        for app in apps:
            app.budget_room = budgets.get((app.program_id, app.fiscal_year))

    return application_list_page(request, queue, title=_("审批与拨付"),
                                 filename="approvals.xlsx", extra={"show_room": True}, decorate=decorate)


def public_notices(request):
    """公示: no login; project, applicant name, amount and dates only."""
    page = Paginator(selectors.public_notices(), per_page(request)).get_page(request.GET.get("page"))
    return render(request, "funding/notices.html", {"page_obj": page, "applications": page.object_list})


@role_required(Role.APPLICANT)
def application_new(request, code: str):
    form_class = PROGRAM_FORMS.get(code)
    if form_class is None:
        raise Http404
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        app = run_service(request, lambda: services.application_create(
            by=request.user, program_code=code, title=d["title"], requested_amount=d.get("requested_amount"),
            details=form.details()), success=_("草稿已保存"))
        if app is not None:
            return redirect("funding:detail", pk=app.pk)
    return render(request, "funding/application_form.html", {"form": form, "program_code": code,
                                                             "title": _("新建申请")})


@role_required(Role.APPLICANT)
def application_edit(request, pk: int):
    app = _app_or_404(request, pk)
    form_class = PROGRAM_FORMS.get(app.program.code)
    if form_class is None:
        raise Http404
    initial = {"title": app.title, "requested_amount": app.requested_amount, **handler_for(app.program.code).details(app)}
    if isinstance(initial.get("patents"), list):
        initial["patents"] = "\n".join(p["number"] for p in initial["patents"])
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = run_service(request, lambda: services.application_update_draft(
            application_id=pk, by=request.user, title=d["title"], requested_amount=d.get("requested_amount"),
            details=form.details()), success=_("已保存"))
        if done is not None:
            return redirect("funding:detail", pk=pk)
    return render(request, "funding/application_form.html", {"form": form, "application": app, "title": _("修改申请")})


@login_required
def application_detail(request, pk: int):
    app = _app_or_404(request, pk)
    transitions = selectors.available_transitions(app, request.user)
    actions = []
    for name in transitions:
        declared = step_of(app, name)
        actions.append({"name": name, "label": Transition(name).label, "needs_comment": declared.comment_required,
                        "fields": declared.fields, "style": declared.style, "confirm": declared.confirm})
    context = {
        "application": app, "actions": actions, "transition_form": TransitionForm(),
        "details": handler_for(app.program.code).details(app),
        "history": selectors.application_history(app),
        "payments": selectors.application_payments(app),
        "documents": app.documents.all(),
        "reviews": selectors.reviews_visible_to(request.user, app),
        "can_upload": may_attach(app, request.user),
        "document_form": DocumentForm(),
        "can_review": app.state == State.UNDER_REVIEW
        and app.review_assignments.filter(expert=request.user, round=app.review_round).exists()
        and not app.reviews.filter(expert=request.user, round=app.review_round).exists(),
        "review_form": ReviewForm(),
    }
    return render(request, "funding/application_detail.html", context)


@require_POST
@login_required
def application_transition(request, pk: int, name: str):
    label = transition_named(name).label  # 404 for a name that is not a transition
    form = TransitionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}：{'；'.join(errors)}")
        return redirect("funding:detail", pk=pk)
    run_service(request, lambda: services.application_transition(
        application_id=pk, name=name, by=request.user, comment=form.cleaned_data["comment"],
        data=form.data_for_service()), success=_("已完成：%(name)s") % {"name": label})
    try:
        selectors.application_for(request.user, pk)
    except NotFound:
        return redirect("funding:list")
    return redirect("funding:detail", pk=pk)


@require_POST
@role_required(Role.EXPERT)
def review_submit(request, pk: int):
    form = ReviewForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        run_service(request, lambda: services.review_submit(
            application_id=pk, by=request.user, score=d["score"], recommended_amount=d["recommended_amount"],
            comment=d["comment"]), success=_("评审意见已提交"))
    else:
        messages.error(request, _("评审表填写有误：%(e)s") % {"e": form.errors.as_text()})
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
        if form.is_valid():
            d = form.cleaned_data
            done = run_service(request, lambda: services.budget_adjust(
                by=request.user, program_code=d["program"], year=d["year"], amount=d["amount"], reason=d["reason"]),
                success=_("预算已调整"))
            if done is not None:
                return redirect(reverse("funding:budgets"))
    return render(request, "funding/budgets.html", {"budgets": budgets, "form": form, "year": year,
                                                    "can_adjust": request.user.has_role(Role.FINANCE, Role.ADMIN)})
