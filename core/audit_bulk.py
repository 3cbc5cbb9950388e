"""Audit rows of a bulk load (``devtools.bulk_rows``), linked into their chains as they are prepared."""

from __future__ import annotations

from typing import Any

from .audit_chain import Chain, _locked_head, row_hash


class BulkLinker:
    """Links rows that a bulk loader writes itself (COPY), as it prepares them: each row gets the next
    ``seq``, ``prev_hash`` and ``hash`` of its stream before it is written, so nothing is read back
    and rewritten afterwards (at 200,000 applications that UPDATE was half the load's time).

    ``link(values, stream)`` takes ``values`` as they will read back from the database (the caller
    normalises types: Decimals to their places, ids as ints); the stream's head is locked on first
    use, inside the caller's transaction, and ``store()`` writes the heads back. If anything else
    appended to a stream meanwhile, ``store()`` refuses (the rows would share sequence numbers)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.tails: dict[str, list] = {}  # stream -> [head pk, seq, hash, seq when taken]

    def link(self, values: dict[str, Any], stream: str = "") -> dict[str, Any]:
        tail = self.tails.get(stream)
        if tail is None:
            head = _locked_head(self.chain, stream)
            tail = self.tails[stream] = [head.pk, head.seq, head.hash, head.seq]
        seq, prev = tail[1] + 1, tail[2]
        digest = row_hash(seq, prev, self.chain.hashed(lambda name: stream if name == "stream" else values[name]))
        tail[1], tail[2] = seq, digest
        return {"seq": seq, "prev_hash": prev, "hash": digest}

    def store(self) -> None:
        heads = self.chain.head_model.objects
        for pk, seq, digest, taken in self.tails.values():
            if heads.filter(pk=pk, seq=taken).update(seq=seq, hash=digest) != 1:
                raise RuntimeError(f"audit chain {self.chain.name}: appended to during a bulk load")
        for tail in self.tails.values():
            tail[3] = tail[1]
