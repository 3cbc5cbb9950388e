"""The token lookup every API request makes, in one hand-written statement (PostgreSQL).

The ORM's form (``api.authentication``: the token with its user, the user's bank and applicant, and
the user's role names) was the larger part of the bare floor request: building and compiling the
query cost more than running it (bench/RESULTS.md, issue 15). Here the statement is written once
from the models' own columns, so a field added to a model is read here too, and the rows become
model instances through ``Model.from_db`` and the fields' own converters, as the ORM does.
``tests/api/test_token_reader.py`` compares both forms field by field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import connection, models

from applicants.models import Applicant, Bank, User

from ..models import ApiToken


@dataclass(frozen=True)
class _Part:
    model: type[models.Model]
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple, object], ...]  # (column index within the part, converters, its column)


def _part(model: type[models.Model], alias: str) -> tuple[_Part, str]:
    fields = model._meta.concrete_fields
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(alias)
        found = tuple(connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        if found:
            converters.append((i, found, col))
    columns = ", ".join(f'{alias}."{field.column}"' for field in fields)
    return _Part(model, tuple(field.attname for field in fields), tuple(converters)), columns


@functools.cache
def _statement() -> tuple[str, tuple[_Part, ...]]:
    token, token_cols = _part(ApiToken, "t")
    user, user_cols = _part(User, "u")
    bank, bank_cols = _part(Bank, "b")
    applicant, applicant_cols = _part(Applicant, "a")
    memberships = User.groups.through._meta.db_table
    sql = (
        f"SELECT {token_cols}, {user_cols}, {bank_cols}, {applicant_cols}, "
        f"ARRAY(SELECT g.name FROM {Group._meta.db_table} g JOIN {memberships} m ON m.group_id = g.id "
        f"WHERE m.user_id = u.id ORDER BY g.name) "
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        f"LEFT JOIN {Bank._meta.db_table} b ON b.id = u.bank_id "
        f"LEFT JOIN {Applicant._meta.db_table} a ON a.id = u.applicant_id "
        "WHERE t.digest = %s AND NOT t.revoked"
    )
    return sql, (token, user, bank, applicant)


def _instance(part: _Part, values: tuple):
    if values[0] is None:  # the primary key: a LEFT JOIN that found nothing
        return None
    values = list(values)
    for i, found, col in part.converters:
        for convert in found:
            values[i] = convert(values[i], col, connection)
    return part.model.from_db(connection.alias, part.names, values)


def token_with_user(digest: str) -> ApiToken | None:
    """The live token of ``digest`` with ``user`` (its ``bank``, ``applicant`` and roles) loaded, or None."""
    sql, parts = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for part in parts:
        instances.append(_instance(part, row[start:start + len(part.names)]))
        start += len(part.names)
    token, user, bank, applicant = instances
    User._meta.get_field("bank").set_cached_value(user, bank)
    User._meta.get_field("applicant").set_cached_value(user, applicant)
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    user.remember_roles(row[start])
    return token
