"""The three funding programs' handlers: details, eligibility (explained), computed amounts.

Each handler reckons its rule amount once (``_reckon``: the amount and the lines that explain it);
``rule_amount`` and ``explain`` both read that one computation. ``patent_eligibility`` is the read-only
form of the checks ``create_details`` applies to a patent, for the pages that offer the registry.
"""

from collections import Counter
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid
from core.money import format_money, format_percent

from .models import AwardLevel, AwardNomination, IndustrializationPlan, PatentClaim, SubsidyClaim
from .programs import ProgramHandler, register
from .rule_versions import current_rules
from .rules import ZERO, asset_problem, money, patent_assets, quantize
from .ruleset import RuleSet
from .workflow import ProgramCode

Reckoning = tuple[Decimal, list[str]]  # the rule amount, and how it was reached


def claimed_elsewhere(program_id: int, patent, application=None) -> int | None:
    """The live application of the program that already claims ``patent`` (other than ``application``)."""
    rows = PatentClaim.objects.filter(program_id=program_id, patent=patent, live=True)
    if application is not None:
        rows = rows.exclude(application=application)
    return rows.values_list("application_id", flat=True).first()


class Reckoned:
    """``rule_amount`` and ``explain`` from the one computation, ``_reckon``: the rule stays in one place."""

    def _reckon(self, application) -> Reckoning | None:
        return None

    def rule_amount(self, application) -> Decimal | None:
        reckoning = self._reckon(application)
        return None if reckoning is None else reckoning[0]

    def explain(self, application) -> list[str]:
        """How the rule amount is reached, a line per step, from the numbers ``rule_amount`` uses."""
        reckoning = self._reckon(application)
        return [] if reckoning is None else reckoning[1]


def _claimed_message(patent, application_id: int) -> str:
    return (_("专利 %(no)s 已在申请 #%(id)s 中申报，同一专利只能获得一次资助")
            % {"no": patent.number, "id": application_id})


def claim_patents(application, patents, standards: dict | None = None) -> None:
    """Link patents to the application. The DB's partial unique index keeps a patent funded once
    per program, ever (live claims); a race loser gets a 409 naming the patent."""
    PatentClaim.objects.filter(application=application).delete()
    standards = standards or {}
    for patent in patents:
        existing = claimed_elsewhere(application.program_id, patent, application)
        if existing:
            raise Conflict(_claimed_message(patent, existing), code="patent_already_claimed")
        try:
            with transaction.atomic():
                PatentClaim.objects.create(application=application, program_id=application.program_id,
                                           patent=patent, standard_amount=standards.get(patent.pk, ZERO))
        except IntegrityError:
            raise Conflict(_("专利 %(no)s 已被其他申请申报，同一专利只能获得一次资助") % {"no": patent.number},
                           code="patent_already_claimed") from None


def _claimed_patents(application) -> list[dict]:
    return [
        {"number": c.patent.number, "title": c.patent.title, "standard_amount": str(c.standard_amount)}
        for c in application.patent_claims.all()
    ]


class PatentClaims:
    """Programs whose cases claim the applicant's own registered patents (once per program, ever)."""

    def patent_problem(self, rules: RuleSet, patent, fiscal_year: int) -> str | None:
        """What the program's own rules say against ``patent`` (None: nothing)."""
        return None

    def patent_eligibility(self, program, applicant, asset, *, rules: RuleSet | None = None,
                           fiscal_year: int | None = None, application=None) -> tuple[bool, str]:
        """(may claim, why not) for ``applicant``'s registered ``asset``: the checks ``create_details``
        applies (owner, validity, the program's rule, claimed once per program), read only. Under
        ``application``'s rules and year when given, else the program's current rules and this year."""
        if rules is None:
            rules = application.rules if application is not None else current_rules(program)
        if fiscal_year is None:
            fiscal_year = application.fiscal_year if application is not None else timezone.localdate().year
        problem = asset_problem(asset, applicant) or self.patent_problem(rules, asset, fiscal_year)
        if problem is None:
            existing = claimed_elsewhere(program.pk, asset, application)
            if existing:
                problem = _claimed_message(asset, existing)
        return problem is None, problem or ""


def patent_kind(patent) -> str:
    """国内发明专利 / 国外发明专利（US）: how the explanation names a patent's standard."""
    kind = patent.get_patent_type_display()
    if patent.country == "CN":
        return _("国内%(type)s专利") % {"type": kind}
    return _("国外%(type)s专利（%(country)s）") % {"type": kind, "country": patent.country}


class SubsidyHandler(PatentClaims, Reckoned, ProgramHandler):
    code = ProgramCode.APPLICATION_SUBSIDY
    formula = True

    def patent_problem(self, rules: RuleSet, patent, fiscal_year: int) -> str | None:
        """Only granted patents of a type with a standard, granted in the years the rules look back."""
        if rules.subsidy_standard(patent.patent_type, patent.country) is None:
            return (_("专利 %(no)s 为%(type)s专利，本项目只资助已授权的发明专利")
                    % {"no": patent.number, "type": patent.get_patent_type_display()})
        first = fiscal_year - rules.grant_years_back
        if patent.granted_on is None or not (first <= patent.granted_on.year < fiscal_year):
            return (_("专利 %(no)s 授权日为 %(date)s，本项目只资助 %(first)s–%(last)s 年授权的专利")
                    % {"no": patent.number, "date": patent.granted_on or _("未授权"), "first": first,
                       "last": fiscal_year - 1})
        return None

    def create_details(self, application, data: dict, *, by) -> None:
        fees = money(data.get("official_fees_paid"), "official_fees_paid")
        patents = patent_assets(data.get("patents"), "patents", application.applicant)
        rules = application.rules
        errors: list[str] = []
        standards: dict[int, Decimal] = {}
        for patent in patents:
            problem = self.patent_problem(rules, patent, application.fiscal_year)
            if problem:
                errors.append(problem)
            else:
                standards[patent.pk] = rules.subsidy_standard(patent.patent_type, patent.country)
        if errors:
            raise Invalid(errors={"patents": errors})
        SubsidyClaim.objects.update_or_create(application=application, defaults={"official_fees_paid": fees})
        claim_patents(application, patents, standards)

    def _reckon(self, application) -> Reckoning | None:
        """Σ the standard of each claimed patent under the case's rules, at most fee_share × fees paid."""
        claim = SubsidyClaim.objects.filter(application=application).first()
        if claim is None:
            return None
        rules = application.rules
        groups: Counter = Counter()
        for patent_claim in application.patent_claims.select_related("patent").order_by("id"):
            patent = patent_claim.patent
            groups[(patent_kind(patent), rules.subsidy_standard(patent.patent_type, patent.country))] += 1
        lines: list[str] = []
        total = ZERO
        for (kind, standard), count in groups.items():
            if standard is None:
                lines.append(_("%(n)d 件%(kind)s：不在本项目资助范围，计 0 元") % {"n": count, "kind": kind})
                continue
            total += standard * count
            lines.append(_("%(n)d 件%(kind)s × %(std)s = %(sub)s")
                         % {"n": count, "kind": kind, "std": format_money(standard),
                            "sub": format_money(standard * count)})
        if len(groups) > 1:
            lines.append(_("资助标准合计 %(total)s") % {"total": format_money(total)})
        limit = quantize(rules.fee_share * claim.official_fees_paid)
        lines.append(_("不超过已缴官费 %(fees)s的 %(share)s（%(limit)s）")
                     % {"fees": format_money(claim.official_fees_paid), "share": format_percent(rules.fee_share),
                        "limit": format_money(limit)})
        amount = quantize(min(total, rules.fee_share * claim.official_fees_paid))
        lines.append(_("按规则计算的资助金额：%(amount)s") % {"amount": format_money(amount)})
        return amount, lines

    def details(self, application) -> dict:
        claim = getattr(application, "subsidy_claim", None)
        return {"official_fees_paid": str(claim.official_fees_paid) if claim else None,
                "patents": _claimed_patents(application)}


class AwardHandler(Reckoned, ProgramHandler):
    code = ProgramCode.PATENT_AWARD
    formula = True

    def create_details(self, application, data: dict, *, by) -> None:
        level = data.get("level")
        amount = application.rules.award_amount(level) if isinstance(level, str) else None
        if level not in AwardLevel.values or amount is None:
            raise Invalid(_("奖项等级应为 gold（金奖）、silver（银奖）或 excellence（优秀奖）"), field="level")
        patent = patent_assets(data.get("patent"), "patent", application.applicant)[0]
        AwardNomination.objects.update_or_create(application=application, defaults={"level": level})
        claim_patents(application, [patent], {patent.pk: amount})

    def _reckon(self, application) -> Reckoning | None:
        """The level's amount under the case's rules (0 if the level was dropped from the rules)."""
        nomination = AwardNomination.objects.filter(application=application).first()
        if nomination is None:
            return None
        standard = application.rules.award_amount(nomination.level)
        amount = quantize(standard or ZERO)
        level = AwardLevel(nomination.level).label
        if standard is None:
            return amount, [_("%(level)s：本项目规则已不设该等级，计 0 元") % {"level": level}]
        return amount, [_("%(level)s奖励标准 %(amount)s") % {"level": level, "amount": format_money(amount)}]

    def details(self, application) -> dict:
        nomination = getattr(application, "award_nomination", None)
        claims = _claimed_patents(application)
        return {"level": nomination.level if nomination else None,
                "patent": claims[0]["number"] if claims else None}


class IndustrializationHandler(PatentClaims, Reckoned, ProgramHandler):
    code = ProgramCode.INDUSTRIALIZATION

    def create_details(self, application, data: dict, *, by) -> None:
        total = money(data.get("total_investment"), "total_investment")
        own = money(data.get("self_funding"), "self_funding", allow_zero=True)
        output = money(data.get("expected_output_value"), "expected_output_value", allow_zero=True)
        jobs = data.get("jobs")
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
            try:
                jobs = int(str(jobs))
                if jobs < 0:
                    raise ValueError
            except ValueError:
                raise Invalid(_("新增就业应为非负整数"), field="jobs") from None
        if own > total:
            raise Invalid(_("自筹资金不能超过总投资"), field="self_funding")
        patents = patent_assets(data.get("patents"), "patents", application.applicant)
        IndustrializationPlan.objects.update_or_create(application=application, defaults={
            "total_investment": total, "self_funding": own, "expected_output_value": output, "jobs": jobs})
        claim_patents(application, patents)

    def _reckon(self, application) -> Reckoning | None:
        """The funding gap: total investment − self-funding (the fund never pays for what is funded)."""
        plan = IndustrializationPlan.objects.filter(application=application).first()
        if plan is None:
            return None
        gap = quantize(max(ZERO, plan.total_investment - plan.self_funding))
        rules = application.rules
        lines = [_("总投资 %(total)s − 自筹资金 %(own)s = 资金缺口 %(gap)s；申请金额不得超过资金缺口")
                 % {"total": format_money(plan.total_investment), "own": format_money(plan.self_funding),
                    "gap": format_money(gap)}]
        if rules.cap_per_project is not None:
            lines.append(_("单个项目资助不超过 %(cap)s") % {"cap": format_money(rules.cap_per_project)})
        if rules.first_tranche_share < 1:
            lines.append(_("验收前拨付不超过批准金额的 %(share)s，余款验收通过后拨付")
                         % {"share": format_percent(rules.first_tranche_share)})
        return gap, lines

    def details(self, application) -> dict:
        plan = getattr(application, "industrialization_plan", None)
        if plan is None:
            return {"patents": _claimed_patents(application)}
        return {"patents": _claimed_patents(application), "total_investment": str(plan.total_investment),
                "self_funding": str(plan.self_funding), "expected_output_value": str(plan.expected_output_value),
                "jobs": plan.jobs}


register(SubsidyHandler())
register(AwardHandler())
register(IndustrializationHandler())
