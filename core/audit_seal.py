"""Appending without a shared lock: a row is written *pending* in its change's transaction and sealed
into its stream's chain right after that transaction commits.

Why: linking a row inside its change's transaction held the stream's head row until that
transaction committed, so every write of one bank (or one program) queued behind the others' whole
transactions. Now the change's transaction takes no head: it writes the row with ``seq`` NULL and
``hash`` = the row's *ticket*, an HMAC keyed by ``SECRET_KEY`` (which the database does not hold)
over the chain's name, the row's id and its hashed values. After commit the writer seals its rows,
in a short transaction of its own: it takes their streams' heads (in ``LOCK_ORDER``), numbers its
rows in id order from the values it wrote, and writes links and heads in one guarded statement (each
row must still be pending with its ticket, or nothing is written and it falls back to reading the
stream's pending rows back and linking those with valid tickets). A writer waits at most for another
writer's sealing of the same stream (two statements), never for a change's transaction.

Tamper evidence:

- a row inserted with SQL has no valid ticket: it is never sealed and stays a finding ("未入链");
- a pending row edited, or copied under another id, with SQL fails its ticket: never sealed, a finding;
- a row edited between its commit and its sealing is linked as it was written: it shows as tampered;
- a sealed row is in the hash chain exactly as before (``core.audit_chain``).
- What is new: a pending row deleted with SQL between its commit and its sealing (milliseconds; after
  a crash in that gap, until ``verify_audit`` or ``core.audit_sweep`` sweeps) leaves no gap in the
  chain. The cross-checks still catch it where live rows depend on it (an application's state and
  its transition logs, a loan's outstanding principal and its repayments, budgets and ledger).

Where no commit can come (inside a test case's wrapping transaction) the row is linked at once, in
the transaction, as before; tests of the pending path run with real commits.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, DataError, models, transaction

from .audit_chain import (
    LOCK_ORDER,
    Chain,
    _locked_head,
    _plain,
    _write_links,
    canonical_row,
    pending_rows,
    row_hash,
    ticket_of,
)

logger = logging.getLogger(__name__)
_BATCH = contextvars.ContextVar("ipfund_audit_batch", default=False)


def batch(fn):
    """For setup commands that run many use cases in one transaction (``seed_demo``): while no one
    else writes, heads may be taken in use-case order rather than ``LOCK_ORDER``."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        token = _BATCH.set(True)
        try:
            return fn(*args, **kwargs)
        finally:
            _BATCH.reset(token)

    return wrapped


def _check_lock_order(chain: Chain) -> None:
    """Refuse to take a head that comes before one this transaction already holds (deadlock-prone)."""
    if not getattr(settings, "IPFUND_CHECK_LOCK_ORDER", False) or _BATCH.get():
        return
    conn = transaction.get_connection()
    # The outermost block that is not a test case's wrapper: one use case's transaction. Its set
    # lives on the block itself (``with transaction.atomic()`` makes a new one per call).
    outer = next((block for block in conn.atomic_blocks if not getattr(block, "_from_testcase", False)), None)
    if outer is None:
        return
    taken = outer.__dict__.setdefault("_ipfund_chain_heads", set())
    rank = LOCK_ORDER.index(chain.name)
    later = [name for name in taken if LOCK_ORDER.index(name) > rank]
    if later:
        raise RuntimeError(f"audit chain {chain.name!r} appended after {later}: against LOCK_ORDER {LOCK_ORDER}")
    taken.add(chain.name)


def append(chain: Chain, **values: Any) -> models.Model:
    """Create one row of ``chain.model`` from ``values``, inside the caller's transaction: pending, and
    linked right after that transaction commits (``core.audit_seal``), so it takes no head; or, where
    no commit can come (a test case's wrapping transaction), linked at once under the head's lock."""
    stream = chain.stream_of(values) if chain.stream_of else ""
    row = chain.model(**values, **({"stream": stream} if chain.streamed else {}))
    with transaction.atomic(savepoint=False):
        if _commit_can_come():
            write_pending(chain, row, stream)
            return row
        _check_lock_order(chain)
        head = _locked_head(chain, stream)
        seq, prev = head.seq + 1, head.hash
        row.seq, row.prev_hash = seq, prev
        row.hash = row_hash(seq, prev, chain.hashed(lambda name: getattr(row, name)))
        row.save(force_insert=True)
        chain.head_model.objects.filter(pk=head.pk).update(seq=seq, hash=row.hash)
    return row


def _commit_can_come() -> bool:
    blocks = transaction.get_connection().atomic_blocks
    return not (blocks and blocks[0]._from_testcase)


def write_pending(chain: Chain, row: models.Model, stream: str) -> None:
    """Insert ``row`` unlinked with its ticket and have it sealed after commit."""
    row.seq, row.prev_hash, row.hash = None, None, ""
    row.save(force_insert=True)
    # What the sealing links: the values as written, copied now (a caller may change a dict it passed).
    hashed = _plain(chain.hashed(lambda name: getattr(row, name)))
    row.hash = ticket_of(chain, row.pk, hashed)
    type(row).objects.filter(pk=row.pk).update(hash=row.hash)
    conn = transaction.get_connection()
    conn.__dict__.setdefault("_ipfund_pending", []).append((chain, stream, row.pk, row.hash, hashed))
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    """After commit: link the rows this connection's transaction wrote. One callback per append is
    registered, the first drains the list (a rolled-back savepoint's callbacks are dropped by Django,
    its rows stay listed: the guarded write below then finds them gone and falls back)."""
    conn = transaction.get_connection()  # the connection itself (``django.db.connection`` is a proxy)
    written = conn.__dict__.get("_ipfund_pending")
    if not written:
        return
    conn.__dict__["_ipfund_pending"] = []
    seal_written(written)


def _in_lock_order(pairs) -> tuple[list[tuple[Chain, str]], type[models.Model]]:
    """(chain, stream) pairs in the order their heads are taken, and the one table of those heads."""
    pairs = sorted(set(pairs), key=lambda pair: (LOCK_ORDER.index(pair[0].name), pair[1]))
    head_model = pairs[0][0].head_model
    if any(chain.head_model is not head_model for chain, _ in pairs):
        raise ValueError("chains sealed together keep their heads in one table")
    return pairs, head_model


class _Moved(Exception):
    """A row this writer wrote is no longer as written (sealed by a sweep, rolled back, edited, deleted)."""


def seal_written(written: list[tuple[Chain, str, int, str, dict]]) -> None:
    """Link rows whose values this writer holds: take their streams' heads, number the rows in id
    order and write links and heads in one guarded statement (each row still pending with its ticket,
    or nothing is written). Else, or on the first use of a stream, seal by reading back (``seal_streams``)."""
    pairs, head_model = _in_lock_order({(chain, stream) for chain, stream, *_ in written})
    if len(written) == len(pairs) and transaction.get_connection().vendor == "postgresql":
        # The common case, one row per stream: all of it in one statement, no transaction of its own.
        try:
            _seal_in_one_statement(head_model, pairs, written)
            return
        except DataError:
            pass  # the guard: a row or a head was not as written (see _seal_in_one_statement)
        except DatabaseError:
            logger.warning("audit sealing of %s failed; reading the streams back", pairs, exc_info=True)
        seal_isolated(pairs)
        return
    try:
        with transaction.atomic():
            heads = _lock_heads(head_model, pairs)
            if len(heads) < len(pairs):
                raise _Moved
            links: dict[type[models.Model], list[tuple]] = {}
            moved = []
            for chain, stream in pairs:
                pk, seq, prev = heads[(chain.name, stream)]
                rows = links.setdefault(chain.model, [])
                for _chain, _stream, row_pk, row_ticket, hashed in sorted(
                        (w for w in written if w[0] is chain and w[1] == stream), key=lambda w: w[2]):
                    seq += 1
                    digest = row_hash(seq, prev, hashed)
                    rows.append((row_pk, seq, prev, digest, row_ticket))
                    prev = digest
                moved.append((pk, seq, prev))
            if not _write(head_model, links, moved, guarded=True):
                raise _Moved
        return
    except _Moved:
        pass
    except DatabaseError:
        logger.warning("audit sealing of %s failed; reading the streams back", pairs, exc_info=True)
    seal_isolated(pairs)


def _seal_in_one_statement(head_model, pairs: list[tuple[Chain, str]],
                           written: list[tuple[Chain, str, int, str, dict]]) -> None:
    """``seal_written`` for one row per stream, as one statement in autocommit (PostgreSQL): it locks
    the heads in lock order (``FOR UPDATE`` returns each head as its last sealer left it), hashes each
    row after its head with ``sha256`` (``audit_chain.canonical_row``: the same bytes Python hashes;
    every verifier recomputes them in Python), links the rows still pending with their tickets and
    moves the heads. Were any row or head not found as written (a sweep sealed it, a stream's first
    use), the final division by zero aborts the whole statement: nothing is written, the caller reads
    the streams back. Without ``synchronous_commit``, as every sealing (a lost commit leaves the rows
    pending with valid tickets)."""
    conn = transaction.get_connection()
    quote = conn.ops.quote_name
    heads = quote(head_model._meta.db_table)
    by_pair = {(chain.name, stream): (chain, pk, ticket, hashed) for chain, stream, pk, ticket, hashed in written}
    tables = list(dict.fromkeys(chain.model for chain, _stream in pairs))
    values, params = [], []
    for chain, stream in pairs:
        _chain, pk, ticket, hashed = by_pair[(chain.name, stream)]
        values.append("(%s, %s, CAST(%s AS int), CAST(%s AS bigint), %s, %s)")
        params += [chain.name, stream, tables.index(chain.model), pk, ticket, canonical_row(hashed)]
    keys, rank, key_params = _head_keys(pairs, "hd.")
    params += key_params
    links = []
    for i, model in enumerate(tables):
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        links.append(f"u{i} AS (UPDATE {table} SET seq = n.seq, prev_hash = n.prev, hash = n.hash FROM n "
                     f"WHERE n.tbl = {i} AND {table}.{pk} = n.row_id AND {table}.seq IS NULL "
                     f"AND {table}.hash = n.ticket RETURNING 1)")
    linked = " + ".join(f"(SELECT count(*) FROM u{i})" for i in range(len(tables)))
    sql = (
        f"WITH v(chain, stream, tbl, row_id, ticket, body) AS (VALUES {', '.join(values)}), "
        f"h AS MATERIALIZED (SELECT hd.id, hd.chain, hd.stream, hd.seq, hd.hash FROM {heads} hd "
        f"CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS sync WHERE {keys} "
        f"ORDER BY CASE {rank} END FOR UPDATE OF hd), "
        f"n AS MATERIALIZED (SELECT h.id AS head_id, v.tbl, v.row_id, v.ticket, h.seq + 1 AS seq, h.hash AS prev, "
        f"encode(sha256(convert_to('{{\"prev\":\"' || h.hash || '\",\"row\":' || v.body || ',\"seq\":' "
        f"|| (h.seq + 1)::text || '}}', 'UTF8')), 'hex') AS hash "
        f"FROM h JOIN v ON v.chain = h.chain AND v.stream = h.stream), "
        + ", ".join(links) + ", "
        f"uh AS (UPDATE {heads} SET seq = n.seq, hash = n.hash FROM n WHERE {heads}.id = n.head_id RETURNING 1) "
        # All or nothing: a count short of one per stream divides by zero, which aborts the statement.
        f"SELECT 1 / CASE WHEN (SELECT count(*) FROM uh) = {len(pairs)} AND {linked} = {len(pairs)} "
        f"THEN 1 ELSE 0 END"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, params)


def seal_isolated(pairs: list[tuple[Chain, str]], *, lock_timeout_ms: int | None = None
                  ) -> tuple[int, list[tuple[Chain, str, str]]]:
    """``seal_streams`` over all ``pairs`` at once, else stream by stream, so that a stream that cannot
    be sealed (an SQL row in the way of its next ``seq``) keeps only its own rows pending.
    Returns (rows linked, [(chain, stream, error)])."""
    try:
        return seal_streams(pairs, lock_timeout_ms=lock_timeout_ms), []
    except DatabaseError:
        pass
    sealed, failures = 0, []
    for chain, stream in pairs:
        try:
            sealed += seal_streams([(chain, stream)], lock_timeout_ms=lock_timeout_ms)
        except DatabaseError as exc:
            logger.error("audit stream %s %r cannot be sealed: %s", chain.name, stream, exc)
            failures.append((chain, stream, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    return sealed, failures


def seal_streams(pairs: list[tuple[Chain, str]], *, lock_timeout_ms: int | None = None) -> int:
    """Link every pending row with a valid ticket of each (chain, stream), in id order, in one short
    transaction that takes the streams' heads in ``LOCK_ORDER`` (then stream). It waits only for
    another sealing of the same stream (a few statements), never for a change's transaction; rows
    that sealing linked are no longer pending here. Its commit need not be durable: were it lost in
    a crash, its rows would be pending again, with valid tickets, for the next sealing."""
    if not pairs:
        return 0
    pairs, head_model = _in_lock_order(pairs)
    _create_missing_heads(head_model, pairs)
    links: dict[type[models.Model], list[tuple[int, int, str, str]]] = {}
    moved: list[tuple[int, int, str]] = []
    with transaction.atomic():
        heads = _lock_heads(head_model, pairs, lock_timeout_ms=lock_timeout_ms)
        for chain, stream in pairs:
            head = heads.get((chain.name, stream))
            if head is None:  # deleted since (SQL): recreated from the chained tail, out of lock order
                locked = _locked_head(chain, stream)
                head = (locked.pk, locked.seq, locked.hash)
            pk, seq, prev = head
            mine = links.setdefault(chain.model, [])
            before = len(mine)
            for row, valid in pending_rows(chain, stream):
                if not valid:
                    continue  # written around append, or edited since: stays out, a finding of verify
                seq += 1
                digest = row_hash(seq, prev, chain.hashed(row.__getitem__))
                mine.append((row["pk"], seq, prev, digest))
                prev = digest
            if len(mine) > before:
                moved.append((pk, seq, prev))
        _write(head_model, {model: rows for model, rows in links.items() if rows}, moved)
    return sum(len(rows) for rows in links.values())


def _create_missing_heads(head_model, pairs: list[tuple[Chain, str]]) -> None:
    """A stream's first use: create its head (from its chained tail) before any head is locked, each
    in its own short transaction, so the sealing then takes all its heads in lock order. Creating it
    while holding an earlier head deadlocked against sealers holding this one's neighbours."""
    keys = {(chain.name, stream) for chain, stream in pairs}
    query = models.Q()
    for chain_name, stream in keys:
        query |= models.Q(chain=chain_name, stream=stream)
    existing = set(head_model.objects.filter(query).values_list("chain", "stream"))
    for chain, stream in pairs:
        if (chain.name, stream) not in existing:
            with transaction.atomic():  # created (or found, if another sealer won) and committed at once
                _locked_head(chain, stream)


def _head_keys(pairs: list[tuple[Chain, str]], alias: str = "") -> tuple[str, str, list]:
    """The heads of ``pairs`` as SQL: the condition that finds them, the ``CASE`` that orders them in
    the pairs' order (the lock order), and the parameters of both, in that order."""
    pair_params = [value for chain, stream in pairs for value in (chain.name, stream)]
    keys = " OR ".join([f"({alias}chain = %s AND {alias}stream = %s)"] * len(pairs))
    rank = " ".join(f"WHEN {alias}chain = %s AND {alias}stream = %s THEN {i}" for i in range(len(pairs)))
    return keys, rank, pair_params + pair_params


def _lock_heads(head_model, pairs: list[tuple[Chain, str]], *, lock_timeout_ms: int | None = None
                ) -> dict[tuple[str, str], tuple[int, int, str]]:
    """The existing heads of ``pairs``, locked in one statement, in the pairs' order (the lock order).
    Also turns off ``synchronous_commit`` for this transaction only, and bounds the wait for the
    heads when asked (PostgreSQL)."""
    conn = transaction.get_connection()
    quote = conn.ops.quote_name
    table = quote(head_model._meta.db_table)
    keys, rank, params = _head_keys(pairs)
    lock = " FOR UPDATE" if conn.features.has_select_for_update else ""
    source = table
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            if lock_timeout_ms:
                cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            # SET LOCAL in the same statement (set_config(..., true)): one round trip fewer per write.
            source = f"{table} CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS sync"
            lock = f" FOR UPDATE OF {table}"
        cursor.execute(f"SELECT id, chain, stream, seq, hash FROM {source} WHERE {keys} "
                       f"ORDER BY CASE {rank} END{lock}", params)
        return {(chain, stream): (pk, seq, digest) for pk, chain, stream, seq, digest in cursor.fetchall()}


def _write(head_model, links: dict[type[models.Model], list[tuple]], heads: list[tuple[int, int, str]], *,
           guarded: bool = False) -> bool:
    """Every table's links and the heads: on PostgreSQL one statement (data-modifying CTEs), else one
    per table. ``guarded``: links carry the ticket; a row is linked only while still pending with it,
    and False (nothing kept: the caller rolls back) when any is not."""
    if not heads:
        return True
    conn = transaction.get_connection()
    if conn.vendor != "postgresql":
        for model, rows in links.items():
            if guarded:
                for pk, seq, prev, digest, row_ticket in rows:
                    if not model.objects.filter(pk=pk, seq__isnull=True, hash=row_ticket).update(
                            seq=seq, prev_hash=prev, hash=digest):
                        return False
            else:
                _write_links(model, rows)
        for pk, seq, digest in heads:
            head_model.objects.filter(pk=pk).update(seq=seq, hash=digest)
        return True
    quote = conn.ops.quote_name
    parts, params, counts = [], [], []
    for i, (model, rows) in enumerate(links.items()):
        if not rows:
            continue
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        width = 5 if guarded else 4
        values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint), %s, %s" + (", %s)" if guarded else ")")] * len(rows))
        guard = f" AND {table}.seq IS NULL AND {table}.hash = v{i}.ticket" if guarded else ""
        parts.append(f"v{i}(id, seq, prev, hash{', ticket' if guarded else ''}) AS (VALUES {values}), "
                     f"u{i} AS (UPDATE {table} SET seq = v{i}.seq, prev_hash = v{i}.prev, hash = v{i}.hash "
                     f"FROM v{i} WHERE {table}.{pk} = v{i}.id{guard} RETURNING 1)")
        params += [value for row in rows for value in row[:width]]
        counts.append((f"(SELECT count(*) FROM u{i})", len(rows)))
    table, pk = quote(head_model._meta.db_table), quote(head_model._meta.pk.column)
    values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint), %s)"] * len(heads))
    params += [value for head in heads for value in head]
    parts.append(f"h(id, seq, hash) AS (VALUES {values}), "
                 f"uh AS (UPDATE {table} SET seq = h.seq, hash = h.hash FROM h WHERE {table}.{pk} = h.id RETURNING 1)")
    with conn.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT (SELECT count(*) FROM uh)"
                       + "".join(f", {count}" for count, _n in counts), params)
        found = cursor.fetchone()
    return list(found[1:]) == [n for _sql, n in counts]
