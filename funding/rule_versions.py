"""Which rules are in force on a day, and the one service that writes a new version of them.

A program's rules are a series of ``RuleVersion`` rows (dated, citing their basis, chained). On a
day the version in force is the one covering it that started last (ties: the later-written one),
so a correction written today supersedes today's version and a version scheduled for next year
still starts then. A case is judged by the version in force on its submission date, copied onto it
(``frozen_rules``) with a reference (``rule_version``); a new version never touches a running case.

A program without versions (created before versioning, or by a test factory) is judged by its own
fields, as one open-ended version without a basis; the first new version records those fields as
version 1 so the history stays complete. ``Program``'s rule fields mirror the version in force on
the day a version is written (for the admin's list); nothing that judges a case reads them when
versions exist.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core.errors import Conflict, Invalid, NotAllowed
from core.text import clean_text, iso_date

from . import audit
from .models import Program, RuleVersion
from .ruleset import RULE_FIELDS, RuleSet, jsonable, normalise

BEFORE_VERSIONING = dt.date(2000, 1, 1)  # version 1 of a program's pre-versioning rules starts here
BASIS_FIELDS = ("basis_title", "basis_doc_no", "basis_article", "basis_url")


def require_rule_editor(user: User) -> None:
    """Who changes a program's rules (403 before anything else is looked at): the fund administrator."""
    if not user.has_role(Role.ADMIN):
        raise NotAllowed(_("只有资金管理员可以修改项目规则"))


def versions_of(program: Program) -> list[RuleVersion]:
    """The program's versions, read once per program instance (lists reuse the prefetch)."""
    cache = getattr(program, "_prefetched_objects_cache", {})
    if "rule_versions" in cache:
        return list(cache["rule_versions"])
    cached = getattr(program, "_rule_versions", None)
    if cached is None:
        cached = list(RuleVersion.objects.filter(program=program).order_by("number"))
        program._rule_versions = cached
    return cached


def forget_versions(program: Program) -> None:
    program.__dict__.pop("_rule_versions", None)
    getattr(program, "_prefetched_objects_cache", {}).pop("rule_versions", None)


def latest_started(program: Program, day: dt.date) -> RuleVersion | None:
    """The version that governs ``day``: of those started by then, the last to start (ties: the
    later-written). It supersedes every earlier one, so when it has expired nothing is in force."""
    started = [v for v in versions_of(program) if v.effective_from <= day]
    return max(started, key=lambda v: (v.effective_from, v.number)) if started else None


def version_on(program: Program, day: dt.date) -> RuleVersion | None:
    """The version in force on ``day`` (None: not yet started, or expired)."""
    version = latest_started(program, day)
    return version if version is not None and version.covers(day) else None


def _ended_message(program: Program, version: RuleVersion | None, day: dt.date) -> Conflict:
    if version is not None and version.ends:
        basis = version.basis or _("未注明依据")
        return Conflict(_("资金项目「%(name)s」已于 %(date)s 起停止执行（依据：%(basis)s），不再受理新申报")
                        % {"name": program.name_zh, "date": version.effective_from.isoformat(), "basis": basis},
                        code="program_ended")
    last = latest_started(program, day)
    if last is not None:
        return Conflict(_("资金项目「%(name)s」的规则已于 %(date)s 到期（依据：%(basis)s），不再受理新申报")
                        % {"name": program.name_zh, "date": (last.effective_until or day).isoformat(),
                           "basis": last.basis or _("未注明依据")}, code="program_ended")
    first = min(versions_of(program), key=lambda v: v.effective_from)
    return Conflict(_("资金项目「%(name)s」的规则自 %(date)s 起施行，届时方可申报")
                    % {"name": program.name_zh, "date": first.effective_from.isoformat()}, code="program_not_started")


def rules_on(program: Program, day: dt.date | None = None) -> tuple[RuleSet, RuleVersion | None]:
    """The rules a new case submitted on ``day`` is judged by, and their version; 409 when none is
    in force (``program_ended`` naming the basis and date, or ``program_not_started``)."""
    day = day or timezone.localdate()
    if not versions_of(program):
        return RuleSet.of_program(program), None
    version = version_on(program, day)
    if version is None or version.ends:
        raise _ended_message(program, version, day)
    return RuleSet.from_json(version.rules, program), version


def require_in_force(program: Program, day: dt.date | None = None) -> None:
    rules_on(program, day)


def current_rules(program: Program, day: dt.date | None = None) -> RuleSet:
    """The rules to show or preview with (never raises): in force on ``day``, else the last ones that were."""
    day = day or timezone.localdate()
    version = version_on(program, day)
    if version is None or version.ends:
        earlier = [v for v in versions_of(program) if not v.ends and v.effective_from <= day]
        version = max(earlier, key=lambda v: (v.effective_from, v.number)) if earlier else None
    if version is None and versions_of(program):  # not started yet: the first version's rules
        version = min((v for v in versions_of(program) if not v.ends), default=None,
                      key=lambda v: (v.effective_from, v.number))
    return RuleSet.of_program(program) if version is None else RuleSet.from_json(version.rules, program)


def status_on(program: Program, day: dt.date | None = None) -> dict:
    """For pages: the version in force (or none) and whether new cases are taken."""
    day = day or timezone.localdate()
    try:
        _rules, version = rules_on(program, day)
    except Conflict as exc:
        return {"in_force": False, "version": version_on(program, day), "message": exc.message, "code": exc.code}
    return {"in_force": True, "version": version, "message": "", "code": ""}


def _date(value: object, field: str, *, required: bool) -> dt.date | None:
    """A ``YYYY-MM-DD`` (or a date) between 2000 and the end of the tenth year from now."""
    if value is None or value == "":
        if required:
            raise Invalid(_("请填写日期（YYYY-MM-DD）"), field=field)
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    value = iso_date(value, field)
    if not isinstance(value, dt.date):
        raise Invalid(_("日期格式应为 YYYY-MM-DD"), field=field)
    latest = dt.date(timezone.localdate().year + 10, 12, 31)  # never .replace(year=…): 29 February
    if not BEFORE_VERSIONING <= value <= latest:
        raise Invalid(_("日期 %(d)s 不合理：应在 2000 年至今后十年之间") % {"d": value.isoformat()}, field=field)
    return value


def _basis(values: dict) -> dict:
    out = {
        "basis_title": clean_text(values.get("basis_title", ""), "basis_title", max_length=200),
        "basis_doc_no": clean_text(values.get("basis_doc_no", ""), "basis_doc_no", max_length=60),
        "basis_article": clean_text(values.get("basis_article", ""), "basis_article", max_length=100),
        "basis_url": clean_text(values.get("basis_url", ""), "basis_url", max_length=300),
    }
    if out["basis_url"] and not out["basis_url"].startswith(("https://", "http://")):
        raise Invalid(_("文件链接应以 http:// 或 https:// 开头"), field="basis_url")
    return out


def check_version_inputs(values: dict) -> None:
    """Validate a version's dates and basis as ``version_create`` will (for forms: errors on the form)."""
    start = _date(values.get("effective_from"), "effective_from", required=False) or timezone.localdate()
    until = _date(values.get("effective_until"), "effective_until", required=False)
    if until is not None and until < start:
        raise Invalid(_("截止日期不能早于施行日期"), field="effective_until")
    _basis({name: values.get(name) or "" for name in BASIS_FIELDS})


def _append(program: Program, *, number: int, by: User | None, rules: dict, effective_from: dt.date,
            effective_until: dt.date | None, ends: bool, basis: dict, reason: str) -> RuleVersion:
    return audit.append(audit.VERSION_CHAIN, program=program, number=number, effective_from=effective_from,
                        effective_until=effective_until, ends=ends, rules=rules, reason=reason[:200],
                        by=by if getattr(by, "pk", None) else None, **basis)


def version_create(*, by: User, program: Program, changes: dict, effective_from: object = None,
                   effective_until: object = None, ends: bool = False, basis: dict | None = None,
                   reason: str = "") -> RuleVersion:
    """A new version of ``program``'s rules from ``effective_from`` (default today): the rules in force
    then with ``changes`` applied (or, ``ends``, the end of the program). Admin only (checked by the
    callers' ``require_rule_editor``). One transaction: the program row is locked, the version is
    chained, each changed rule is a ``ProgramRuleChange`` row, and the mirror fields follow."""
    require_rule_editor(by)
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise Invalid(errors={name: [_("该字段不可修改")] for name in unknown})
    clean = normalise(changes)
    start = _date(effective_from, "effective_from", required=False) or timezone.localdate()
    until = _date(effective_until, "effective_until", required=False)
    if until is not None and until < start:
        raise Invalid(_("截止日期不能早于施行日期"), field="effective_until")
    if not isinstance(ends, bool):
        raise Invalid(_("应为 true 或 false"), field="ends")
    if ends and clean:
        raise Invalid(_("停止执行的版本不含规则值"), field="ends")
    cited = _basis(basis or {})
    reason = clean_text(reason, "reason", max_length=200)
    given = program
    with transaction.atomic():
        program = Program.objects.select_for_update(no_key=True).get(pk=program.pk)  # FK checks pass
        existing = list(RuleVersion.objects.filter(program=program).order_by("number"))
        if not existing:  # the fields as they stood become version 1: the history starts complete
            existing.append(_append(program, number=1, by=by, rules=RuleSet.of_program(program).as_json(),
                                    effective_from=BEFORE_VERSIONING, effective_until=None, ends=False,
                                    basis=dict.fromkeys(BASIS_FIELDS, ""), reason=_("启用版本管理前的规则")))
        program._rule_versions = existing
        base = current_rules(program, start).as_json()
        rules = {} if ends else {**base, **{name: jsonable(value) for name, value in clean.items()}}
        version = _append(program, number=existing[-1].number + 1, by=by, rules=rules, effective_from=start,
                          effective_until=until, ends=ends, basis=cited, reason=reason)
        for name in sorted(clean):
            if base.get(name) != rules[name]:
                audit.record_rule_change(program, field=name, old=base.get(name), new=rules[name], by=by,
                                         reason=reason or _("规则版本 %(n)d") % {"n": version.number})
        existing.append(version)
        _mirror(program)
    forget_versions(program)
    forget_versions(given)
    return version


def _mirror(program: Program) -> None:
    """Keep the program's own rule fields equal to the rules in force today (what its admin row shows)."""
    rules = current_rules(program)
    values = {name: getattr(rules, name) for name in RULE_FIELDS}
    changed = [name for name, value in values.items() if jsonable(getattr(program, name)) != jsonable(value)]
    for name in changed:
        setattr(program, name, values[name])
    if changed:
        program.save(update_fields=changed)
