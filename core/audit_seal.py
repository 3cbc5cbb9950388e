"""Appending without a shared lock: a row is written *pending* in its change's transaction and sealed
into its stream's chain right after that transaction commits.

Why: linking a row inside its change's transaction held the stream's head row until that
transaction committed, so every write of one bank (or one program) queued behind the others' whole
transactions. Now the change's transaction takes no head: it writes the row with ``seq`` NULL and
``hash`` = the row's *ticket*, an HMAC keyed by ``SECRET_KEY`` (which the database does not hold)
over the chain's name, the row's id and its hashed values. After commit the writer seals: in a short
transaction of its own it takes its streams' heads with ``SKIP LOCKED``, links every pending row of
each stream whose ticket is valid (in id order), moves the heads and commits; then it looks again,
because a writer that committed meanwhile found the head taken and left its row to the holder.
A writer that finds the head taken returns at once: no request waits for another's sealing.

Tamper evidence:

- a row inserted with SQL has no valid ticket: it is never sealed and stays a finding ("未入链");
- a pending row edited, or copied under another id, with SQL fails its ticket: never sealed, a finding;
- a sealed row is in the hash chain exactly as before (``core.audit_chain``).
- What is new: between commit and seal (milliseconds; after a crash in that gap, until the stream's
  next write, ``verify_audit`` or ``seal_pending_all``) a pending row deleted with SQL leaves no gap in
  the chain. The cross-checks still catch it where live rows depend on it (an application's state
  and its transition logs, a loan's outstanding principal and its repayments, budgets and ledger).

Where no commit can come (inside a test case's wrapping transaction) the row is linked at once, in
the transaction, as before; tests of the pending path run with real commits.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction

from .audit_chain import LOCK_ORDER, Chain, _locked_head, _write_links, registered, row_hash, ticket, ticket_valid

ROUNDS = 8  # a sealer looks again at most this often; what is left waits for the stream's next write


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
    with transaction.atomic(savepoint=False):
        if _commit_can_come():
            row = chain.model(**values, **({"stream": stream} if chain.streamed else {}))
            write_pending(chain, row, stream)
            return row
        _check_lock_order(chain)
        head = _locked_head(chain, stream)
        row = chain.model(**values, **({"stream": stream} if chain.streamed else {}))
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
    """Insert ``row`` unlinked with its ticket and have its stream sealed after commit."""
    row.seq, row.prev_hash, row.hash = None, None, ""
    row.save(force_insert=True)
    row.hash = ticket(chain, row.pk, lambda name: getattr(row, name))
    type(row).objects.filter(pk=row.pk).update(hash=row.hash)
    _seal_after_commit(chain, stream)


def _seal_after_commit(chain: Chain, stream: str) -> None:
    # One sealing per commit for all the streams this connection's transaction wrote; the set lives on
    # the connection (one per thread). A callback of a rolled-back savepoint is dropped by Django,
    # while its stream stays in the set: the next flush then only finds nothing there to seal.
    conn = transaction.get_connection()
    streams = conn.__dict__.setdefault("_ipfund_pending_streams", set())
    streams.add((chain.name, stream))
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    conn = transaction.get_connection()  # the connection itself (``django.db.connection`` is a proxy)
    streams = conn.__dict__.get("_ipfund_pending_streams")
    if not streams:
        return
    conn.__dict__["_ipfund_pending_streams"] = set()
    chains = {chain.name: chain for chain in registered()}
    seal_streams([(chains[name], stream) for name, stream in streams if name in chains])


def seal_streams(pairs: list[tuple[Chain, str]]) -> int:
    """Link the pending rows of each (chain, stream) whose head is free; look again while new ones came."""
    pairs = sorted(set(pairs), key=lambda pair: (LOCK_ORDER.index(pair[0].name), pair[1]))
    skipped: dict[tuple[str, str], set[int]] = {}  # rows that failed their ticket, not looked at again
    sealed = 0
    for _round in range(ROUNDS):
        found = 0
        for chain, stream in pairs:
            bad = skipped.setdefault((chain.name, stream), set())
            linked = _seal_one(chain, stream, bad)
            if linked is None:  # another writer holds the head: it looks again after its commit
                continue
            found += linked
        sealed += found
        if not found or not _any_pending(pairs, skipped):
            break
    return sealed


def _seal_one(chain: Chain, stream: str, bad: set[int]) -> int | None:
    with transaction.atomic():
        key = chain.head_key(stream)
        head = chain.head_model.objects.select_for_update(skip_locked=True).filter(**key).first()
        if head is None:
            if chain.head_model.objects.filter(**key).exists():
                return None
            head = _locked_head(chain, stream)
        rows = list(chain.rows_of(stream).filter(seq__isnull=True).exclude(pk__in=bad).order_by("pk")
                    .values("pk", "hash", *chain.columns))
        seq, prev, links = head.seq, head.hash, []
        for row in rows:
            if not ticket_valid(chain, row["pk"], row.__getitem__, row["hash"]):
                bad.add(row["pk"])
                continue
            seq += 1
            digest = row_hash(seq, prev, chain.hashed(row.__getitem__))
            links.append((row["pk"], seq, prev, digest))
            prev = digest
        if links:
            _write_links(chain.model, links)
            chain.head_model.objects.filter(pk=head.pk).update(seq=seq, hash=prev)
    return len(links)


def _any_pending(pairs: list[tuple[Chain, str]], skipped: dict[tuple[str, str], set[int]]) -> bool:
    return any(chain.rows_of(stream).filter(seq__isnull=True).exclude(pk__in=skipped.get((chain.name, stream), ()))
               .exists() for chain, stream in pairs)


def pending_streams(chain: Chain) -> list[str]:
    unchained = chain.model.objects.filter(seq__isnull=True)
    return list(unchained.values_list("stream", flat=True).distinct().order_by("stream"))


def seal_pending_all(chains: Iterable[Chain] | None = None) -> int:
    """Seal every stream's pending rows with valid tickets (after a crash between commit and seal)."""
    pairs = [(chain, stream) for chain in (chains or registered()) for stream in pending_streams(chain)]
    return seal_streams(pairs) if pairs else 0
