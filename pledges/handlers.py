"""The two pledge-financing programs behind funding's ``ProgramHandler`` interface.

- interest_subsidy (质押贷款贴息): the formula of ``pledges.interest`` (interest paid, or the LPR,
  × the IP share × the ratio) over the enterprise's own active or settled loans that the program's
  rules admit (first pledge, years per loan), capped per enterprise per year by funding.bounds.
- risk_compensation (风险补偿): risk_share × outstanding principal at default, capped per loan and
  (by funding's approve) by the budget's room; when fully paid the loan becomes compensated. In a
  region with a risk pool (``pledges.pool``): only covered loans, not past the loss-ratio breaker,
  and each payment split between the pool's funders.

Rules are read from ``application.rules`` (frozen at submission); ``rule_amount`` re-derives the
amount from the current facts (repayment rows, loan states), never from stored figures.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, Invalid
from core.money import ZERO, format_money, format_percent, quantize
from funding.handlers import Reckoned, Reckoning
from funding.programs import ProgramHandler, register
from funding.workflow import ProgramCode, Transition

from . import interest as interest_formula
from . import pool, pool_shares
from .models import (
    SUBSIDISABLE_STATUSES,
    InterestSubsidyClaim,
    InterestSubsidyLoan,
    PledgeLoan,
    RiskCompensationClaim,
)
from .selectors import live_interest_paid
from .services import loan_compensate


def risk_compensation_amount(rules, outstanding: Decimal) -> Decimal:
    """risk_share × outstanding at default, fixed to 分 half up, capped per loan (``rules``: a
    program or ``application.rules``)."""
    amount = quantize(outstanding * rules.risk_share)
    if rules.cap_per_project is not None:
        amount = min(amount, rules.cap_per_project)
    return amount


def _parse_year(value: object) -> int:
    current = timezone.localdate().year
    try:
        year = int(value) if not isinstance(value, bool) and str(value).strip().isdigit() else None
    except (TypeError, ValueError):
        year = None
    if year is None:
        raise Invalid(_("贴息年度应为四位年份，例如 %(y)d") % {"y": current - 1}, field="year")
    if not 2000 <= year <= current:
        raise Invalid(_("贴息年度 %(y)d 不合理：应在 2000 至 %(c)d 年之间") % {"y": year, "c": current}, field="year")
    return year


def _parse_loan_ids(value: object) -> list[int]:
    if not isinstance(value, list) or not value:
        raise Invalid(_("请列出申请贴息的贷款（贷款 ID 列表）"), field="loans")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not (isinstance(item, int) or (isinstance(item, str) and item.isdigit())):
            raise Invalid(_("贷款 ID 应为整数：%(v)s") % {"v": str(item)[:20]}, field="loans")
        if int(item) in ids:
            raise Invalid(_("贷款 %(id)s 重复列出") % {"id": item}, field="loans")
        ids.append(int(item))
    return ids


class InterestSubsidyHandler(Reckoned, ProgramHandler):
    code = ProgramCode.INTEREST_SUBSIDY
    formula = True  # the amount is the rule's (computed_amount defaults to rule_amount)

    def default_fiscal_year(self, data: dict) -> int | None:
        """A year's interest is subsidised from the next year's funds."""
        year = str(data.get("year", "")).strip()
        if not (year.isascii() and year.isdigit() and len(year) == 4):
            return None  # create_details says what is wrong with it
        return int(year) + 1 if 2000 <= int(year) <= timezone.localdate().year else None

    def create_details(self, application, data: dict, *, by) -> None:
        year = _parse_year(data.get("year"))
        # A year's interest is paid from the next year's budget, and the yearly cap per enterprise is
        # held per fiscal year: one interest year is one fiscal year, however it was claimed.
        if application.fiscal_year != year + 1:
            raise Invalid(_("%(y)d 年的利息在 %(f)d 年度资金中贴息：资金年度应为 %(f)d，收到 %(got)d")
                          % {"y": year, "f": year + 1, "got": application.fiscal_year}, field="fiscal_year")
        loan_ids = _parse_loan_ids(data.get("loans"))
        own = dict(
            PledgeLoan.objects.filter(pk__in=loan_ids, borrower_id=application.applicant_id).values_list("pk", "status")
        )
        foreign = [i for i in loan_ids if i not in own]
        if foreign:
            raise Invalid(_("贷款 %(ids)s 不存在或不是本企业的贷款") % {"ids": "、".join(map(str, foreign))},
                          field="loans")
        ineligible = [i for i in loan_ids if own[i] not in SUBSIDISABLE_STATUSES]
        if ineligible:
            raise Invalid(_("贷款 %(ids)s 已撤销登记、违约或已补偿：只有正常或已结清的贷款可以申请贴息")
                          % {"ids": "、".join(map(str, ineligible))}, field="loans")
        interest = live_interest_paid(loan_ids, year)
        unpaid = [i for i in loan_ids if not interest.get(i)]
        if unpaid:
            raise Invalid(_("贷款 %(ids)s 在 %(y)d 年没有银行报送的已付利息")
                          % {"ids": "、".join(map(str, unpaid)), "y": year}, field="loans")
        claimed = list(
            InterestSubsidyLoan.objects.filter(loan_id__in=loan_ids, year=year, live=True)
            .exclude(claim__application=application).values_list("loan_id", flat=True)
        )
        if claimed:
            raise Conflict(_("贷款 %(ids)s 的 %(y)d 年利息已申请过贴息")
                           % {"ids": "、".join(map(str, claimed)), "y": year}, code="interest_already_claimed")
        rules = application.rules
        loans = interest_formula.claim_loans(loan_ids)
        problems = [p for p in (interest_formula.loan_problem(loan, rules, application=application) for loan in loans) if p]
        if problems:
            raise Invalid("；".join(problems), field="loans")
        # The formula (pledges.interest): each loan's amount to 分, summed. The yearly cap per enterprise
        # is funding's one race-proof rule (held per program and fiscal year, checked under a lock at
        # submission and approval): not repeated here.
        amount = sum((interest_formula.loan_interest(loan, year, rules).amount for loan in loans), ZERO)
        if amount <= 0:
            raise Invalid(_("按贴息比例计算的金额为 0，无法申请"), field="loans")
        try:
            with transaction.atomic():
                claim, _created = InterestSubsidyClaim.objects.update_or_create(
                    application=application, defaults={"year": year}
                )
                claim.claim_loans.all().delete()
                InterestSubsidyLoan.objects.bulk_create([
                    InterestSubsidyLoan(claim=claim, loan_id=i, year=year, interest_paid=interest[i]) for i in loan_ids
                ])
        except IntegrityError:
            raise Conflict(_("所列贷款的 %(y)d 年利息已被其他申请占用") % {"y": year},
                           code="interest_already_claimed") from None
        application.requested_amount = amount

    def _reckon(self, application) -> Reckoning | None:
        """The formula of ``pledges.interest`` over the claimed loans, re-derived from the facts now
        (repayment rows, loan states, the LPR table) under ``application.rules``: each loan's amount to
        分 half up, summed; a loan no longer the applicant's own active or settled loan, or no longer
        admitted by the rules, counts 0 with its reason. A missing LPR month is a 409 ``lpr_missing``.
        The yearly cap is funding's (``funding.bounds``), only stated here."""
        claim = InterestSubsidyClaim.objects.filter(application=application).first()
        if claim is None:
            return None
        loans = interest_formula.claim_loans(list(claim.claim_loans.order_by("id").values_list("loan_id", flat=True)))
        amount, lines, _figures = interest_formula.reckon(loans, claim.year, application.rules,
                                                          applicant_id=application.applicant_id,
                                                          application=application)
        return amount, lines

    def explain(self, application) -> list[str]:
        """The formula's lines; on a page a missing LPR month reads as its message, not an error."""
        try:
            return super().explain(application)
        except Conflict as exc:
            return [exc.message]

    def formula_lines(self, rules) -> list[str]:
        """The formula of ``rules`` in words (the program guide), without a case."""
        return interest_formula.formula_lines(rules)

    def details(self, application) -> dict:
        claim = getattr(application, "interest_claim", None)
        if claim is None:
            return {}
        rows = list(claim.claim_loans.all())
        return {
            "year": claim.year,
            "loans": [row.loan_id for row in rows],
            "interest_paid": str(sum((row.interest_paid for row in rows), ZERO)),
        }

    def on_released(self, application, by=None) -> None:
        InterestSubsidyLoan.objects.filter(claim__application=application).update(live=False)


class RiskCompensationHandler(Reckoned, ProgramHandler):
    code = ProgramCode.RISK_COMPENSATION
    cap_by_budget_room = True
    formula = True

    def create_details(self, application, data: dict, *, by) -> None:
        loan = data.get("loan")
        if not isinstance(loan, PledgeLoan):
            raise Invalid(_("风险补偿申请由银行登记贷款违约时自动生成"), field="loan")
        RiskCompensationClaim.objects.create(
            application=application, loan=loan, outstanding_at_default=loan.outstanding_at_default,
            share=application.rules.risk_share,
        )

    def _reckon(self, application) -> Reckoning | None:
        """risk_share × outstanding at default, capped per loan by cap_per_project, and never more than
        the loan's outstanding after the repayments the bank reported (recomputed from the rows)."""
        claim = RiskCompensationClaim.objects.filter(application=application).select_related("loan").first()
        if claim is None:
            return None
        loan = claim.loan
        repaid = loan.repayments.aggregate(total=Coalesce(Sum("principal"), ZERO))["total"]
        base = max(ZERO, min(claim.outstanding_at_default, loan.principal - repaid))
        rules = application.rules
        amount = min(risk_compensation_amount(rules, base), base)
        lines = [_("违约时未偿本金 %(base)s × 风险补偿分担比例 %(share)s = %(amount)s")
                 % {"base": format_money(base), "share": format_percent(rules.risk_share),
                    "amount": format_money(quantize(base * rules.risk_share))}]
        if base < claim.outstanding_at_default:
            lines.insert(0, _("违约时未偿本金 %(at)s，扣除银行报送的还款后为 %(base)s")
                         % {"at": format_money(claim.outstanding_at_default), "base": format_money(base)})
        if rules.cap_per_project is not None:
            lines.append(_("每笔贷款补偿不超过 %(cap)s；按规则计算的补偿金额：%(amount)s")
                         % {"cap": format_money(rules.cap_per_project), "amount": format_money(amount)})
        return amount, lines

    def explain(self, application) -> list[str]:
        return [*super().explain(application), *pool.status_lines(application)]

    def lock_related(self, application) -> None:
        """Funding's transitions lock the application, then (here) its loan and the loan's risk pool,
        then the budget."""
        claim_loan = RiskCompensationClaim.objects.filter(application=application).values_list("loan_id", flat=True)
        pool.lock_pools_of(list(PledgeLoan.objects.select_for_update().filter(pk__in=list(claim_loan))))

    def refuse_transition(self, application, name: str) -> None:
        """Approval: 409 loan_not_covered / pool_breaker_tripped (``pledges.pool``)."""
        if name == Transition.APPROVE:
            pool.refuse_compensation(application)

    def after_effects(self, application, name: str, amount, by=None) -> None:
        """An approval may take the pool's loss ratio over a threshold (the inbox is told); a payment
        is split between the pool's funders."""
        if name == Transition.APPROVE:
            pool.after_approval(application, amount)
        elif name == Transition.DISBURSE:
            pool_shares.share_payment(application, amount, by=by)

    def details(self, application) -> dict:
        claim = getattr(application, "risk_claim", None)
        if claim is None:
            return {}
        return {
            "loan": claim.loan_id,
            "outstanding_at_default": str(claim.outstanding_at_default),
            "share": str(claim.share),
        }

    def on_disbursed(self, application, by=None) -> None:
        claim = RiskCompensationClaim.objects.filter(application=application).first()
        if claim is not None:
            loan_compensate(loan_id=claim.loan_id, by=by)


register(InterestSubsidyHandler())
register(RiskCompensationHandler())
