"""The public notice board (公示栏), each notice as a document a county can post or print, and the
objection form the public reaches from it. No login: nothing here shows an identity number, and an
individual inventor's name is masked."""

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.security import client_ip
from core.errors import TooMany
from core.web import run_form_service

from . import public_notice
from .forms import BootstrapMixin
from .objections import objection_submit


def _staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff_role", False))


def public_notices(request):
    """The board: every notice running now, with a link to its document."""
    context = {"notices": public_notice.notice_board(),
               "calendar_gaps": public_notice.calendar_gaps() if _staff(request.user) else []}
    return render(request, "funding/notices.html", context)


def notice_document(request, region: str, program: str, year: int):
    """One notice as a document: title, the cases with their proposed amounts and dates, whom to
    write to and how; ``?print=1`` renders it on its own for printing."""
    found = public_notice.notice_program(region, program)
    if found is None:
        raise Http404
    cases = list(public_notice.notice_cases(found, year))
    if not cases:
        raise Http404
    rows = [{"case": app, "name": public_notice.public_name(app.applicant)} for app in cases]
    ends = max((app.publicity_ends_on for app in cases if app.publicity_ends_on), default=None)
    context = {"program": found, "region": found.region, "year": year, "rows": rows,
               "starts": min(app.publicity_started_on for app in cases), "ends": ends,
               "issued_on": timezone.localdate(), "print_view": request.GET.get("print") == "1"}
    template = "funding/notice_print.html" if context["print_view"] else "funding/notice_document.html"
    return render(request, template, context)


class ObjectionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("姓名（须为真实姓名）"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20,
                            help_text=_("如 023-57681234 或 13800000000，仅用于核实异议"))
    reason = forms.CharField(label=_("异议的事实和理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6}),
                             help_text=_("请具体写明，至少 10 个字；可附联系地址以便书面答复"))


def objection_new(request, pk: int):
    """The objection form for one case in its notice (anyone, no login; rate-limited per address)."""
    app = public_notice.notice_case(pk)
    if app is None:
        raise Http404(_("该项目不在公示期内"))
    form = ObjectionForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        refused = {"status": 409}

        def submit():
            try:
                return objection_submit(application_id=pk, name=d["name"], phone=d["phone"], reason=d["reason"],
                                        address=client_ip(request), by=request.user)
            except TooMany:
                refused["status"] = 429
                raise

        objection = run_form_service(form, submit)
        if objection is not None:
            return render(request, "funding/objection_receipt.html", {"application": app, "objection": objection,
                                                                      "region": app.program.region})
        status = refused["status"]
    elif request.method == "POST":
        status = 400
    return render(request, "funding/objection_form.html",
                  {"application": app, "applicant_name": public_notice.public_name(app.applicant), "form": form,
                   "region": app.program.region}, status=status)
