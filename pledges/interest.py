"""质押贷款贴息 by formula: what one loan's interest of one year counts for under a program's rules,
and the line that explains it with its numbers.

For a loan and a year, under ``rules`` (``application.rules``: the version frozen at submission)::

    counted interest
      basis "paid": the interest the bank reported as paid in the year (the repayment rows), scaled
                    down to the ceiling rate when the contract rate is above it (``lpr_markup_cap``):
                    paid × min(1, LPR × (1 + lpr_markup_cap) ÷ annual_rate), and never more than the
                    ceiling rate on the balance: LPR × (1 + lpr_markup_cap) × Σ(outstanding × days) ÷ 365
                    (the balance days as for the "lpr" basis; a bank reporting interest above its
                    contract rate gains nothing); no such rule: paid
      basis "lpr":  LPR × Σ(outstanding principal × days) ÷ 365 over the days of the year the loan ran
                    (actual/365; each repayment's principal lowers the outstanding from its date on),
                    never more than the interest paid that year
    amount = counted interest × IP share × ratio
      IP share = min(1, IP valuation ÷ collateral_total), the IP valuation being the sum of the loan's
                 pledged rights' valuations (collateral_total unset: the loan is secured by IP only, 1)
      ratio    = insured_interest_ratio for an insured or guaranteed loan when that rule is set,
                 else interest_ratio

Rounding: nothing is rounded on the way; each loan's amount is fixed to 分 half up once
(``core.money.quantize``) in ``loan_amount``, and a claim's total is the sum of those amounts. The
explanation shows the intermediate figures to the fen (display only).

LPR: the one-year LPR of the month before the loan's start date (``lpr_before``: the one lookup). A
month missing from the admin's table is a 409 ``lpr_missing`` that names the month to add.

Eligibility (``loan_problem``): ``first_pledge_only`` (the loan pledges at least one patent that no
earlier-*registered*, not cancelled loan of any bank pledged) and ``max_years_per_loan`` (years
already claimed for the loan in live claims). "First" is the order of registration in this system
(the loan's id), not the start date the bank reports: registration accepts a past start date, so a
later registration backdated before an earlier pledge of the same patent would otherwise become its
"first" pledge and be subsidised a second time. The yearly cap per enterprise is ``funding.bounds``' rule; the
explanation only states it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.errors import Conflict
from core.money import ONE, ZERO, format_money, format_percent, quantize

from .models import SUBSIDISABLE_STATUSES, InterestSubsidyLoan, LoanPrimeRate, LoanStatus, PledgedRight, PledgeLoan

DAYS_IN_YEAR = Decimal(365)  # actual/365
SHARE_SHOWN = Decimal("0.0001")  # the IP share as people read it (52.94%); the formula keeps it exact

BASIS_PAID = "paid"
BASIS_LPR = "lpr"


# --- facts ------------------------------------------------------------------------------------

def lpr_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``: whose LPR a loan started on ``day`` is judged by."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_text(month: dt.date) -> str:
    return _("%(y)d 年 %(m)d 月") % {"y": month.year, "m": month.month}


def lpr_before(loan: PledgeLoan) -> Decimal:
    """The one-year LPR of the month before ``loan``'s start date (a fraction: 0.0345 = 3.45%);
    409 ``lpr_missing`` naming the month when the admin's table lacks it."""
    month = lpr_month(loan.start_date)
    rate = LoanPrimeRate.objects.filter(month=month).values_list("one_year", flat=True).first()
    if rate is None:
        raise Conflict(
            _("缺少 %(month)s 的 1 年期贷款市场报价利率（LPR）：贷款 #%(id)d（合同 %(contract)s）放款日为 %(start)s，"
              "按放款前一个月的 LPR 计算贴息。请管理员在“贷款市场报价利率”表中补录 %(month)s 的数据后再办理")
            % {"month": month_text(month), "id": loan.pk, "contract": loan.contract_no,
               "start": loan.start_date.isoformat()},
            code="lpr_missing",
        )
    return rate


def needs_lpr(rules) -> bool:
    """Whether the rules read the LPR at all (the LPR basis, or the ceiling on the paid basis)."""
    return rules.interest_basis == BASIS_LPR or rules.lpr_markup_cap is not None


def ip_valuation(loan: PledgeLoan) -> Decimal:
    """The sum of the valuations of the rights the loan pledges (prefetched ``rights`` are used)."""
    return sum((right.valuation for right in loan.rights.all()), ZERO)


def ip_share(loan: PledgeLoan, valuation: Decimal | None = None) -> Decimal:
    """min(1, IP valuation ÷ collateral_total), exact (not rounded); 1 when collateral_total is unset."""
    total = loan.collateral_total
    if total is None or total <= 0:
        return ONE
    valuation = ip_valuation(loan) if valuation is None else valuation
    return min(ONE, valuation / total)


def share_text(share: Decimal) -> str:
    """``60%``, or ``约 52.94%`` for a share that a percentage with two places does not hold exactly."""
    shown = share.quantize(SHARE_SHOWN, rounding=ROUND_HALF_UP)
    return format_percent(shown) if shown == share else _("约 %(share)s") % {"share": format_percent(shown)}


def ratio_of(rules, loan: PledgeLoan) -> Decimal:
    """insured_interest_ratio for an insured or guaranteed loan when the rule is set, else interest_ratio."""
    if loan.insured_or_guaranteed and rules.insured_interest_ratio is not None:
        return rules.insured_interest_ratio
    return rules.interest_ratio


def loan_end(loan: PledgeLoan) -> dt.date:
    """The day the loan stopped running: its settlement when settled early, else its maturity."""
    if loan.settled_on is not None:
        return min(loan.settled_on, loan.maturity_date)
    return loan.maturity_date


def balance_days(loan: PledgeLoan, year: int) -> Decimal:
    """Σ(outstanding principal × days) over the days of ``year`` the loan ran, from its start date to
    its end (exclusive); each repayment's principal lowers the outstanding from the repayment's date."""
    first = max(loan.start_date, dt.date(year, 1, 1))
    stop = min(loan_end(loan), dt.date(year + 1, 1, 1))
    if stop <= first:
        return ZERO
    repayments = sorted(((r.date, r.principal) for r in loan.repayments.all() if r.principal), key=lambda r: r[0])
    balance = loan.principal - sum((p for on, p in repayments if on <= first), ZERO)
    total, cursor = ZERO, first
    for on, principal in repayments:
        if first < on < stop:
            total += max(balance, ZERO) * (on - cursor).days
            balance -= principal
            cursor = on
    return total + max(balance, ZERO) * (stop - cursor).days


def interest_paid_in(loan: PledgeLoan, year: int) -> Decimal:
    """The interest the bank reported as paid in ``year`` (the loan's repayment rows)."""
    return sum((r.interest for r in loan.repayments.all() if r.date.year == year), ZERO)


# --- the formula --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoanInterest:
    """One loan's subsidy for one year: the figures of the formula, the amount (to 分) and its line."""

    loan_id: int
    year: int
    paid: Decimal  # interest reported as paid in the year
    counted: Decimal  # interest counted, before the IP share and the ratio (not rounded)
    share: Decimal  # IP share (exact)
    ratio: Decimal
    amount: Decimal  # counted × share × ratio, 分 half up
    line: str


def _prefix(loan: PledgeLoan) -> str:
    return _("贷款 #%(id)d（合同 %(contract)s）：") % {"id": loan.pk, "contract": loan.contract_no}


def _paid_counted(loan: PledgeLoan, year: int, rules, lpr: Decimal | None, paid: Decimal) -> tuple[Decimal, str]:
    figures = {"year": year, "paid": format_money(paid), "rate": format_percent(loan.annual_rate)}
    if rules.lpr_markup_cap is None:
        return paid, _("%(year)d 年实付利息 %(paid)s") % figures
    ceiling = lpr * (ONE + rules.lpr_markup_cap)
    figures.update(lpr=format_percent(lpr), markup=format_percent(ONE + rules.lpr_markup_cap),
                   month=month_text(lpr_month(loan.start_date)))
    # the interest the ceiling rate allows on the balance the loan had in the year: the contract rate
    # alone does not bound what a bank reports as paid
    product = balance_days(loan, year)
    allowed = ceiling * product / DAYS_IN_YEAR
    if loan.annual_rate <= ceiling:
        scaled = paid
        if scaled <= allowed:
            return paid, _("%(year)d 年实付利息 %(paid)s（合同利率 %(rate)s 不高于 LPR %(lpr)s（%(month)s）×%(markup)s，"
                           "全额计入）") % figures
        head = _("%(year)d 年实付利息 %(paid)s（合同利率 %(rate)s 不高于 LPR %(lpr)s（%(month)s）×%(markup)s）") % figures
    else:
        scaled = paid * ceiling / loan.annual_rate
        head = (_("%(year)d 年实付利息 %(paid)s × 计入比例（LPR %(lpr)s（%(month)s）×%(markup)s ÷ 合同利率 %(rate)s）")
                % figures)
        if scaled <= allowed:
            return scaled, head
    figures.update(product=format_money(product), allowed=format_money(allowed))
    return allowed, head + (_("，超过按 LPR %(lpr)s（%(month)s）×%(markup)s × 贷款余额积数 %(product)s·天 ÷ 365 "
                              "计算的上限 %(allowed)s，按上限计入") % figures)


def _lpr_counted(loan: PledgeLoan, year: int, lpr: Decimal, paid: Decimal) -> tuple[Decimal, str]:
    product = balance_days(loan, year)
    by_lpr = lpr * product / DAYS_IN_YEAR
    counted = min(by_lpr, paid)
    return counted, (
        _("按 LPR 计息 LPR %(lpr)s（%(month)s）× 贷款余额积数 %(product)s·天 ÷ 365 = %(by_lpr)s，"
          "与 %(year)d 年实付利息 %(paid)s 取低者 %(counted)s")
        % {"lpr": format_percent(lpr), "month": month_text(lpr_month(loan.start_date)),
           "product": format_money(product), "by_lpr": format_money(by_lpr), "year": year,
           "paid": format_money(paid), "counted": format_money(counted)})


def loan_amount(loan: PledgeLoan, year: int, rules, *, lpr: Decimal | None) -> LoanInterest:
    """The formula over the facts it is given: ``loan`` (its ``rights`` and ``repayments``, prefetched
    or not), ``year``, the rules and the one-year LPR of the month before the start (None when the
    rules do not read it). Pure: nothing is looked up but the loan's own rows."""
    if needs_lpr(rules) and lpr is None:
        raise ValueError("the rules read the LPR: pass it (lpr_before)")
    paid = interest_paid_in(loan, year)
    if rules.interest_basis == BASIS_LPR:
        counted, head = _lpr_counted(loan, year, lpr, paid)
    else:
        counted, head = _paid_counted(loan, year, rules, lpr, paid)
    valuation = ip_valuation(loan)
    share = ip_share(loan, valuation)
    ratio = ratio_of(rules, loan)
    amount = quantize(counted * share * ratio)  # the one rounding of the loan's amount
    parts = [_prefix(loan), head]
    if loan.collateral_total is not None:
        parts.append(_(" × 知识产权占比 %(share)s（知识产权评估价值 %(ip)s ÷ 抵质押物总价值 %(total)s）")
                     % {"share": share_text(share), "ip": format_money(valuation),
                        "total": format_money(loan.collateral_total)})
    if loan.insured_or_guaranteed and rules.insured_interest_ratio is not None:
        parts.append(_(" × 贴息比例 %(ratio)s（有保险或担保）") % {"ratio": format_percent(ratio)})
    else:
        parts.append(_(" × 贴息比例 %(ratio)s") % {"ratio": format_percent(ratio)})
    parts.append(_(" = %(amount)s") % {"amount": format_money(amount)})
    return LoanInterest(loan_id=loan.pk, year=year, paid=paid, counted=counted, share=share, ratio=ratio,
                        amount=amount, line="".join(parts))


def loan_interest(loan: PledgeLoan, year: int, rules) -> LoanInterest:
    """``loan_amount`` with the LPR looked up when the rules read it (409 ``lpr_missing``)."""
    return loan_amount(loan, year, rules, lpr=lpr_before(loan) if needs_lpr(rules) else None)


# --- eligibility --------------------------------------------------------------------------------

def first_pledge_problem(loan: PledgeLoan) -> str | None:
    """Why the loan is not a first-time pledge of a patent (None: it pledges at least one patent that
    no earlier-registered loan of any bank, cancelled ones aside, pledged; registration order, not
    the reported start date — see the module's docstring)."""
    patents = [right.number for right in loan.rights.all() if right.kind == PledgedRight.Kind.PATENT]
    if not patents:
        return _("%(loan)s未质押专利权，本项目只对首次质押专利的贷款贴息") % {"loan": _prefix(loan)}
    earlier = (
        PledgedRight.objects.filter(kind=PledgedRight.Kind.PATENT, number__in=patents)
        .exclude(loan_id=loan.pk).exclude(loan__status=LoanStatus.CANCELLED)
        .filter(loan_id__lt=loan.pk)
        .values_list("number", "loan__contract_no", "loan__start_date")
    )
    seen: dict[str, tuple[str, dt.date]] = {}
    for number, contract, start in earlier.order_by("loan_id"):
        seen.setdefault(number, (contract, start))
    if len(seen) < len(set(patents)):
        return None
    before = "；".join(_("%(number)s 已在合同 %(contract)s（放款日 %(start)s）中质押")
                      % {"number": number, "contract": contract, "start": start.isoformat()}
                      for number, (contract, start) in sorted(seen.items()))
    return _("%(loan)s不是首次质押专利的贷款（%(before)s），本项目只对首次质押专利的贷款贴息") % {
        "loan": _prefix(loan), "before": before}


def max_years_problem(loan: PledgeLoan, rules, *, application=None) -> str | None:
    """Why the loan has had its years (None: fewer than ``max_years_per_loan`` other live claims)."""
    limit = rules.max_years_per_loan
    if limit is None:
        return None
    years = InterestSubsidyLoan.objects.filter(loan_id=loan.pk, live=True)
    if application is not None:
        years = years.exclude(claim__application=application)
    claimed = sorted(set(years.values_list("year", flat=True)))
    if len(claimed) < limit:
        return None
    return _("%(loan)s已申请 %(years)s 年的贴息，本项目每笔贷款最多贴息 %(n)d 年") % {
        "loan": _prefix(loan), "years": "、".join(map(str, claimed)), "n": limit}


def loan_problem(loan: PledgeLoan, rules, *, application=None) -> str | None:
    """What the program's rules say against subsidising ``loan`` (None: nothing)."""
    if rules.first_pledge_only:
        problem = first_pledge_problem(loan)
        if problem:
            return problem
    return max_years_problem(loan, rules, application=application)


# --- a claim ------------------------------------------------------------------------------------

def claim_loans(loan_ids: list[int]) -> list[PledgeLoan]:
    """The loans of a claim with the rows the formula reads (three queries), in the order given."""
    loans = PledgeLoan.objects.filter(pk__in=loan_ids).prefetch_related("rights", "repayments")
    by_id = {loan.pk: loan for loan in loans}
    return [by_id[i] for i in loan_ids if i in by_id]


def reckon(loans: list[PledgeLoan], year: int, rules, *, applicant_id: int,
           application=None) -> tuple[Decimal, list[str], list[LoanInterest]]:
    """The claim's rule amount (the sum of each loan's amount, each already to 分), the lines that
    explain it, and each loan's figures. A loan that is no longer the applicant's own active or settled
    loan, or that the rules no longer admit, counts 0 with its reason."""
    total, lines, figures = ZERO, [], []
    for loan in loans:
        if loan.borrower_id != applicant_id:
            lines.append(_("%(loan)s不是申请企业的贷款，不计入贴息") % {"loan": _prefix(loan)})
            continue
        if loan.status not in SUBSIDISABLE_STATUSES:
            lines.append(_("%(loan)s状态为「%(status)s」，只有正常或已结清的贷款计入贴息")
                         % {"loan": _prefix(loan), "status": loan.get_status_display()})
            continue
        problem = loan_problem(loan, rules, application=application)
        if problem:
            lines.append(problem)
            continue
        result = loan_interest(loan, year, rules)
        figures.append(result)
        lines.append(result.line)
        total += result.amount
    if len(figures) > 1:
        lines.append(_("各笔贷款合计 %(amount)s") % {"amount": format_money(total)})
    if rules.cap_per_applicant_year is not None:
        lines.append(_("每家企业每年贴息不超过 %(cap)s") % {"cap": format_money(rules.cap_per_applicant_year)})
    return total, lines, figures


def formula_lines(rules) -> list[str]:
    """The formula of ``rules`` in words, for the program's guide (no loan: the rule values only)."""
    figures = {"ratio": format_percent(rules.interest_ratio)}
    if rules.interest_basis == BASIS_LPR:
        lines = [_("贴息金额 = 放款日前一个月的 1 年期 LPR × 年度内每日贷款余额之和 ÷ 365（不超过当年实付利息）"
                   "× 知识产权占比 × %(ratio)s") % figures]
    else:
        lines = [_("贴息金额 = 年度内银行报送的已付质押贷款利息 × 知识产权占比 × %(ratio)s") % figures]
    if rules.interest_basis != BASIS_LPR and rules.lpr_markup_cap is not None:
        lines.append(_("合同利率高于放款日前一个月 1 年期 LPR×%(markup)s 的，利息按 LPR×%(markup)s 折算计入")
                     % {"markup": format_percent(ONE + rules.lpr_markup_cap)})
        lines.append(_("计入的利息不超过按 LPR×%(markup)s 对年度内每日贷款余额之和 ÷ 365 计算的利息")
                     % {"markup": format_percent(ONE + rules.lpr_markup_cap)})
    lines.append(_("知识产权占比 = 质押知识产权评估价值 ÷ 全部抵质押物价值（仅以知识产权质押的为 100%）"))
    if rules.insured_interest_ratio is not None:
        lines.append(_("贷款有保险或担保的，贴息比例为 %(ratio)s") % {"ratio": format_percent(rules.insured_interest_ratio)})
    if rules.first_pledge_only:
        lines.append(_("仅限首次质押专利权的贷款"))
    if rules.max_years_per_loan is not None:
        lines.append(_("每笔贷款最多贴息 %(n)d 年") % {"n": rules.max_years_per_loan})
    return lines


def collateral_facts(loan: PledgeLoan) -> list[tuple[str, str]]:
    """(label, text) of the loan's collateral for its page: IP valuation, total collateral, IP share,
    insurance or guarantee."""
    valuation = ip_valuation(loan)
    share = ip_share(loan, valuation)
    total = loan.collateral_total
    return [
        (_("知识产权评估价值合计"), format_money(valuation)),
        (str(PledgeLoan._meta.get_field("collateral_total").verbose_name),
         format_money(total) if total is not None else _("未报送（仅知识产权质押）")),
        (_("知识产权占比"), share_text(share)),
        (str(PledgeLoan._meta.get_field("insured_or_guaranteed").verbose_name),
         _("是") if loan.insured_or_guaranteed else _("否")),
    ]
