"""The enterprise's web form for an interest subsidy (贴息): the year, and its own loans ticked from a
list that shows, per loan, the interest the bank reported for that year and whether it may be claimed.
The claim is checked and the amount computed by the program's handler (``pledges.handlers``); the form
only offers the choice. Registered into ``funding.forms.PROGRAM_FORMS`` when the app is ready."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, format_money
from funding.forms import ApplicationForm
from funding.rule_versions import current_rules

from .models import SUBSIDISABLE_STATUSES, InterestSubsidyLoan, PledgeLoan
from .selectors import live_interest_paid


@dataclass(frozen=True)
class LoanOption:
    loan: PledgeLoan
    interest: Decimal
    claimable: bool
    reason: str


def loan_options(applicant, year: int, *, application=None) -> list[LoanOption]:
    """The applicant's loans, each with that year's reported interest and whether it may be claimed
    (three queries whatever the number of loans)."""
    if applicant is None:
        return []
    loans = list(PledgeLoan.objects.filter(borrower=applicant).select_related("bank").order_by("-start_date", "-id"))
    ids = [loan.pk for loan in loans]
    interest = live_interest_paid(ids, year)
    claimed = InterestSubsidyLoan.objects.filter(loan_id__in=ids, year=year, live=True)
    if application is not None:
        claimed = claimed.exclude(claim__application=application)
    claimed_ids = set(claimed.values_list("loan_id", flat=True))
    options = []
    for loan in loans:
        paid = interest.get(loan.pk, ZERO)
        if loan.status not in SUBSIDISABLE_STATUSES:
            reason = _("贷款状态为「%(s)s」，不能申请贴息") % {"s": loan.get_status_display()}
        elif loan.pk in claimed_ids:
            reason = _("%(y)d 年利息已申请过贴息") % {"y": year}
        elif paid <= 0:
            reason = _("%(y)d 年没有银行报送的已付利息") % {"y": year}
        else:
            reason = ""
        options.append(LoanOption(loan=loan, interest=paid, claimable=not reason, reason=str(reason)))
    return options


class InterestSubsidyForm(ApplicationForm):
    year = forms.IntegerField(label=_("贴息年度"), min_value=2000, max_value=2100,
                              help_text=_("按该年度银行报送的已付利息计算"))
    loans = forms.TypedMultipleChoiceField(label=_("申请贴息的贷款"), coerce=int, choices=(),
                                           widget=forms.CheckboxSelectMultiple)
    detail_names = ("year", "loans")

    def __init__(self, *args, applicant=None, program=None, application=None, **kwargs):
        super().__init__(*args, applicant=applicant, program=program, application=application, **kwargs)
        self.fields["requested_amount"].widget = forms.HiddenInput()  # computed: interest × the ratio
        year = self._year()
        self.fields["year"].initial = year
        self.options = loan_options(applicant, year, application=application)
        self.fields["loans"].choices = [
            (o.loan.pk, f"{o.loan.contract_no}（{o.loan.bank.name}）{format_money(o.interest)}") for o in self.options
            if o.claimable
        ]
        # the ratio in force today (a scheduled version may have started since ``program``'s mirror was written)
        self.ratio = current_rules(program).interest_ratio if program is not None else None

    def _year(self) -> int:
        raw = self.data.get("year") if self.is_bound else self.initial.get("year")
        try:
            return int(raw)
        except (TypeError, ValueError):
            return timezone.localdate().year - 1  # last year's interest, claimed this year


def register() -> None:
    from funding.forms import PROGRAM_FORMS  # noqa: PLC0415  the registry of the funding app
    from funding.workflow import ProgramCode  # noqa: PLC0415

    PROGRAM_FORMS.setdefault(ProgramCode.INTEREST_SUBSIDY, InterestSubsidyForm)
