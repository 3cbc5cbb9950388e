"""The three funding programs' handlers: details, eligibility (explained), computed amounts."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid
from core.money import format_money, format_percent

from .models import AwardLevel, AwardNomination, IndustrializationPlan, PatentClaim, SubsidyClaim
from .programs import ProgramHandler, register
from .rules import ZERO, money, patent_assets, quantize
from .workflow import ProgramCode


def claim_patents(application, patents, standards: dict | None = None) -> None:
    """Link patents to the application. The DB's partial unique index keeps a patent funded once
    per program, ever (live claims); a race loser gets a 409 naming the patent."""
    PatentClaim.objects.filter(application=application).delete()
    standards = standards or {}
    for patent in patents:
        existing = (
            PatentClaim.objects.filter(program_id=application.program_id, patent=patent, live=True)
            .exclude(application=application).values_list("application_id", flat=True).first()
        )
        if existing:
            raise Conflict(_("专利 %(no)s 已在申请 #%(id)s 中申报，同一专利只能获得一次资助")
                           % {"no": patent.number, "id": existing}, code="patent_already_claimed")
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


class SubsidyHandler(ProgramHandler):
    code = ProgramCode.APPLICATION_SUBSIDY
    formula = True

    def create_details(self, application, data: dict, *, by) -> None:
        fees = money(data.get("official_fees_paid"), "official_fees_paid")
        patents = patent_assets(data.get("patents"), "patents", application.applicant)
        rules = application.rules
        errors: list[str] = []
        standards: dict[int, Decimal] = {}
        first = application.fiscal_year - rules.grant_years_back
        for patent in patents:
            standard = rules.subsidy_standard(patent.patent_type, patent.country)
            if standard is None:
                errors.append(_("专利 %(no)s 为%(type)s专利，本项目只资助已授权的发明专利")
                              % {"no": patent.number, "type": patent.get_patent_type_display()})
            elif patent.granted_on is None or not (first <= patent.granted_on.year < application.fiscal_year):
                errors.append(_("专利 %(no)s 授权日为 %(date)s，本项目只资助 %(first)s–%(last)s 年授权的专利")
                              % {"no": patent.number, "date": patent.granted_on or _("未授权"), "first": first,
                                 "last": application.fiscal_year - 1})
            else:
                standards[patent.pk] = standard
        if errors:
            raise Invalid(errors={"patents": errors})
        SubsidyClaim.objects.update_or_create(application=application, defaults={"official_fees_paid": fees})
        claim_patents(application, patents, standards)

    def rule_amount(self, application) -> Decimal | None:
        """Σ the standard of each claimed patent under the case's rules, at most fee_share × fees paid."""
        claim = SubsidyClaim.objects.filter(application=application).first()
        if claim is None:
            return None
        rules = application.rules
        total = ZERO
        for patent_claim in application.patent_claims.select_related("patent"):
            patent = patent_claim.patent
            total += rules.subsidy_standard(patent.patent_type, patent.country) or ZERO
        return quantize(min(total, rules.fee_share * claim.official_fees_paid))

    def explain(self, application) -> str:
        claim = SubsidyClaim.objects.filter(application=application).first()
        if claim is None:
            return ""
        return _("各专利资助标准之和，且不超过已缴官费 %(fees)s 的 %(share)s") % {
            "fees": format_money(claim.official_fees_paid), "share": format_percent(application.rules.fee_share)}

    def details(self, application) -> dict:
        claim = getattr(application, "subsidy_claim", None)
        return {"official_fees_paid": str(claim.official_fees_paid) if claim else None,
                "patents": _claimed_patents(application)}


class AwardHandler(ProgramHandler):
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

    def rule_amount(self, application) -> Decimal | None:
        """The level's amount under the case's rules (0 if the level was dropped from the rules)."""
        nomination = AwardNomination.objects.filter(application=application).first()
        if nomination is None:
            return None
        return quantize(application.rules.award_amount(nomination.level) or ZERO)

    def details(self, application) -> dict:
        nomination = getattr(application, "award_nomination", None)
        claims = _claimed_patents(application)
        return {"level": nomination.level if nomination else None,
                "patent": claims[0]["number"] if claims else None}


class IndustrializationHandler(ProgramHandler):
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

    def rule_amount(self, application) -> Decimal | None:
        """The funding gap: total investment − self-funding (the fund never pays for what is funded)."""
        plan = IndustrializationPlan.objects.filter(application=application).first()
        if plan is None:
            return None
        return quantize(max(ZERO, plan.total_investment - plan.self_funding))

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
