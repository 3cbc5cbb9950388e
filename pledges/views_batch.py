"""批量导入: a bank uploads its loans as an .xlsx sheet (``pledges.batch``).

The upload is checked row by row through the service and shown (nothing stored). What was read
travels to the next POST in one signed field (``django.core.signing``: a changed or stale preview is
refused), with a one-time token: 「登记全部」 when there is no error, or 「只登记无误的行」 — each in one
transaction through ``pledges.idempotency`` as the form pages' writes (a double submit registers once);
「下载错误报告」 gives the problems as .xlsx.
"""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import batch, batch_read
from .batch_sheets import report_response, template_response
from .forms_bank import ImportForm
from .views_support import bank_required, new_token, submit_once

SALT = "pledges.batch.preview"
MAX_AGE = 2 * 60 * 60  # seconds a preview may be stored from
PAYLOAD = "payload"


def _encode(user, rows: list[batch_read.SheetRow], checked: batch.Checked, name: str) -> str:
    return signing.dumps({
        "user": user.pk, "token": new_token(), "name": name[:120],
        "rows": [[row.row, [row.values[key] for key in batch_read.KEYS]] for row in rows],
        "bad": checked.bad_rows,
        "problems": [[problem.row, problem.column, problem.message] for problem in checked.problems],
    }, salt=SALT, compress=True)


def _decode(user, text: str) -> dict | None:
    """The preview posted back — signed by us, at most ``MAX_AGE`` old, made for this user — with its
    rows and problems rebuilt; None otherwise (or when it was made by a version with other columns)."""
    try:
        data = signing.loads(text, salt=SALT, max_age=MAX_AGE)
        if data.get("user") != user.pk:
            return None
        data["rows"] = [batch_read.SheetRow(row, dict(zip(batch_read.KEYS, values, strict=True))) for row, values in data["rows"]]
        data["problems"] = [batch.Problem(*problem) for problem in data["problems"]]
    except (signing.BadSignature, ValueError, TypeError, KeyError, AttributeError):  # SignatureExpired included
        return None
    return data


def _total(loans: list[batch.SheetLoan]) -> Decimal:
    total = Decimal(0)
    for loan in loans:
        try:
            total += Decimal(loan.value("principal") or 0)
        except InvalidOperation:
            continue
    return total


def _page(request, form, checked: batch.Checked | None = None, *, payload: str = "", name: str = "", status=200):
    context = {"form": form, "checked": checked, "payload": payload, "payload_field": PAYLOAD, "name": name,
               "max_rows": batch_read.MAX_ROWS, "max_mb": batch_read.MAX_BYTES // (1024 * 1024)}
    if checked is not None:
        context.update(good=checked.good_loans, total=_total(checked.good_loans),
                       total_all=_total(checked.loans))
    return render(request, "pledges/loan_import.html", context, status=status)


def _preview(request, rows: list[batch_read.SheetRow], name: str, *, changed: bool = False):
    checked = batch.check(request.user, rows)
    if changed:
        messages.warning(request, _("数据已有变化：以下检查结果是最新的，本次未登记任何贷款"))
    return _page(request, ImportForm(), checked, payload=_encode(request.user, rows, checked, name), name=name)


@bank_required
def loan_import(request):
    if request.method != "POST":
        return _page(request, ImportForm())
    if PAYLOAD in request.POST:
        return _second_post(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    upload = form.cleaned_data["file"]
    try:
        rows = batch_read.read_sheet(upload)
    except batch_read.SheetRefused as exc:
        form.add_error("file", exc.message)
        return _page(request, form)
    return _preview(request, rows, upload.name)


def _second_post(request):
    data = _decode(request.user, request.POST[PAYLOAD])
    if data is None:
        messages.error(request, _("导入预览已失效（超过 2 小时或内容被改动），请重新上传"))
        return redirect("pledges:loan_import")
    rows, problems = data["rows"], data["problems"]
    if "report" in request.POST:
        contracts = {row.row: row.values["contract_no"] or "" for row in rows}
        return report_response(problems, contracts)
    mode = request.POST.get("mode")
    if mode == "good":
        bad = set(data["bad"])
        chosen = [row for row in rows if row.row not in bad]
    elif mode == "all" and not problems:
        chosen = rows
    else:
        messages.error(request, _("表格有错误：请修改后重新上传，或选择只登记无误的行"))
        return redirect("pledges:loan_import")
    if not chosen:
        messages.error(request, _("没有无误的贷款可登记"))
        return redirect("pledges:loan_import")
    form = ImportForm()
    outcome, replayed = submit_once(
        request, form, token=data["token"], body={"payload": request.POST[PAYLOAD], "mode": mode},
        call=lambda: _store(request.user, chosen))
    if outcome is None:  # a conflict of the token itself (e.g. still being processed)
        return _page(request, form)
    if outcome["problems"]:
        return _preview(request, rows, data["name"], changed=True)
    if replayed:
        messages.info(request, _("该批次已提交过，未重复登记"))
    else:
        messages.success(request, _("已登记 %(n)d 笔贷款") % {"n": len(outcome["stored"])})
    return redirect("pledges:loan_list")


def _store(user, rows: list[batch_read.SheetRow]) -> dict:
    checked = batch.store(user, rows)
    return {"stored": checked.stored, "problems": len(checked.problems)}


@bank_required
def import_template(request):
    return template_response()
