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

With a ``devtools.bulk_writer.Writer`` (PostgreSQL), a full batch is handed to the writer thread (its
chain heads' guarded update, then its COPY) and the next one is built meanwhile; ids are reserved on
the writer's second connection, so ``take()`` never waits behind queued batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection, models
from django.utils import timezone

from core.audit_bulk import BulkLinker
from core.audit_chain import chain_of
from devtools.bulk_writer import Writer, copy_job

FLUSH_AT = 20_000
ID_BLOCK = 5000


class Table:
    def __init__(self, model: type[models.Model], counts: dict[str, int], *, ids: bool = False,
                 writer: Writer | None = None) -> None:
        """``ids``: rows carry their reserved ``id`` (``take()``); else the database numbers them."""
        self.model = model
        self.name = model._meta.model_name
        self.counts = counts
        self.writer = writer
        self.fields = [f for f in model._meta.concrete_fields if ids or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.keys = [f.attname for f in self.fields]
        self.index = {key: i for i, key in enumerate(self.keys)}
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
        self.template = [self._adapt(key, self.defaults[key]) for key in self.keys]  # a row of defaults, as written
        self.rows: list[list] = []
        self._next_id: int | None = None
        self._pool: list[int] = []
        chain = chain_of(model)
        self.linker = BulkLinker(chain) if chain is not None else None
        if self.linker is not None:
            self.links = (self.index["seq"], self.index["prev_hash"], self.index["hash"])
        self.raw_defaults = {f.attname: (f.get_default() if f.attname in self.json_keys else self.defaults[f.attname])
                             for f in self.fields}
        self.sql = (f"{connection.ops.quote_name(model._meta.db_table)}",
                    ", ".join(connection.ops.quote_name(c) for c in self.columns))

    def _adapt(self, key: str, value):
        if key in self.datetime_keys and value is not None and not self.pg:
            return connection.ops.adapt_datetimefield_value(value)
        return value

    # --- ids -----------------------------------------------------------------------------------
    def reserve(self, n: int) -> list[int]:
        if n <= 0:
            return []
        table = self.model._meta.db_table
        if self.pg and self.writer is not None:
            return self.writer.reserve(table, n)
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
            self._pool = self.reserve(ID_BLOCK)[::-1]
        return self._pool.pop()

    # --- rows ----------------------------------------------------------------------------------
    def add(self, **values) -> None:
        row = self.template.copy()
        index = self.index
        if self.linker is not None:
            stream = str(values.get("stream", ""))
            if stream not in self.linker.tails and self.writer is not None:
                self.writer.drain()  # the head is locked with the ORM, on this thread
            seq_at, prev_at, hash_at = self.links
            row[seq_at], row[prev_at], row[hash_at] = self.linker.link_raw(values, self.raw_defaults, stream)
        for key, value in values.items():
            at = index.get(key)
            if at is not None:
                row[at] = value
        if self.json_keys:
            for key in self.json_keys:
                if key in values:
                    row[index[key]] = json.dumps(values[key], ensure_ascii=False)
        if not self.pg:
            for key in self.datetime_keys:
                if key in values:
                    row[index[key]] = self._adapt(key, values[key])
        self.rows.append(row)
        if len(self.rows) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table, cols = self.sql
        if self.writer is not None and self.pg:
            heads = []
            if self.linker is not None:
                head_table = connection.ops.quote_name(self.linker.chain.head_model._meta.db_table)
                heads = [(head_table, *head) for head in self.linker.pending_heads()]
                self.linker.stored()
            self.writer.submit(copy_job(table, cols, self.rows, heads))
        else:
            if self.linker is not None:
                self.linker.store()  # first: refuses if the chain moved under these rows' links
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


def flush_all(tables: Iterable[Table]) -> None:
    for table in tables:
        table.flush()
