"""Pages of the financial services center (and of bank staff, for their own bank's loans)."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from applicants.models import Role
from core.listing import Sorting
from core.money import format_money, format_percent
from core.web import excel_response, role_required, run_service

from . import selectors, services
from .forms import CancelForm, LoanFilterForm
from .forms_bank import action_forms
from .interest import collateral_facts
from .pool import banner_for, coverage_of
from .pool_shares import parts_of_loan

PAGE_ROLES = (Role.BANK, Role.FIN_CENTER, Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 25


LOAN_SORTING = Sorting(keys={"contract": "contract_no", "principal": "principal", "outstanding": "outstanding_principal",
                             "start": "start_date"})


@role_required(*PAGE_ROLES)
def loan_list(request):
    form = LoanFilterForm(request.GET or None, user=request.user)
    loans, sort = LOAN_SORTING.apply(selectors.loan_list(request.user, form.filters()), request.GET.get("o"))
    if request.GET.get("format") == "xlsx":
        return _export(loans)
    page = Paginator(loans, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pledges/loan_list.html", {
        "filter_form": form, "page_obj": page, "loans": page.object_list, "sort": sort,
        "tiles": selectors.portfolio_tiles(request.user), "export_url_enabled": True,
        "may_register": request.user.has_role(Role.BANK) and request.user.bank_id is not None,
        "pool_banner": banner_for(request.user),
    })


def _export(loans):
    headers = [_("合同编号"), _("银行"), _("借款企业"), _("统一社会信用代码"), _("行业"), _("乡镇"), _("贷款本金"),
               _("年利率"), _("放款日"), _("到期日"), _("贷款余额"), _("状态"), _("质押登记号"), _("质押权利")]
    rows = (
        [loan.contract_no, loan.bank.name, loan.borrower.name, loan.borrower.credit_code,
         loan.borrower.get_industry_display(), loan.borrower.township.name if loan.borrower.township else "",
         loan.principal, format_percent(loan.annual_rate), loan.start_date, loan.maturity_date, loan.outstanding_principal,
         loan.get_status_display(), loan.pledge_registration_no,
         "、".join(f"{right.number}（{format_money(right.valuation)}）" for right in loan.rights.all())]
        for loan in loans.iterator(chunk_size=500)
    )
    return excel_response("pledge-loans.xlsx", headers, rows, sheet=_("质押贷款"))


@role_required(*PAGE_ROLES)
def loan_detail(request, pk: int):
    loan = run_service(request, lambda: selectors.loan_for(request.user, pk, full=True))
    return render_detail(request, loan)


def render_detail(request, loan, bound: dict | None = None):
    """The detail page; ``bound``: an action form of the bank (``forms_bank.ACTIONS``) posted back
    with the service's errors, or to be changed after its confirmation."""
    # Active, or defaulted with its claim rejected or withdrawn (the fsm's condition).
    may_cancel = request.user.has_role(Role.FIN_CENTER, Role.ADMIN) and can_proceed(loan.cancel)
    return render(request, "pledges/loan_detail.html", {
        "loan": loan, "claim_application": selectors.risk_application_of(loan),
        "collateral": collateral_facts(loan),
        "cancel_form": CancelForm() if may_cancel else None,
        "bank_actions": action_forms(request.user, loan, bound),
        "coverage": coverage_of(loan), "pool_parts": parts_of_loan(loan),  # the risk pool (pledges.pool, pool_shares)
    })


@require_POST
@role_required(Role.FIN_CENTER, Role.ADMIN)
def loan_cancel(request, pk: int):
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    run_service(request, lambda: services.loan_cancel(by=request.user, loan_id=pk, reason=reason),
                success=_("已撤销该贷款登记，质押权利已释放"))
    return redirect(reverse("pledges:loan_detail", args=[pk]))
