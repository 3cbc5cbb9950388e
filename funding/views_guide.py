"""Pages that guide an applicant: a program's guide (申报指南), the receipt of a submitted case
(受理回执) and its printable application form (申报书, PDF).

The guide writes the amount formula out from the program's *current* rules (``RuleSet``): the
numbers are the rules', the sentences are here. Reads only; nothing is written from these pages.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import NotFound
from applicants.models import PatentType, Role
from core.money import format_money, format_percent

from . import compliance, integrity_pledge, rule_versions, selectors
from .forms import PROGRAM_FORMS
from .models import AwardLevel, Program, PublicityDayKind, TransitionLog
from .pdf import application_form_pdf
from .programs import handler_for
from .ruleset import RuleSet
from .workflow import ProgramCode, Transition, workflow_for

# 依据: the county's 实施意见 (the seeds' policy text) and the rules each program follows (domain notes §3).
COUNTY_OPINION = "《关于进一步加强知识产权工作的实施意见》（巫山县知识产权保护联席会议办公室，2022年2月7日）"
COUNTRY_NAMES = {"CN": "中国", "US": "美国", "JP": "日本", "KR": "韩国", "EP": "欧洲专利局"}


def policy_basis(code: str) -> list[str]:
    """The policy documents a program rests on (依据)."""
    opinion = {"doc": COUNTY_OPINION}
    return {
        ProgramCode.INDUSTRIALIZATION: [_("%(doc)s第10条“促进专利运用与产业化”、第27条“加大财税支持”") % opinion],
        ProgramCode.APPLICATION_SUBSIDY: [
            _("%(doc)s第27条“加大财税支持”（专利申请资助）") % opinion,
            _("国家知识产权局《关于进一步严格规范专利申请行为的通知》：只资助已授权的发明专利，各级资助合计不超过已缴官费的50%"),
            _("重庆市知识产权局渝知发〔2020〕21号：资助标准"),
            _("渝知发〔2025〕2号：同一专利重复资助的，撤销并追回"),
        ],
        ProgramCode.PATENT_AWARD: [_("%(doc)s第27条“设立专利奖，对在本行政区域内产生显著经济社会效益的专利给予表彰和奖励”")
                                   % opinion],
        ProgramCode.INTEREST_SUBSIDY: [_("%(doc)s第11条“支持金融机构开展知识产权质押贷款业务”、第27条“推进知识产权质押贷款等金融产品创新”")
                                       % opinion],
        ProgramCode.RISK_COMPENSATION: [_("%(doc)s第11条“建立知识产权作为无形资产参与融资的机制”") % opinion],
    }.get(code, [])


def who_may_apply(code: str) -> str:
    return {
        ProgramCode.INDUSTRIALIZATION: _("本地区登记的企业：实施自有或受让、许可的专利技术，项目符合本县产业发展方向"
                                         "（如脆李、中药材、纽荷尔、特色农产品加工、新材料）并具有良好市场前景。"),
        ProgramCode.APPLICATION_SUBSIDY: _("本地区登记的企业或个人（非职务发明人）：须为专利权人、第一申请人地址在本地区，"
                                           "专利须先在“知识产权”中登记。"),
        ProgramCode.PATENT_AWARD: _("在本行政区域内产生显著经济社会效益的有效专利的专利权人（企业或个人）。"),
        ProgramCode.INTEREST_SUBSIDY: _("以专利权、商标权质押向合作银行贷款并已按期付息的本地区企业。"),
        ProgramCode.RISK_COMPENSATION: _("合作银行：知识产权质押贷款违约时，就未偿本金申请与风险补偿资金池分担损失。"),
    }.get(code, "")


def _subsidy_lines(rules: RuleSet, year: int) -> list[str]:
    lines = []
    for patent_type, by_country in (rules.subsidy_standards or {}).items():
        kind = PatentType(patent_type).label
        parts = []
        if "CN" in by_country:
            parts.append(_("国内%(type)s专利每件 %(amount)s") % {"type": kind, "amount": format_money(by_country["CN"])})
        foreign: dict[str, list[str]] = {}
        order = list(COUNTRY_NAMES)  # a fixed order: PostgreSQL's jsonb does not keep the keys'
        for country, amount in sorted(by_country.items(),
                                      key=lambda item: (order.index(item[0]) if item[0] in order else 99, item[0])):
            if country not in ("CN", "*"):
                foreign.setdefault(amount, []).append(COUNTRY_NAMES.get(country, country))
        for amount, countries in foreign.items():
            parts.append(_("国外%(type)s专利（%(countries)s）每件 %(amount)s")
                         % {"type": kind, "countries": "、".join(countries), "amount": format_money(amount)})
        if "*" in by_country:
            parts.append(_("其他国家或地区每件 %(amount)s") % {"amount": format_money(by_country["*"])})
        lines.append("；".join(parts))
    excluded = [label for value, label in PatentType.choices if value not in (rules.subsidy_standards or {})]
    if excluded:
        lines.append(_("不资助：%(types)s专利") % {"types": "、".join(str(label) for label in excluded)})
    lines.append(_("资助总额不超过已缴官费的 %(share)s（年费、代理费不予资助）") % {"share": format_percent(rules.fee_share)})
    first, last = year - rules.grant_years_back, year - 1
    span = str(first) if first == last else f"{first}–{last}"
    lines.append(_("资助 %(span)s 年授权的专利，授权后申请；同一专利只资助一次") % {"span": span})
    return lines


def formula_lines(program: Program, year: int) -> list[str]:
    """The program's amount formula in words, from its current rules."""
    rules = rule_versions.current_rules(program)
    code = program.code
    if code == ProgramCode.APPLICATION_SUBSIDY:
        lines = _subsidy_lines(rules, year)
    elif code == ProgramCode.PATENT_AWARD:
        levels = [_("%(level)s %(amount)s") % {"level": AwardLevel(level).label, "amount": format_money(amount)}
                  for level, amount in (rules.award_levels or {}).items() if level in AwardLevel.values]
        lines = [_("按奖项等级奖励：%(levels)s") % {"levels": "；".join(levels) or "—"}]
    elif code == ProgramCode.INDUSTRIALIZATION:
        lines = [_("申请金额不超过项目资金缺口（总投资 − 自筹资金），按专家评审建议金额核定")]
        if rules.cap_per_project is not None:
            lines.append(_("单个项目不超过 %(cap)s") % {"cap": format_money(rules.cap_per_project)})
        if rules.first_tranche_share < 1:
            lines.append(_("批准后先拨付不超过批准金额的 %(share)s，项目验收通过后拨付余款")
                         % {"share": format_percent(rules.first_tranche_share)})
        else:
            lines.append(_("批准后一次拨付"))
    elif hasattr(handler_for(code), "formula_lines"):  # a program that words its own formula (贴息)
        lines = handler_for(code).formula_lines(rules)
    elif code == ProgramCode.RISK_COMPENSATION:
        lines = [_("补偿金额 = 违约时未偿本金 × %(share)s，并以风险补偿资金池余额为限") % {"share": format_percent(rules.risk_share)}]
        if rules.cap_per_project is not None:
            lines.append(_("每笔贷款补偿不超过 %(cap)s") % {"cap": format_money(rules.cap_per_project)})
    else:
        lines = []
    if rules.cap_per_applicant_year is not None:
        lines.append(_("每个申请主体每年累计不超过 %(cap)s") % {"cap": format_money(rules.cap_per_applicant_year)})
    return lines


def notice_period(program: Program) -> str:
    rules = rule_versions.current_rules(program)
    if not workflow_for(program.code).public_notice or not rules.publicity_days:
        return _("无公示")
    return _("公示 %(days)d 天（%(kind)s），公示期内任何人可实名书面提出异议") % {
        "days": rules.publicity_days, "kind": PublicityDayKind(rules.publicity_day_kind).label}


def _region_of(user):
    applicant = getattr(user, "applicant", None)
    return applicant.region_id if applicant is not None else user.region_id


@login_required
def program_guide(request, code: str):
    """申报指南: for the region's applicants and staff."""
    region_id = _region_of(request.user)
    program = Program.objects.filter(region_id=region_id, code=code).select_related("region").first() \
        if region_id else None
    if program is None:
        raise Http404(_("本地区没有该资金项目"))
    rules = rule_versions.current_rules(program)
    status = rule_versions.status_on(program)
    year = timezone.localdate().year
    applies_here = code in PROGRAM_FORMS and request.user.has_role(Role.APPLICANT) and request.user.applicant_id
    return render(request, "funding/program_guide.html", {
        "program": program, "basis": policy_basis(code), "who": who_may_apply(code),
        "formula": formula_lines(program, year), "documents": rules.required_documents or [],
        "notice": notice_period(program), "expert_review": rules.expert_review, "min_reviews": rules.min_reviews,
        "ban_years": rules.ban_years, "can_apply": bool(applies_here and program.is_open and status["in_force"]),
        "version": status["version"], "in_force": status["in_force"], "ended_message": status["message"],
        "applies_elsewhere": code not in PROGRAM_FORMS,
        "intake": Role(workflow_for(code).intake_role).label})


def _case_or_404(request, pk: int):
    try:
        return selectors.application_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def next_steps(app) -> list[str]:
    """What happens after submission, from the program's workflow and the case's rules."""
    rules, workflow = app.rules, workflow_for(app.program.code)
    steps = [_("%(office)s进行受理和形式审查；材料不全或不符合要求的，退回补正，补正后可重新提交")
             % {"office": Role(workflow.intake_role).label}]
    if rules.expert_review:
        steps.append(_("组织不少于 %(n)d 名专家评审") % {"n": rules.min_reviews})
    if workflow.public_notice and rules.publicity_days:
        steps.append(_("拟资助项目公示 %(days)d 天（%(kind)s），公示期内可实名提出异议")
                     % {"days": rules.publicity_days, "kind": PublicityDayKind(rules.publicity_day_kind).label})
    steps.append(_("财政局在年度预算内审批，批准后拨付资金"))
    if rules.first_tranche_share < 1:
        steps.append(_("验收前拨付不超过批准金额的 %(share)s，项目验收通过后拨付余款")
                     % {"share": format_percent(rules.first_tranche_share)})
    steps.append(_("每一步的结果都会通过站内消息通知，也可在“我的申请”中查看进度"))
    return steps


@login_required
def receipt(request, pk: int):
    """受理回执 of a submitted case: for whoever sees the case."""
    app = _case_or_404(request, pk)
    if not app.case_no:
        raise Http404(_("申请尚未提交，没有受理回执"))
    submitted = (TransitionLog.objects.filter(application=app, transition=Transition.SUBMIT).order_by("-id")
                 .values_list("detail", flat=True).first()) or {}
    return render(request, "funding/receipt.html", {
        "application": app, "next_steps": next_steps(app), "explanation": handler_for(app.program.code).explain(app),
        "pledge_accepted": bool(submitted.get("pledge_accepted")), "pledge_version": submitted.get("pledge"),
        "pledge_title": integrity_pledge.title(), "region": app.program.region})


@login_required
def application_pdf(request, pk: int):
    """The printable 申报书 (PDF), for whoever sees the case."""
    app = _case_or_404(request, pk)
    response = HttpResponse(application_form_pdf(app), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="application-{app.case_no or app.pk}.pdf"'
    return response


@login_required
def compliance_page(request):
    """合规检查: for the fund administrator (and the finance bureau, who pays by these rules)."""
    if not request.user.has_role(Role.ADMIN, Role.FINANCE):
        raise PermissionDenied
    rows = compliance.compliance_rows(request.user.region_id)
    counts = {"danger": 0, "warning": 0}
    for row in rows:
        for finding in row["findings"]:
            if finding.severity in counts:
                counts[finding.severity] += 1
    return render(request, "funding/compliance.html", {
        "rows": rows, "counts": counts, "ends_soon_days": compliance.ENDS_SOON_DAYS,
        "can_edit": request.user.has_role(Role.ADMIN) and request.user.is_staff})
