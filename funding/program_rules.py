"""The one service that changes a program's rules, for every path (API, admin, commands).

Values are validated and normalised by ``funding.ruleset.normalise`` (ranges, shapes, plain
decimals); rule values become a new dated version (``funding.rule_versions``); each changed field
writes a chained ``ProgramRuleChange`` (who, when, old → new) in the same transaction. Running
cases are unaffected: they are judged by the version in force on their submission date, and a
notice's end is fixed when it is published.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from applicants.models import User
from core.errors import Invalid
from core.text import clean_text

from . import audit, rule_versions
from .models import Program
from .rule_versions import require_rule_editor
from .ruleset import EDITABLE_PROGRAM_FIELDS, RULE_FIELDS, jsonable, normalise


def _program(by: User, code: str) -> Program:
    qs = Program.objects.filter(code=code)
    if by.region_id:
        qs = qs.filter(region_id=by.region_id)
    program = qs.first()
    if program is None:
        raise Invalid(_("没有代码为 %(code)s 的资金项目") % {"code": code}, field="program")
    return program


def program_update(*, by: User, code: str | None = None, changes: dict, reason: str = "",
                   program: Program | None = None, version: dict | None = None) -> Program:
    """Change the program ``code`` of the caller's region (or ``program``); admin only.

    Names, description and ``is_open`` change the program itself; rule values make a new version
    (``funding.rule_versions``) from ``version["effective_from"]`` (default today) citing
    ``version``'s basis fields: running cases keep the version they were submitted under."""
    require_rule_editor(by)
    unknown = sorted(set(changes) - set(EDITABLE_PROGRAM_FIELDS))
    if unknown:
        raise Invalid(errors={name: [_("该字段不可修改")] for name in unknown})
    clean = normalise(changes)
    reason = clean_text(reason, "reason", max_length=200)
    rule_changes = {name: changes[name] for name in clean if name in RULE_FIELDS}
    with transaction.atomic():
        target = program if program is not None else _program(by, code or "")
        target = Program.objects.select_for_update(no_key=True).get(pk=target.pk)  # FK checks pass
        # Versions first: their chain's head comes before the rule-change chain's (LOCK_ORDER).
        dated = dict(version or {})
        if rule_changes and any(jsonable(getattr(rule_versions.current_rules(target, _start(dated)), name))
                                != jsonable(clean[name]) for name in rule_changes):
            rule_versions.version_create(
                by=by, program=target, changes=rule_changes, effective_from=dated.pop("effective_from", None),
                effective_until=dated.pop("effective_until", None), basis=dated, reason=reason,
            )
            target.refresh_from_db()
            rule_versions.forget_versions(target)
        changed: list[str] = []
        for name, value in clean.items():
            if name in RULE_FIELDS:
                continue
            old = jsonable(getattr(target, name))
            new = jsonable(value)
            if old == new:
                continue
            setattr(target, name, value)
            changed.append(name)
            audit.record_rule_change(target, field=name, old=old, new=new, by=by, reason=reason)
        if changed:
            target.save(update_fields=changed)
    return target


def _start(dated: dict):
    value = dated.get("effective_from")
    return rule_versions._date(value, "effective_from", required=False) if value else None
