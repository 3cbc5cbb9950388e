"""The three funding programs' handlers: details, eligibility (explained), computed amounts."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid

from .models import AwardLevel, AwardNomination, IndustrializationPlan, PatentClaim, SubsidyClaim
from .programs import ProgramHandler, register
from .rules import ZERO, applicant_year_total, money, patent_assets, quantize
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


def _cap_note(application, amount: Decimal, field: str = "requested_amount") -> Decimal:
    """The applicant's yearly cap in this program, minus what it already holds this year."""
    cap = application.program.cap_per_applicant_year
    if cap is None:
        return amount
    room = cap - applicant_year_total(application)
    if room <= 0:
        raise Invalid(_("已达到本项目每主体每年上限 %(cap)s 元，本年度不能再申请") % {"cap": cap}, field=field)
    return min(amount, room)


class SubsidyHandler(ProgramHandler):
    code = ProgramCode.APPLICATION_SUBSIDY
    detail_fields = ("patents", "official_fees_paid")

    def standard_for(self, program, patent) -> Decimal | None:
        by_country = (program.subsidy_standards or {}).get(patent.patent_type)
        if not by_country:
            return None
        value = by_country.get(patent.country) or by_country.get("*")
        return Decimal(str(value)) if value is not None else None

    def create_details(self, application, data: dict, *, by) -> None:
        fees = money(data.get("official_fees_paid"), "official_fees_paid")
        patents = patent_assets(data.get("patents"), "patents", application.applicant)
        program = application.program
        errors: list[str] = []
        standards: dict[int, Decimal] = {}
        first = application.fiscal_year - program.grant_years_back
        for patent in patents:
            standard = self.standard_for(program, patent)
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
        fee_cap = quantize(program.fee_share * fees)
        requested = getattr(application, "requested_by_claimant", None)
        if requested is not None and requested > fee_cap:
            raise Invalid(_("资助总额不得超过已缴官费的 %(share)s%%（%(cap)s 元）")
                          % {"share": quantize(program.fee_share * 100), "cap": fee_cap}, field="requested_amount")
        SubsidyClaim.objects.update_or_create(application=application, defaults={"official_fees_paid": fees})
        claim_patents(application, patents, standards)

    def computed_amount(self, application) -> Decimal | None:
        claim = SubsidyClaim.objects.filter(application=application).first()
        if claim is None:
            return None
        total = sum((c.standard_amount for c in application.patent_claims.all()), ZERO)
        amount = min(total, quantize(application.program.fee_share * claim.official_fees_paid))
        return quantize(_cap_note(application, amount))

    def details(self, application) -> dict:
        claim = getattr(application, "subsidy_claim", None)
        return {"official_fees_paid": str(claim.official_fees_paid) if claim else None,
                "patents": _claimed_patents(application)}


class AwardHandler(ProgramHandler):
    code = ProgramCode.PATENT_AWARD
    detail_fields = ("patent", "level")

    def create_details(self, application, data: dict, *, by) -> None:
        level = data.get("level")
        levels = application.program.award_levels or {}
        if level not in AwardLevel.values or level not in levels:
            raise Invalid(_("奖项等级应为 gold（金奖）、silver（银奖）或 excellence（优秀奖）"), field="level")
        patent = patent_assets(data.get("patent"), "patent", application.applicant)[0]
        AwardNomination.objects.update_or_create(application=application, defaults={"level": level})
        claim_patents(application, [patent], {patent.pk: Decimal(str(levels[level]))})

    def computed_amount(self, application) -> Decimal | None:
        nomination = AwardNomination.objects.filter(application=application).first()
        if nomination is None:
            return None
        return quantize(Decimal(str(application.program.award_levels[nomination.level])))

    def details(self, application) -> dict:
        nomination = getattr(application, "award_nomination", None)
        claims = _claimed_patents(application)
        return {"level": nomination.level if nomination else None,
                "patent": claims[0]["number"] if claims else None}


class IndustrializationHandler(ProgramHandler):
    code = ProgramCode.INDUSTRIALIZATION
    detail_fields = ("patents", "total_investment", "self_funding", "expected_output_value", "jobs")

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
        program = application.program
        amount = application.requested_amount
        if program.cap_per_project is not None and amount > program.cap_per_project:
            raise Invalid(_("申请金额超过单项上限 %(cap)s 元") % {"cap": program.cap_per_project},
                          field="requested_amount")
        if amount > total - own:
            raise Invalid(_("申请金额不得超过总投资减自筹资金（%(gap)s 元）") % {"gap": total - own},
                          field="requested_amount")
        if _cap_note(application, amount) < amount:
            raise Invalid(_("申请金额超过本年度每主体上限的剩余额度"), field="requested_amount")
        IndustrializationPlan.objects.update_or_create(application=application, defaults={
            "total_investment": total, "self_funding": own, "expected_output_value": output, "jobs": jobs})
        claim_patents(application, patents)

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
