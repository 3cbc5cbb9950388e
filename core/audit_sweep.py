"""The sweep of pending audit rows (``core.audit_seal``): rows whose writer stopped between its commit
and its sealing are sealed by ``verify_audit`` (or any caller) here; what still waits is a finding."""

from __future__ import annotations

import collections
from collections.abc import Iterable

from .audit_chain import Chain, pending_rows, registered
from .audit_seal import seal_isolated


def pending_streams(chain: Chain) -> list[str]:
    unchained = chain.model.objects.filter(seq__isnull=True)
    return list(unchained.values_list("stream", flat=True).distinct().order_by("stream"))


def seal_pending_all(chains: Iterable[Chain] | None = None, *, lock_timeout_ms: int | None = None
                     ) -> tuple[int, list[tuple[Chain, str, str]]]:
    """The sweep: seal every stream's pending rows with valid tickets (a writer that stopped between
    its commit and its sealing). Returns (rows linked, [(chain, stream, why a stream could not be)])."""
    pairs = [(chain, stream) for chain in (chains or registered()) for stream in pending_streams(chain)]
    return seal_isolated(pairs, lock_timeout_ms=lock_timeout_ms) if pairs else (0, [])


def unsealed(chains: Iterable[Chain]) -> list[tuple[Chain, str, int]]:
    """Committed rows still pending with a valid ticket, per (chain, stream): after a sweep, a finding
    (their deletion would leave no trace while they wait)."""
    out = []
    for chain in chains:
        counts = collections.Counter(row["stream"] for row, valid in pending_rows(chain) if valid)
        out += [(chain, stream, n) for stream, n in sorted(counts.items())]
    return out
