"""The database side of a big bulk load (``devtools.synthetic``). On PostgreSQL: statements run by a
writer thread while Python builds the next rows, secondary indexes and foreign keys built once after
the load instead of row by row, planner statistics refreshed; on SQLite, a big page cache.

``Writer`` runs jobs (a COPY of one batch, the guarded head updates before it, an id reservation) in
order on the load's own connection — the one whose transaction ``transaction.atomic`` holds — in a
thread of its own: psycopg releases the GIL while it waits on the server, so PostgreSQL ingests one
batch while the main thread hashes the next. The main thread never uses the connection while jobs
are queued (``drain()`` first); an error in a job is raised in the main thread at its next
``submit``/``drain``, and the jobs after it are skipped (the transaction is lost anyway).

``Rebuilt`` drops the loaded tables' non-unique indexes and their foreign keys inside the load's
transaction and recreates them from their own definitions (``pg_get_indexdef``,
``pg_get_constraintdef``) when the tables are complete: one sort per index instead of millions of
random insertions, and one anti-join per foreign key (it is validated as it is added) instead of a
deferred trigger per row at commit. Primary keys and unique indexes stay: every row is checked as
before. Another session sees neither the rows nor the missing indexes: the DDL is in the same
transaction (and holds its tables' locks until the commit).
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.db import connection

MAX_QUEUED = 6  # batches waiting for the writer: bounds memory, and the main thread waits when PG is behind


class Writer:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.raw = connection.connection  # psycopg's connection, inside Django's open transaction
        # Ids come from a second connection, in autocommit: nextval is never rolled back anyway, so it
        # hands out the same ids as in the load's transaction, without waiting behind queued batches.
        self.side = connection.get_new_connection(connection.get_connection_params())
        self.side.autocommit = True
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")
        self.queued: deque[Future] = deque()
        self.error: BaseException | None = None

    def _run(self, job: Callable[[Any], Any]) -> Any:
        if self.error is not None:
            return None
        try:
            with self.raw.cursor() as cursor:
                return job(cursor)
        except BaseException as exc:  # re-raised in the main thread
            self.error = exc
            raise

    def reserve(self, table: str, n: int) -> list[int]:
        """``n`` new ids of ``table`` (from its own sequence, so concurrent writers never collide)."""
        with self.side.cursor() as cursor:
            return reserve_job(table, n)(cursor)

    def submit(self, job: Callable[[Any], Any]) -> Future:
        """Queue ``job(cursor)``; waits while ``MAX_QUEUED`` jobs are ahead of it."""
        self._check()
        while len(self.queued) >= MAX_QUEUED:
            self._settle(self.queued.popleft())
        future = self.pool.submit(self._run, job)
        self.queued.append(future)
        return future

    def call(self, job: Callable[[Any], Any]) -> Any:
        """Run ``job(cursor)`` after everything queued and return its result."""
        return self._settle(self.submit(job))

    def drain(self) -> None:
        """Wait for every queued job; the connection is the main thread's again."""
        while self.queued:
            self._settle(self.queued.popleft())
        self._check()

    def close(self) -> None:
        """Stop the thread; jobs still queued (after an error in the main thread) are dropped."""
        if self.error is None and self.queued:
            self.error = RuntimeError("bulk load abandoned")
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.queued.clear()
        self.side.close()

    def wait(self, future: Future) -> Any:
        """The result of a job submitted earlier (raising its error, or an earlier one)."""
        return self._settle(future)

    def _settle(self, future: Future) -> Any:
        try:
            return future.result()
        except BaseException:
            self._check()
            raise

    def _check(self) -> None:
        if self.error is not None:  # sticky: every later job is skipped too
            raise self.error


def copy_job(table: str, columns: str, rows: list[tuple], heads: list[tuple[str, int, int, int, str]]) -> Callable:
    """A job: move the chain heads of these rows (refusing if any moved meanwhile), then COPY them."""
    def job(cursor) -> None:
        for head_table, pk, taken, seq, digest in heads:
            cursor.execute(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = %s AND seq = %s",
                           [seq, digest, pk, taken])
            if cursor.rowcount != 1:
                raise RuntimeError("audit chain head: appended to during a bulk load")
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    return job


def reserve_job(table: str, n: int) -> Callable:
    def job(cursor) -> list[int]:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
        return [row[0] for row in cursor.fetchall()]
    return job


_DEFINITIONS = """
SELECT c.conrelid::regclass::text, 'fk', format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
  FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
UNION ALL
SELECT i.indrelid::regclass::text, 'index', format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
  FROM pg_index i
 WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1, 2 DESC, 3
"""


class Rebuilt:
    """Non-unique indexes and foreign keys of ``tables`` dropped now, recreated by ``restore``."""

    def __init__(self, cursor, tables: Iterable[str]) -> None:
        names = list(tables)
        _check_deferred(cursor)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # this transaction's index builds only
        cursor.execute(_DEFINITIONS, [names, names])
        self.pending: dict[str, list[tuple[str, str]]] = {}
        for table, kind, drop, create in cursor.fetchall():
            self.pending.setdefault(table, []).append((kind, create))
            cursor.execute(drop)
        self.order = names

    def restore(self, cursor, tables: Iterable[str] | None = None) -> None:
        """Indexes first (the foreign keys' validation may use them), then the foreign keys."""
        wanted = [t for t in (self.order if tables is None else tables) if t in self.pending]
        statements = [s for t in wanted for s in self.pending[t]]
        for t in wanted:
            del self.pending[t]
        _check_deferred(cursor)
        for kind in ("index", "fk"):
            for k, create in statements:
                if k == kind:
                    cursor.execute(create)


def _check_deferred(cursor) -> None:
    """Run the deferred foreign-key checks queued so far (a table with pending trigger events cannot
    be altered), then defer again: what ``connection.check_constraints()`` does on PostgreSQL."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Load:
    """What ``bulk_load`` yields: the ``writer`` (None off PostgreSQL) and ``restore(tables)``."""

    def __init__(self, writer: Writer | None, rebuilt: Rebuilt | None) -> None:
        self.writer, self.rebuilt = writer, rebuilt
        self.analyzed: list[str] = []

    def restore(self, tables: list[str]) -> None:
        """Rebuild these complete tables' indexes and foreign keys after their queued batches, and
        refresh their planner statistics (ANALYZE in the transaction counts its own rows): all while
        the caller builds the rest. ``analyzed`` lists them."""
        if self.writer is not None and self.rebuilt is not None:
            rebuilt = self.rebuilt

            def job(cursor) -> None:
                rebuilt.restore(cursor, tables)
                cursor.execute("ANALYZE " + ", ".join(tables))

            self.writer.submit(job)
            self.analyzed.extend(tables)


@contextmanager
def bulk_load(tables: list[str]) -> Iterator[Load]:
    """Load ``tables`` (in the caller's transaction): on PostgreSQL their secondary indexes and
    foreign keys are dropped first (``Rebuilt``) and rebuilt by the end of the block, and batches go
    through a ``Writer``; everything is written when the block ends. Python's cyclic garbage
    collector is paused meanwhile (the batches are millions of fresh container objects and no
    cycles; its passes over them cost ~10 % of the load), and collects once afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        if connection.vendor != "postgresql":
            yield Load(None, None)
            return
        with connection.cursor() as cursor:
            rebuilt = Rebuilt(cursor, tables)
        writer = Writer()
        try:
            yield Load(writer, rebuilt)
            writer.submit(rebuilt.restore)
            writer.drain()
        finally:
            writer.close()
    finally:
        if collecting:
            gc.enable()
            gc.collect()


def refresh_planner_statistics(skip: list[str]) -> None:
    """After a bulk load the planner's row estimates are stale until autovacuum catches up; with them,
    PostgreSQL picked a 200 ms nested loop over a 0.6 ms index scan for the application list.
    ``skip``: tables the load analyzed already (the whole database when none). On PostgreSQL, once
    the load is committed, the tables are split by size between this connection and a second one,
    which analyze them at the same time (one core each); inside a caller's transaction (which holds
    the load's locks: the second connection would wait for it forever) they are analyzed here."""
    with connection.cursor() as cursor:
        if not skip or connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        # What a plain ANALYZE covers (tables, matviews; partitions through their parents; no other
        # session's temporary tables), less ``skip``, largest first.
        cursor.execute("SELECT c.oid::regclass::text, c.relpages FROM pg_class c WHERE c.relkind IN ('r', 'm', 'p') "
                       "AND c.relpersistence <> 't' AND NOT c.relispartition "
                       "AND NOT c.oid::regclass::text = ANY(%s) ORDER BY 2 DESC, 1", [skip])
        if connection.in_atomic_block:
            cursor.execute("ANALYZE " + ", ".join(row[0] for row in cursor.fetchall()))
            return
        groups: tuple[list[str], list[str]] = ([], [])
        sizes = [0, 0]
        for table, pages in cursor.fetchall():
            smaller = sizes.index(min(sizes))
            groups[smaller].append(table)
            sizes[smaller] += max(1, pages)
        side = connection.get_new_connection(connection.get_connection_params())
        side.autocommit = True
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                other = pool.submit(lambda: side.execute("ANALYZE " + ", ".join(groups[1])) if groups[1] else None)
                if groups[0]:
                    cursor.execute("ANALYZE " + ", ".join(groups[0]))
                other.result()
        finally:
            side.close()


@contextmanager
def big_page_cache():
    """SQLite only, this connection only: a page cache large enough for one big transaction.

    With the default 2 MB cache the transaction spills dirty index pages to the WAL again and
    again (gigabytes written for a few hundred MB of data). Restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1000000")  # KiB: up to ~1 GB, allocated as needed
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
