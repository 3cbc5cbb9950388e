"""A tamper-evident hash chain over the rows of one audit table (generic: models are passed in).

A table's rows form one chain per *stream* (``Chain.stream_of``: a region's cases, a bank's loans;
``""`` for a table with one stream and for rows written before streams existed), so that writes of
unrelated regions or banks never queue for the same head row. Each chained row carries ``stream``,
``seq`` (1, 2, 3… unique and gapless within its stream), ``prev_hash`` (the ``hash`` of row
``seq - 1`` of its stream; 64 zeros for the first) and ``hash`` = SHA-256 over a canonical
JSON of ``{"seq", "prev", "row"}``, where ``row`` holds the table's business fields with ids,
datetimes in ISO UTC, dates in ISO, Decimals as strings and JSON with sorted keys.

A head row per chain and stream (``head_model``: fields ``chain``, ``stream``, ``seq``, ``hash``) holds
the tail; it also makes a deleted *last* row visible. Rows are written by ``core.audit_seal.append``:
pending in the change's transaction (``seq`` NULL, ``hash`` = a keyed *ticket*, ``ticket``) and linked
right after it commits by a short sealing transaction that takes the head, so no change's transaction
holds a head and writes of one stream do not queue behind each other. A rolled-back change leaves
neither its row nor a moved head. An unchained row without a valid ticket is a finding.

Lock order: a transaction that takes several heads (a sealing, a bulk load) takes them in the order of
``LOCK_ORDER``, after any business rows (docs/architecture.md, "Lock order").

Every chain is registered (``register``) by the app that owns its table; ``registered()`` is what
``verify_audit`` checks. ``Chain.optional`` fields are hashed only when not None, so a field added
to a chain later leaves the hashes of the rows written before it valid.

Limits: whoever can rewrite every row after an edit *and* the head can forge a consistent chain;
``verify`` prints each head's hash so that it can be anchored outside the database (the annual
report, a printed register).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

GENESIS = "0" * 64
# Heads are taken in this order within one transaction (business rows first: application → loan → budget).
LOCK_ORDER = ("rule_version", "program_rule", "transition_log", "review", "ledger_entry", "clawback", "repayment", "recovery",
              "risk_pool_change", "loan_event")
MAX_LISTED = 20  # unchained rows listed one by one before summarising


@dataclass(frozen=True)
class Chain:
    """One audit table's chain: ``fields`` are the attnames hashed (ids as ``*_id``)."""

    name: str
    label: str
    model: type[models.Model]
    head_model: type[models.Model]
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()  # hashed only when not None (added after rows existed)
    # The stream a new row joins, from the values passed to ``append`` (a region, a bank): writes
    # of different streams take different heads, so they never wait on each other. None: one stream.
    stream_of: Callable[[dict[str, Any]], str] | None = None

    def hashed(self, get) -> dict[str, Any]:
        """The row's hashed values; ``get(name)`` reads one field. The stream is hashed when set
        (rows of the one stream before streams existed keep their hashes)."""
        row = {name: get(name) for name in self.fields}
        for name in self.optional:
            value = get(name)
            if value is not None:
                row[name] = value
        stream = get("stream") if self.streamed else ""
        if stream:
            row["stream"] = stream
        return row

    @property
    def streamed(self) -> bool:
        """False for the historical models of the migrations that sealed rows before streams existed."""
        return _has_field(self.model, "stream")

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.fields, *self.optional, *(("stream",) if self.streamed else ()))

    def head_key(self, stream: str) -> dict[str, str]:
        key = {"chain": self.name}
        if _has_field(self.head_model, "stream"):
            key["stream"] = stream
        return key

    def rows_of(self, stream: str):
        rows = self.model.objects
        return rows.filter(stream=stream) if self.streamed else rows.all()


@functools.cache
def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def stream_by(prefix: str, **sources: str) -> Callable[[dict[str, Any]], str]:
    """A ``stream_of``: ``"<prefix>:<key>"``, the key read from the first of ``sources`` present in
    an append's values (``{value name: attribute}``), e.g. ``stream_by("program", application="program_id")``."""
    def stream(values: dict[str, Any]) -> str:
        for name, attribute in sources.items():
            obj = values.get(name)
            if obj is not None:
                return f"{prefix}:{getattr(obj, attribute)}"
        return ""

    return stream


_REGISTRY: dict[str, Chain] = {}


def register(chain: Chain) -> Chain:
    """Make ``chain`` known to ``verify_audit`` (call at import of the module that defines it)."""
    if chain.name not in LOCK_ORDER:
        raise ValueError(f"audit chain {chain.name!r} has no place in LOCK_ORDER")
    _REGISTRY[chain.name] = chain
    return chain


def registered() -> list[Chain]:
    """Every registered chain, in lock order."""
    return [_REGISTRY[name] for name in LOCK_ORDER if name in _REGISTRY]


_CHECKS: list = []


def register_check(check):
    """A cross-check of live rows against their chained records (``check() -> list[str]`` of findings):
    a row that is not chained itself (an application's state, request, frozen rules) must agree with
    the chained rows that changed it, so an SQL edit of it is a finding too."""
    _CHECKS.append(check)
    return check


# --- hashing -----------------------------------------------------------------------------------

_AS_IS = (int, float, bool, type(None))


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind in _AS_IS:  # the common cases first: a chain hashes millions of rows in bulk loads
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return str(value)  # TextChoices members hash as their value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(seq: int, prev_hash: str, row: dict[str, Any]) -> bytes:
    body = {"seq": seq, "prev": prev_hash, "row": _plain(row)}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical_row(row: dict[str, Any]) -> str:
    """The ``row`` part of ``canonical``: ``canonical(seq, prev, row)`` is exactly the UTF-8 of
    ``'{"prev":"<prev>","row":<canonical_row(row)>,"seq":<seq>}'`` (keys sorted; a hash is hex), which
    lets PostgreSQL hash a row whose head it has just locked (``core.audit_seal``)."""
    return json.dumps(_plain(row), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(seq: int, prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(seq, prev_hash, row)).hexdigest()


_TICKET_SALT = "ipfund.audit.pending"


def ticket(chain: Chain, pk: int, get, *, secret: str | None = None) -> str:
    """A pending row's ticket (``core.audit_seal``): an HMAC keyed by ``SECRET_KEY``, which the
    database does not hold, binding the chain, the row's id and its hashed values."""
    return ticket_of(chain, pk, chain.hashed(get), secret=secret)


def ticket_of(chain: Chain, pk: int, hashed: dict[str, Any], *, secret: str | None = None) -> str:
    """``ticket`` from the row's hashed values already read (``Chain.hashed``)."""
    body = canonical(0, f"{chain.name}:{pk}", hashed)
    return salted_hmac(_TICKET_SALT, body, secret=secret, algorithm="sha256").hexdigest()


def ticket_valid(chain: Chain, pk: int, get, value: str | None) -> bool:
    """Made with the current key or a fallback one (``SECRET_KEY_FALLBACKS``, for a rotation)."""
    if not value:
        return False
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return any(hmac.compare_digest(ticket(chain, pk, get, secret=secret), value) for secret in secrets)


# --- appending ---------------------------------------------------------------------------------

def _tail(chain: Chain, stream: str) -> tuple[int, str]:
    last = (chain.rows_of(stream).filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first())
    return (last[0], last[1]) if last else (0, GENESIS)


def _locked_head(chain: Chain, stream: str = "") -> models.Model:
    heads = chain.head_model.objects
    key = chain.head_key(stream)
    head = heads.select_for_update().filter(**key).first()
    if head is None:
        # First use of the stream (or a flushed test database): start from its chained tail, if any.
        seq, last_hash = _tail(chain, stream)
        try:
            with transaction.atomic():
                heads.get_or_create(**key, defaults={"seq": seq, "hash": last_hash})
        except IntegrityError:  # created at the same moment by another writer of the stream
            pass
        head = heads.select_for_update().get(**key)
    return head


def chain_of(model: type[models.Model]) -> Chain | None:
    """The registered chain over ``model``'s rows, if any."""
    return next((chain for chain in _REGISTRY.values() if chain.model is model), None)


def seal_unchained(chain: Chain, *, batch: int = 2000) -> int:
    """Chain the rows written without a link (legacy rows, bulk loaders) in id order, into the
    stream they carry (a bulk loader writes one stream per call); returns how many."""
    model = chain.model
    if not chain.streamed:
        return _seal_stream(chain, "", batch)
    sealed = 0
    for stream in model.objects.filter(seq__isnull=True).values_list("stream", flat=True).distinct().order_by("stream"):
        sealed += _seal_stream(chain, stream, batch)
    return sealed


def _seal_stream(chain: Chain, stream: str, batch: int) -> int:
    model = chain.model
    sealed = 0
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain, stream)
        seq, prev = head.seq, head.hash
        while True:
            rows = list(chain.rows_of(stream).filter(seq__isnull=True).order_by("pk")
                        .values("pk", *chain.columns)[:batch])
            if not rows:
                break
            links = []
            for row in rows:
                seq += 1
                digest = row_hash(seq, prev, chain.hashed(row.__getitem__))
                links.append((row["pk"], seq, prev, digest))
                prev = digest
            _write_links(model, links)
            sealed += len(links)
        if sealed:
            chain.head_model.objects.filter(pk=head.pk).update(seq=seq, hash=prev)
    return sealed


def _write_links(model: type[models.Model], links: list[tuple[int, int, str, str]]) -> None:
    """One ``UPDATE … FROM (VALUES …)`` per batch (PostgreSQL, SQLite ≥ 3.33): bulk_update's CASE is ~10× slower."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint), %s, %s)"] * len(links))
    params = [value for link in links for value in link]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(id, seq, prev, hash) AS (VALUES {values}) "
            f"UPDATE {table} SET seq = v.seq, prev_hash = v.prev, hash = v.hash FROM v WHERE {table}.{pk} = v.id",
            params,
        )


# --- verifying ---------------------------------------------------------------------------------

def _rows(chain: Chain) -> Iterator[dict[str, Any]]:
    qs = chain.model.objects.filter(seq__isnull=False).order_by("stream", "seq", "pk")
    return qs.values("pk", "seq", "prev_hash", "hash", *chain.columns).iterator(chunk_size=5000)


def stream_note(stream: str) -> str:
    """Appended to a message about one stream's head: which stream (rows are named by their id)."""
    return _("（分区 %(stream)s）") % {"stream": stream} if stream else ""


def verify(chain: Chain) -> list[str]:
    """Every finding (in Chinese) about ``chain``, stream by stream: edited, deleted, inserted or
    unchained rows, and heads that do not match their stream's last row; [] when intact."""
    findings: list[str] = []
    tails: dict[str, tuple[int, str]] = {}
    stream, expected, prev, last_seq = None, 1, GENESIS, 0
    for row in _rows(chain):
        if row["stream"] != stream:
            if stream is not None:
                tails[stream] = (last_seq, prev)
            stream, expected, prev, last_seq = row["stream"], 1, GENESIS, 0
        label = chain.label
        seq, pk = row["seq"], row["pk"]
        if seq == last_seq:
            findings.append(_("%(chain)s：序号 %(seq)s 重复（记录 #%(id)s），疑似插入伪造记录")
                            % {"chain": label, "seq": seq, "id": pk})
        elif seq > expected:
            findings.append(_("%(chain)s：缺少序号 %(a)s–%(b)s 的记录，疑似被删除")
                            % {"chain": label, "a": expected, "b": seq - 1})
        if row["prev_hash"] != prev:
            findings.append(_("%(chain)s：记录 #%(id)s（序号 %(seq)s）的前序哈希与上一条不符，前面的记录被删除、插入或改动")
                            % {"chain": label, "id": pk, "seq": seq})
        if row_hash(seq, row["prev_hash"], chain.hashed(row.__getitem__)) != row["hash"]:
            findings.append(_("%(chain)s：记录 #%(id)s（序号 %(seq)s）的内容与其哈希不符，已被篡改")
                            % {"chain": label, "id": pk, "seq": seq})
        expected, prev, last_seq = seq + 1, row["hash"], seq
    if stream is not None:
        tails[stream] = (last_seq, prev)
    findings.extend(_head_findings(chain, tails))
    findings.extend(_unchained_findings(chain))
    return findings


def _head_findings(chain: Chain, tails: dict[str, tuple[int, str]]) -> list[str]:
    heads = {h["stream"]: h for h in chain.head_model.objects.filter(chain=chain.name).values("stream", "seq", "hash")}
    findings = []
    for stream in sorted(set(heads) | set(tails)):
        last_seq, last_hash = tails.get(stream, (0, GENESIS))
        head = heads.get(stream)
        if head is None:
            if last_seq:
                findings.append(_("%(chain)s：链头记录缺失，无法确认末尾记录是否完整") % {"chain": chain.label}
                                + stream_note(stream))
        elif head["seq"] != last_seq or head["hash"] != last_hash:
            findings.append(_("%(chain)s：链头记录为序号 %(head)s，而表中最后一条为序号 %(last)s 或哈希不符，末尾记录被删除或改动")
                            % {"chain": chain.label, "head": head["seq"], "last": last_seq} + stream_note(stream))
    return findings


def pending_rows(chain: Chain, stream: str | None = None) -> Iterator[tuple[dict[str, Any], bool]]:
    """Unchained rows (of one stream, or all) in id order, each with whether its ticket is valid."""
    rows = chain.model.objects.filter(seq__isnull=True)
    if stream is not None:
        rows = rows.filter(stream=stream)
    for row in rows.order_by("pk").values("pk", "hash", *chain.columns).iterator(chunk_size=2000):
        yield row, ticket_valid(chain, row["pk"], row.__getitem__, row["hash"])


def _unchained_findings(chain: Chain) -> list[str]:
    """Unchained rows without a valid ticket: written around ``append``, or edited before sealing.
    Rows with a valid ticket are committed writes on their way into the chain, not findings."""
    ids = [row["pk"] for row, valid in pending_rows(chain) if not valid]
    if not ids:
        return []
    total = len(ids)
    shown = "、".join(f"#{pk}" for pk in ids[:MAX_LISTED])
    return [_("%(chain)s：%(n)d 条记录未入链（绕过审计写入）：%(ids)s") % {"chain": chain.label, "n": total, "ids": shown}]


def head_of(chain: Chain, stream: str = "") -> tuple[int, str]:
    """One stream's current tail (seq, hash), for anchoring outside the database."""
    head = chain.head_model.objects.filter(chain=chain.name, stream=stream).values_list("seq", "hash").first()
    return (head[0], head[1]) if head else (0, GENESIS)


def heads_of(chain: Chain) -> list[tuple[str, int, str]]:
    """Every stream's tail (stream, seq, hash), for ``verify_audit`` to print."""
    return list(chain.head_model.objects.filter(chain=chain.name).order_by("stream")
                .values_list("stream", "seq", "hash"))


def verify_all(chains: Iterable[Chain]) -> list[str]:
    """Every finding of ``chains``, then of the registered cross-checks."""
    findings: list[str] = []
    for chain in chains:
        findings.extend(verify(chain))
    for check in _CHECKS:
        findings.extend(check())
    return findings
