"""The one service that changes a program's rules, for every path (API, admin, commands).

Values are validated and normalised by ``funding.ruleset.normalise`` (ranges, shapes, plain
decimals); each changed field writes a chained ``ProgramRuleChange`` (who, when, old → new) in the
same transaction. Running cases are unaffected: they are judged by the rules frozen on them at
submission, and a notice's end is fixed when it is published.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core.errors import Invalid, NotAllowed
from core.text import clean_text

from . import audit
from .models import Program
from .ruleset import EDITABLE_PROGRAM_FIELDS, jsonable, normalise


def _program(by: User, code: str) -> Program:
    qs = Program.objects.filter(code=code)
    if by.region_id:
        qs = qs.filter(region_id=by.region_id)
    program = qs.first()
    if program is None:
        raise Invalid(_("没有代码为 %(code)s 的资金项目") % {"code": code}, field="program")
    return program


def require_rule_editor(user: User) -> None:
    """Who changes a program's rules (403 before anything else is looked at): the fund administrator."""
    if not user.has_role(Role.ADMIN):
        raise NotAllowed(_("只有资金管理员可以修改项目规则"))


def program_update(*, by: User, code: str | None = None, changes: dict, reason: str = "",
                   program: Program | None = None) -> Program:
    """Change rules of the program ``code`` of the caller's region (or ``program``); admin only."""
    require_rule_editor(by)
    unknown = sorted(set(changes) - set(EDITABLE_PROGRAM_FIELDS))
    if unknown:
        raise Invalid(errors={name: [_("该字段不可修改")] for name in unknown})
    clean = normalise(changes)
    reason = clean_text(reason, "reason", max_length=200)
    with transaction.atomic():
        target = program if program is not None else _program(by, code or "")
        target = Program.objects.select_for_update().get(pk=target.pk)
        changed: list[str] = []
        for name, value in clean.items():
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
