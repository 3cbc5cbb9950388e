"""Audit rows of a bulk load (``devtools.bulk_rows``), linked into their chains as they are prepared.

The links are the very hashes ``core.audit_chain.row_hash`` gives (``verify`` recomputes them that
way), but a bulk load hashes millions of rows, so ``BulkLinker.link_raw`` writes the canonical JSON
itself: one precompiled encoder per hashed column (the value as the database returns it, as JSON),
the keys already in sorted order, no intermediate dicts. ``tests/devtools/test_bulk_hashing.py`` holds it
byte for byte to ``audit_chain.canonical``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from .audit_chain import Chain, _locked_head, _plain, row_hash

_UNSET = object()
_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str (C)
_sha256 = hashlib.sha256


def stored_value(field: models.Field) -> Callable[[object], object]:
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


def json_value(value: Any) -> str:
    """``value`` as ``canonical`` writes it inside the row object."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is dt.datetime and value.tzinfo is dt.UTC:
        return '"' + value.isoformat(timespec="microseconds") + '"'  # what _plain writes: already UTC
    if kind is dt.date or kind is dt.datetime:
        return '"' + _plain(value) + '"'  # ISO text: nothing to escape
    if kind is dict:
        flat = _flat_object(value)
        if flat is not None:
            return flat
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _flat_object(value: dict) -> str | None:
    """A dict of str keys and str/int/bool/None values as ``json.dumps(sort_keys=True)`` writes it;
    None for any other dict (``json_value`` then takes the general way)."""
    items = []
    for key, item in value.items():
        kind = type(item)
        if type(key) is not str:
            return None
        if kind is str:
            text = _string(item)
        elif kind is int:
            text = int.__repr__(item)
        elif kind is bool:
            text = "true" if item else "false"
        elif item is None:
            text = "null"
        else:
            return None
        items.append((key, text))
    items.sort()
    return "{" + ",".join(_string(key) + ":" + text for key, text in items) + "}"


def stored_json(field: models.Field) -> Callable[[object], str]:
    """``json_value(stored_value(field)(v))`` in one step for the common column types."""
    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)

        def decimal(v) -> str:
            if v is None:
                return "null"
            return '"' + str((v if type(v) is Decimal else Decimal(v)).quantize(places)) + '"'

        return decimal
    if isinstance(field, models.BooleanField):
        return lambda v: "null" if v is None else ("true" if v else "false")
    if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
        return lambda v: "null" if v is None else str(int(v))
    if isinstance(field, models.CharField | models.TextField):
        return lambda v: "null" if v is None else _string(v if type(v) is str else str(v))
    return json_value


def _row_encoder(chain: Chain) -> Callable[[dict, dict, str], str]:
    """``body(values, defaults, stream)``: the inside of the row object of ``canonical`` — the chain's
    columns in sorted order, each ``"name":value`` of its stored value (``stored_json``), optional
    columns left out when None and the stream when "" (``Chain.hashed``). Generated once per chain
    as straight-line code: this runs once per bulk row, millions of times."""
    env: dict[str, Any] = {"S": _string}
    lines = ["def body(values, defaults, stream):", "    p = []"]
    for i, name in enumerate(sorted(chain.columns)):
        key = repr(_string(name) + ":")
        if name == "stream":
            lines.append(f"    if stream: p.append({key} + S(stream))")
            continue
        # E: the column's encoder; C: [the default last encoded, its text] (a load's created_at is one value)
        env[f"E{i}"], env[f"C{i}"] = stored_json(chain.model._meta.get_field(name)), [_UNSET, None]
        skip = "v is None" if name in chain.optional else "False"
        lines += [f"    if {name!r} in values:",
                  f"        v = values[{name!r}]",
                  f"        t = None if {skip} else E{i}(v)",
                  "    else:",
                  f"        v = defaults[{name!r}]",
                  f"        if v is not C{i}[0]:",
                  f"            C{i}[0], C{i}[1] = v, (None if {skip} else E{i}(v))",
                  f"        t = C{i}[1]",
                  f"    if t is not None: p.append({key} + t)"]
    lines.append('    return ",".join(p)')
    exec("\n".join(lines), env)  # our own source, from the chain's column names
    return env["body"]


class BulkLinker:
    """Links rows that a bulk loader writes itself (COPY), as it prepares them: each row gets the next
    ``seq``, ``prev_hash`` and ``hash`` of its stream before it is written, so nothing is read back
    and rewritten afterwards (at 200,000 applications that UPDATE was half the load's time).

    ``link(values, stream)`` takes ``values`` as they will read back from the database (the caller
    normalises types: Decimals to their places, ids as ints); ``link_raw(values, defaults, stream)``
    takes them as the loader writes them (``defaults`` for the columns not given) and normalises
    itself, much faster. The stream's head is locked on first use, inside the caller's transaction,
    and ``store()`` writes the heads back. If anything else appended to a stream meanwhile,
    ``store()`` refuses (the rows would share sequence numbers)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.tails: dict[str, list] = {}  # stream -> [head pk, seq, hash, seq when taken]
        self._body = _row_encoder(chain)

    def _tail(self, stream: str) -> list:
        tail = self.tails.get(stream)
        if tail is None:
            head = _locked_head(self.chain, stream)
            tail = self.tails[stream] = [head.pk, head.seq, head.hash, head.seq]
        return tail

    def link(self, values: dict[str, Any], stream: str = "") -> dict[str, Any]:
        tail = self._tail(stream)
        seq, prev = tail[1] + 1, tail[2]
        digest = row_hash(seq, prev, self.chain.hashed(lambda name: stream if name == "stream" else values[name]))
        tail[1], tail[2] = seq, digest
        return {"seq": seq, "prev_hash": prev, "hash": digest}

    def link_raw(self, values: dict[str, Any], defaults: dict[str, Any], stream: str = "") -> tuple[int, str, str]:
        """(seq, prev_hash, hash) of the next row of ``stream``: the same hash as ``link`` of the
        values as stored."""
        tail = self.tails.get(stream) or self._tail(stream)
        seq, prev = tail[1] + 1, tail[2]
        body = '{"prev":' + _string(prev) + ',"row":{' + self._body(values, defaults, stream) + '},"seq":' + str(seq) + "}"
        digest = _sha256(body.encode()).hexdigest()
        tail[1], tail[2] = seq, digest
        return seq, prev, digest

    def store(self) -> None:
        heads = self.chain.head_model.objects
        for pk, seq, digest, taken in self.tails.values():
            if heads.filter(pk=pk, seq=taken).update(seq=seq, hash=digest) != 1:
                raise RuntimeError(f"audit chain {self.chain.name}: appended to during a bulk load")
        for tail in self.tails.values():
            tail[3] = tail[1]

    def pending_heads(self) -> list[tuple[int, int, int, str]]:
        """(head pk, seq when taken, seq, hash) of each stream moved since the last ``store``/``stored``."""
        return [(pk, taken, seq, digest) for pk, seq, digest, taken in self.tails.values() if seq != taken]

    def stored(self) -> None:
        """The heads of ``pending_heads`` were written (by the caller, guarded the same way)."""
        for tail in self.tails.values():
            tail[3] = tail[1]
