"""The fund administrator's compliance view: programs whose basis has ended or is about to, programs
citing no basis, and rule values that contradict a national limit the system knows.

National limits known here (国家知识产权局《关于进一步严格规范专利申请行为的通知》, 2021): patent
subsidies only for granted invention patents, paid after grant, all levels together at most 50 % of
the official fees paid; subsidies for grants were to be phased out before 2025. Every version in
force today or scheduled is checked, so a bad value is seen before it starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_percent

from . import rule_versions
from .models import Program, RuleVersion
from .ruleset import RuleSet
from .workflow import ProgramCode

NATIONAL_NOTICE = _("国家知识产权局《关于进一步严格规范专利申请行为的通知》（2021年）")
FEE_SHARE_LIMIT = Decimal("0.5")
GRANT_SUBSIDY_PHASE_OUT = dt.date(2025, 1, 1)
ENDS_SOON_DAYS = 90


@dataclass(frozen=True)
class Finding:
    program: Program
    version: RuleVersion | None
    severity: str  # "danger" (contradicts a limit, or the basis has ended), "warning", "info"
    kind: str
    message: str


def _subsidy_findings(program: Program, version: RuleVersion | None, rules: RuleSet, label: str) -> list[Finding]:
    out: list[Finding] = []
    if rules.fee_share > FEE_SHARE_LIMIT:
        out.append(Finding(program, version, "danger", "fee_share_above_limit", _(
            "%(v)s：资助上限为已缴官费的 %(share)s，超过国家规定的 50%%（%(basis)s）")
            % {"v": label, "share": format_percent(rules.fee_share), "basis": NATIONAL_NOTICE}))
    if rules.subsidy_trigger == "filing":
        out.append(Finding(program, version, "danger", "filing_subsidy", _(
            "%(v)s：按专利申请资助，国家规定只能在授权后资助（%(basis)s）") % {"v": label, "basis": NATIONAL_NOTICE}))
    other_types = sorted(set(rules.subsidy_standards or {}) - {"invention"})
    if other_types:
        from applicants.models import PatentType  # noqa: PLC0415  labels only

        names = "、".join(str(PatentType(t).label) for t in other_types)
        out.append(Finding(program, version, "danger", "non_invention_subsidy", _(
            "%(v)s：资助%(types)s，国家规定只资助发明专利（%(basis)s）")
            % {"v": label, "types": names, "basis": NATIONAL_NOTICE}))
    if version is not None and (version.effective_until is None or version.effective_until >= GRANT_SUBSIDY_PHASE_OUT) \
            and rules.subsidy_standards and not version.ends:
        out.append(Finding(program, version, "warning", "grant_subsidy_after_phase_out", _(
            "%(v)s：%(date)s 之后仍资助专利授权，国家要求 2025 年以前全面取消授权资助，"
            "改为支持专利转化运用（请核对依据）") % {"v": label, "date": GRANT_SUBSIDY_PHASE_OUT.isoformat()}))
    return out


def _label(version: RuleVersion | None) -> str:
    if version is None:
        return _("现行规则")
    until = version.effective_until.isoformat() if version.effective_until else _("长期")
    return _("第 %(n)d 版（%(start)s 至 %(until)s）") % {"n": version.number, "start": version.effective_from.isoformat(),
                                                    "until": until}


def _ends_soon(program: Program, current: RuleVersion, today: dt.date) -> Finding:
    until = current.effective_until
    facts = {"v": _label(current), "date": until.isoformat(), "days": (until - today).days}
    successor = rule_versions.version_on(program, until + dt.timedelta(days=1))
    if successor is None:
        return Finding(program, current, "warning", "basis_ends_soon", _(
            "%(v)s将于 %(date)s 到期（还有 %(days)d 天），之后没有施行的版本，将不再受理新申报；"
            "请录入新版本或确认停止执行") % facts)
    if successor.ends:
        return Finding(program, current, "info", "program_ends_soon", _(
            "%(v)s将于 %(date)s 到期（还有 %(days)d 天），已安排此后停止执行（依据：%(basis)s）")
            % {**facts, "basis": successor.basis or _("未注明依据")})
    return Finding(program, current, "info", "successor_scheduled", _(
        "%(v)s将于 %(date)s 到期，第 %(n)d 版随后施行") % {**facts, "n": successor.number})


def program_findings(program: Program, today: dt.date | None = None) -> list[Finding]:
    today = today or timezone.localdate()
    findings: list[Finding] = []
    status = rule_versions.status_on(program, today)
    current = rule_versions.version_on(program, today)
    governing = rule_versions.latest_started(program, today)
    if not status["in_force"] and rule_versions.versions_of(program):
        findings.append(Finding(program, governing, "danger", "basis_ended", status["message"]))
    elif current is not None and current.effective_until is not None \
            and current.effective_until <= today + dt.timedelta(days=ENDS_SOON_DAYS):
        findings.append(_ends_soon(program, current, today))
    if current is None and not rule_versions.versions_of(program):
        findings.append(Finding(program, None, "warning", "no_basis", _(
            "尚未录入规则版本及其依据文件：现行规则没有注明依据")))
    elif current is not None and not current.ends and not (current.basis_title or current.basis_doc_no):
        findings.append(Finding(program, current, "warning", "no_basis", _(
            "%(v)s没有注明依据文件和文号") % {"v": _label(current)}))
    if program.code == ProgramCode.APPLICATION_SUBSIDY:
        checked = [v for v in rule_versions.versions_of(program)
                   if not v.ends and (v.effective_until is None or v.effective_until >= today)
                   and (v is current or v.effective_from > today)]
        if not rule_versions.versions_of(program):
            findings.extend(_subsidy_findings(program, None, RuleSet.of_program(program), _label(None)))
        for version in checked:
            findings.extend(_subsidy_findings(program, version, RuleSet.from_json(version.rules, program),
                                              _label(version)))
    return findings


def compliance_rows(region_id: int | None, today: dt.date | None = None) -> list[dict]:
    """One row per program of the region (all regions for a national admin): its version in force
    and basis, and what is wrong with it (empty: nothing)."""
    programs = Program.objects.select_related("region").prefetch_related("rule_versions").order_by("region", "id")
    if region_id:
        programs = programs.filter(region_id=region_id)
    today = today or timezone.localdate()
    rows = []
    for program in programs:
        version = rule_versions.version_on(program, today)
        rows.append({"program": program, "version": version, "findings": program_findings(program, today),
                     "versions": rule_versions.versions_of(program)})
    return rows
