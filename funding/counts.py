"""The application counters (``ApplicationCount``): kept, rebuilt, checked and read.

Kept by ``Application.save`` in the caller's transaction: a new case adds one to its key
(program, fiscal year, state, auto_opened); a case whose key changed moves one from the old key to
the new. Each key is kept in ``SHARDS`` rows, a case always in shard ``id % SHARDS``: concurrent
transitions in one program (sixteen clerks accepting) then mostly update different rows instead of
all queueing on the same two (the benchmark saw 81 % of its samples with an accept waiting there). The two rows are updated in key order, so two transactions moving cases in opposite
directions (submitted ⇄ returned) lock them in the same order and never deadlock. One upsert per
row (``INSERT … ON CONFLICT DO UPDATE``, PostgreSQL and SQLite alike).

Paths that write applications without ``save`` (the synthetic-data loader's bulk inserts) call
``rebuild`` when done; ``findings`` compares the counters with a ``GROUP BY`` for ``verify_audit``,
so a state changed in SQL shows twice: against its history and against the counter.

``visible_count`` answers a list's ``count`` from the counters when the list is a staff list whose
only filters are program, state and year (the common case at scale); otherwise None (count rows).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F
from django.db.models.functions import Mod
from django.utils.translation import gettext as _

from applicants.models import Role

from .models import Application, ApplicationCount, Program
from .workflow import State

Key = tuple[int, int, str, bool]
SHARDS = 8


def shard_of(app: Application) -> int:
    return app.pk % SHARDS


def key_of(app: Application) -> Key:
    return (app.program_id, app.fiscal_year, str(app.state), bool(app.auto_opened))


def tuple_key(values: tuple) -> Key:
    program_id, fiscal_year, state, auto_opened = values
    return (program_id, fiscal_year, str(state), bool(auto_opened))


def _add(key: Key, shard: int, delta: int) -> None:
    """+1: an upsert (the key may be new). −1: an update of the existing row; a CHECK constraint is
    tested on the row an upsert would insert, before its conflict is seen, so a −1 cannot upsert."""
    table = connection.ops.quote_name(ApplicationCount._meta.db_table)
    with connection.cursor() as cursor:
        if delta > 0:
            program = connection.ops.quote_name(Program._meta.db_table)
            cursor.execute(
                f"INSERT INTO {table} (program_id, region_id, fiscal_year, state, auto_opened, shard, n) VALUES "
                f"(%s, (SELECT region_id FROM {program} WHERE id = %s), %s, %s, %s, %s, %s) "
                f"ON CONFLICT (program_id, fiscal_year, state, auto_opened, shard) DO UPDATE SET n = {table}.n + excluded.n",
                [key[0], *key, shard, delta],
            )
        else:
            cursor.execute(f"UPDATE {table} SET n = n + %s WHERE program_id = %s AND fiscal_year = %s AND state = %s "
                           f"AND auto_opened = %s AND shard = %s", [delta, *key, shard])


def moved(old: Key | None, new: Key, shard: int) -> None:
    """One case (of ``shard``) left ``old`` (None: it is new) for ``new``."""
    old = None if old is None else tuple_key(old)
    if old == new:
        return
    if old is not None and connection.vendor == "postgresql":
        _move(old, new, shard)
        return
    deltas = {new: 1} if old is None else {old: -1, new: 1}
    for key in sorted(deltas):
        _add(key, shard, deltas[key])


def _move(old: Key, new: Key, shard: int) -> None:
    """Both rows in one statement (PostgreSQL), still in key order: the second sub-statement reads the
    first's RETURNING, so the first has run (and locked its row) before the second starts."""
    table = connection.ops.quote_name(ApplicationCount._meta.db_table)
    program = connection.ops.quote_name(Program._meta.db_table)
    decrement = (f"UPDATE {table} SET n = n - 1 WHERE program_id = %s AND fiscal_year = %s AND state = %s "
                 f"AND auto_opened = %s AND shard = %s")
    increment = (f"INSERT INTO {table} (program_id, region_id, fiscal_year, state, auto_opened, shard, n) "
                 f"SELECT %s, (SELECT region_id FROM {program} WHERE id = %s), %s, %s, %s, %s, 1 "
                 f"{{after}} ON CONFLICT (program_id, fiscal_year, state, auto_opened, shard) "
                 f"DO UPDATE SET n = {table}.n + excluded.n")
    up, down = [new[0], *new, shard], [*old, shard]
    with connection.cursor() as cursor:
        if old < new:
            cursor.execute(f"WITH first AS ({decrement} RETURNING 1) "
                           + increment.format(after="WHERE (SELECT count(*) FROM first) >= 0"), down + up)
        else:
            cursor.execute(f"WITH first AS ({increment.format(after='')} RETURNING 1) "
                           f"{decrement} AND (SELECT count(*) FROM first) >= 0", up + down)


def rebuild() -> int:
    """Recount every key from the table (after bulk loads); returns the number of keys."""
    rows = (Application.objects.values("program_id", "fiscal_year", "state", "auto_opened",
                                       program_region=F("program__region_id"), shard=Mod("id", SHARDS))
            .annotate(n=Count("pk")).order_by())
    ApplicationCount.objects.all().delete()
    ApplicationCount.objects.bulk_create([ApplicationCount(region_id=row.pop("program_region"), **row) for row in rows],
                                         batch_size=2000)
    return len(rows)


def findings() -> list[str]:
    actual = {(r["program_id"], r["fiscal_year"], r["state"], r["auto_opened"]): r["n"] for r in
              Application.objects.values("program_id", "fiscal_year", "state", "auto_opened")
              .annotate(n=Count("pk")).order_by()}
    kept: dict[Key, int] = {}
    for r in ApplicationCount.objects.all():
        key = (r.program_id, r.fiscal_year, r.state, r.auto_opened)
        kept[key] = kept.get(key, 0) + r.n
    out = [_("申请 #%(id)s 记载的行政区与其资金项目的行政区不符：被绕过流程改动") % {"id": pk}
           for pk in Application.objects.exclude(region_id=F("program__region_id")).values_list("pk", flat=True)[:50]]
    out += [_("申请数量计数（项目 #%(p)s）记载的行政区与其资金项目的行政区不符：被绕过流程改动") % {"p": p}
            for p in ApplicationCount.objects.exclude(region_id=F("program__region_id"))
            .values_list("program_id", flat=True).distinct()[:50]]
    for key in sorted(set(actual) | set(kept), key=str):
        if actual.get(key, 0) != kept.get(key, 0):
            out.append(_("申请数量计数（项目 #%(p)s，%(y)s 年，%(s)s）为 %(kept)d，实际为 %(actual)d：申请被绕过流程增删或改动")
                       % {"p": key[0], "y": key[1], "s": key[2], "kept": kept.get(key, 0), "actual": actual.get(key, 0)})
    return out


COUNTABLE_FILTERS = frozenset({"state", "program", "year"})


def visible_count(user, params) -> int | None:
    """The number of applications ``user``'s list shows under ``params`` (state, program, year), from
    the counters; None when that is not a counter question (another filter, an applicant, an expert,
    a bank, an invalid value: the list then counts its rows)."""
    counted = visible_count_sql(user, params)
    if counted is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(counted[0], counted[1])
        return int(cursor.fetchone()[0] or 0)


def visible_count_sql(user, params) -> tuple[str, list] | None:
    """``visible_count`` as one SQL query (a scalar: the API's reader puts it in its page's statement)."""
    if not getattr(user, "is_authenticated", False):
        return None
    used = {name for name, value in params.items() if value not in ("", None)} - {"page", "page_size", "format",
                                                                                     "ordering", "sort"}
    if not used <= COUNTABLE_FILTERS:
        return None
    if user.has_role(Role.APPLICANT, Role.BANK, Role.EXPERT) or not (user.region_id or user.is_superuser):
        return None  # their lists are small, or built from assignments: the exact COUNT is cheap
    from .selectors import STAFF_WITH_REGION  # noqa: PLC0415  selectors imports this module's model

    if user.region_id and not user.has_role(*STAFF_WITH_REGION):
        return None
    where, values = ["TRUE"], []
    if user.region_id:
        where.append("c.region_id = %s")
        values.append(user.region_id)
    if not user.has_role(Role.ADMIN) and not (user.is_superuser and user.region_id is None):
        where.append("NOT (c.state = %s AND NOT c.auto_opened)")  # drafts stay private (selectors)
        values.append(State.DRAFT)
    if "state" in used:
        if params["state"] not in State.values:
            return None
        where.append("c.state = %s")
        values.append(params["state"])
    if "program" in used:
        where.append("c.program_id IN (SELECT p.id FROM funding_program p WHERE p.code = %s)")
        values.append(str(params["program"]))
    if "year" in used:
        year = str(params["year"]).strip()
        if not year.isdigit() or len(year) > 9:
            return None
        where.append("c.fiscal_year = %s")
        values.append(int(year))
    table = ApplicationCount._meta.db_table
    return f"SELECT COALESCE(SUM(c.n), 0) FROM {table} c WHERE {' AND '.join(where)}", values
