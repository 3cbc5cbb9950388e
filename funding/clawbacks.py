"""追回 and 失信: money paid to a case recovered to the budget it was paid from, and the bar that
fraud brings (渝知发〔2025〕2号: funding obtained by fraud is recovered and the recipient barred).

Lock order, as everywhere: application → applicant → budget → chain heads (ledger entry, then the
clawback row).
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Applicant, Role, User
from core.audit_chain import Chain, register, stream_by
from core.audit_seal import append
from core.errors import Conflict, Invalid, NotAllowed, NotFound
from core.money import format_money, parse_money
from core.text import clean_text, iso_date

from . import inbox, ledger
from .models import ApplicantBar, Application, AuditChainHead, Budget, Clawback, EntryKind, LedgerEntry
from .selectors import is_visible
from .workflow import FINANCE, actor_kinds

CHAIN = register(Chain(name="clawback", label=_("资金追回记录"), model=Clawback, head_model=AuditChainHead,
                       fields=("application_id", "amount", "date", "voucher_no", "reason", "fraud", "by_id", "at"),
                       stream_of=stream_by("program", application="program_id")))
EARLIEST = dt.date(1985, 1, 1)


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def bar_end(application: Application, day: dt.date) -> dt.date | None:
    """Until when fraud found on ``day`` bars the case's applicant (its rules' ``ban_years``; None: no bar)."""
    years = application.rules.ban_years
    return _years_after(day, years) if years > 0 else None


def clawback_record(*, by: User, application_id: int, amount: Decimal | str, date: dt.date | str,
                    voucher_no: str, reason: str, fraud: bool = False) -> Clawback:
    """Recover ``amount`` of what the case was paid (at most what is paid and not yet recovered)."""
    amount = parse_money(amount, "amount")
    date = iso_date(date, "date")
    if not isinstance(date, dt.date) or not EARLIEST <= date <= timezone.localdate():
        raise Invalid(_("追回日期应在 1985-01-01 至今天之间"), field="date")
    voucher_no = clean_text(voucher_no, "voucher_no", max_length=40, required=True, label=_("凭证号"))
    reason = clean_text(reason, "reason", max_length=500, required=True, label=_("追回原因"))
    if not isinstance(fraud, bool):
        raise Invalid(_("应为 true 或 false"), field="fraud")
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("program").filter(pk=application_id).first()
        if app is None or not is_visible(by, app):
            raise NotFound(_("申请不存在"))
        if FINANCE not in actor_kinds(app, by):
            raise NotAllowed(_("只有本地区财政局可以登记追回"))
        if fraud:
            Applicant.objects.select_for_update().filter(pk=app.applicant_id).values_list("pk").first()
        left = app.disbursed_amount - app.clawed_back_amount
        if amount > left:
            raise Conflict(_("追回金额 %(x)s 超过已拨付且未追回的 %(left)s") % {"x": format_money(amount),
                                                                     "left": format_money(left)},
                           code="above_paid")
        if LedgerEntry.objects.filter(voucher_no=voucher_no).exists():
            raise Conflict(_("凭证号 %(no)s 已使用") % {"no": voucher_no}, code="duplicate_voucher")
        budget = Budget.objects.select_for_update().get(program_id=app.program_id, year=app.fiscal_year)
        ledger.post(budget=budget, kind=EntryKind.CLAWBACK, amount=amount, by=by, application=app,
                    voucher_no=voucher_no, memo=_("追回 #%(id)s") % {"id": app.pk}, booked_on=date)
        clawback = append(CHAIN, application=app, amount=amount, date=date, voucher_no=voucher_no, reason=reason,
                          fraud=fraud, by=by)
        Application.objects.filter(pk=app.pk).update(clawed_back_amount=app.clawed_back_amount + amount)
        inbox.after_clawback(app, format_money(amount), by)
        until = bar_end(app, date) if fraud else None
        if until is not None:
            ApplicantBar.objects.create(applicant_id=app.applicant_id, region_id=app.program.region_id,
                                        until=until, reason=reason, clawback=clawback)
    return clawback


def active_bar(applicant_id: int, region_id: int, on: dt.date | None = None) -> ApplicantBar | None:
    on = on or timezone.localdate()
    return (ApplicantBar.objects.filter(applicant_id=applicant_id, region_id=region_id, lifted_at__isnull=True,
                                        until__gte=on).order_by("-until").first())


def check_not_barred(applicant_id: int, region_id: int) -> None:
    """409 ``applicant_barred`` (saying until when) for creating or submitting while barred."""
    bar = active_bar(applicant_id, region_id)
    if bar is not None:
        raise Conflict(_("申请人因失信被限制申报本地区所有资金项目，至 %(until)s（%(reason)s）")
                       % {"until": bar.until.isoformat(), "reason": bar.reason}, code="applicant_barred")


def bar_lift(*, by: User, bar_id: int, reason: str) -> ApplicantBar:
    """Lift a bar early: the fund administrator only, and only with a reason (recorded)."""
    if not by.has_role(Role.ADMIN):
        raise NotAllowed(_("只有资金管理员可以解除失信限制"))
    reason = clean_text(reason, "lift_reason", max_length=500, required=True, label=_("解除理由"))
    with transaction.atomic():
        bar = ApplicantBar.objects.select_for_update().filter(pk=bar_id).first()
        if bar is None:
            raise NotFound(_("失信限制不存在"))
        if bar.lifted_at is not None:
            raise Conflict(_("该限制已解除"), code="already_lifted")
        bar.lifted_at, bar.lifted_by, bar.lift_reason = timezone.now(), by, reason
        bar.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return bar
