"""Fast bulk inserts for ``devtools.synthetic``: rows as dicts, ids reserved up front, one
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per batch.

Why not ``bulk_create``: at millions of rows Django's per-row model construction and SQL
compilation cost ~10× the database's own work. The rows here are plain column values; ids are
reserved first (PostgreSQL: ``nextval`` of the table's own sequence, so concurrent writers never
collide; SQLite: max(id)+1 inside the already write-locked transaction), so children can refer to
parents before anything is written. Nothing global is changed.

Rows of a chained audit table (``core.audit_chain``) are linked as they are added
(``core.audit_bulk.BulkLinker``), from their values as the database will return them, so the load never rereads
and rewrites them to seal its chains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone

from core.audit_bulk import BulkLinker
from core.audit_chain import chain_of

FLUSH_AT = 20_000


class Table:
    def __init__(self, model: type[models.Model], counts: dict[str, int], *, ids: bool = False) -> None:
        """``ids``: rows carry their reserved ``id`` (``take()``); else the database numbers them."""
        self.model = model
        self.name = model._meta.model_name
        self.counts = counts
        self.fields = [f for f in model._meta.concrete_fields if ids or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.keys = [f.attname for f in self.fields]
        now = timezone.now()
        self.defaults: dict[str, object] = {}
        self.json_keys = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.datetime_keys = {f.attname for f in self.fields if isinstance(f, models.DateTimeField)}
        self.pg = connection.vendor == "postgresql"
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now if isinstance(f, models.DateTimeField) else now.date()
            else:
                self.defaults[f.attname] = f.get_default()  # "" for non-null text fields without a default
            if f.attname in self.json_keys:
                self.defaults[f.attname] = json.dumps(self.defaults[f.attname], ensure_ascii=False)
        self.rows: list[tuple] = []
        self._next_id: int | None = None
        self._pool: list[int] = []
        chain = chain_of(model)
        self.linker = BulkLinker(chain) if chain is not None else None
        self.read_back = {f.attname: _read_back(f) for f in self.fields}
        self.raw_defaults = {f.attname: (f.get_default() if f.attname in self.json_keys else self.defaults[f.attname])
                             for f in self.fields}

    # --- ids -----------------------------------------------------------------------------------
    def reserve(self, n: int) -> list[int]:
        if n <= 0:
            return []
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [table, n])
                return [row[0] for row in cursor.fetchall()]
            if self._next_id is None:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                self._next_id = cursor.fetchone()[0] + 1
        start = self._next_id
        self._next_id += n
        return list(range(start, start + n))

    def take(self) -> int:
        """One new id (reserved in blocks of 5,000)."""
        if not self._pool:
            self._pool = self.reserve(5000)[::-1]
        return self._pool.pop()

    # --- rows ----------------------------------------------------------------------------------
    def add(self, **values) -> None:
        if self.linker is not None:
            stored = {key: self.read_back[key](values[key] if key in values else self.raw_defaults[key])
                      for key in self.linker.chain.columns if key != "stream"}
            values.update(self.linker.link(stored, str(values.get("stream", ""))))
        for key in self.json_keys:
            if key in values:
                values[key] = json.dumps(values[key], ensure_ascii=False)
        row = []
        for key in self.keys:
            value = values[key] if key in values else self.defaults[key]
            if key in self.datetime_keys and value is not None and not self.pg:
                value = connection.ops.adapt_datetimefield_value(value)
            row.append(value)
        self.rows.append(tuple(row))
        if len(self.rows) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.linker is not None:
            self.linker.store()  # first: refuses if the chain moved under these rows' links
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", self.rows)
        self.counts[self.name] = self.counts.get(self.name, 0) + len(self.rows)
        self.rows = []


def _read_back(field: models.Field) -> Callable[[object], object]:
    """A value as the database returns it for ``field`` (what the chain hashes and the verifier rereads)."""
    def keep(value):
        return value

    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda v: None if v is None else Decimal(v).quantize(places)
    if isinstance(field, models.BooleanField):
        return lambda v: None if v is None else bool(v)
    if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
        return lambda v: None if v is None else int(v)
    if isinstance(field, models.CharField | models.TextField):
        return lambda v: None if v is None else str(v)
    return keep


def flush_all(tables: Iterable[Table]) -> None:
    for table in tables:
        table.flush()

