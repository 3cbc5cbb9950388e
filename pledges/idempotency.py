"""Idempotency-Key for the banks' POSTs, in one place.

The record is inserted first, in the same transaction as the work it guards. A concurrent retry
with the same key blocks on the unique index (bank, key) until the first commits, then gets an
IntegrityError, rereads the record and replays its response. The same key with another body (or
another endpoint) is a 409 ``idempotency_key_reused``. Keys are scoped per bank and kept
``settings.IPFUND_IDEMPOTENCY_HOURS`` (≥ 24 h); older ones are purged opportunistically.
"""

import hashlib
import json
import random
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.errors import Conflict, DomainError, Invalid
from applicants.models import Bank

from .models import IdempotencyRecord

MAX_KEY_LENGTH = 200
PURGE_PROBABILITY = 0.02

Outcome = tuple[int, object]  # (HTTP status, JSON-able body)


def keep_hours() -> int:
    return max(24, int(getattr(settings, "IPFUND_IDEMPOTENCY_HOURS", 48)))


def request_hash(method: str, path: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def error_outcome(exc: DomainError) -> Outcome:
    """A domain error as the contract's JSON (the same shapes as ``api.exceptions``)."""
    if exc.status == 400:
        return 400, exc.as_field_errors()
    return exc.status, {"detail": exc.message, "code": exc.code}


def purge_expired(*, force: bool = False) -> int:
    if not force and random.random() > PURGE_PROBABILITY:
        return 0
    cutoff = timezone.now() - timedelta(hours=keep_hours())
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class _KeyTaken(Exception):
    pass


def _replay(record: IdempotencyRecord, digest: str) -> Outcome:
    if record.request_hash != digest:
        raise Conflict(
            _("Idempotency-Key 已用于另一个不同的请求；每个新请求请使用新的 Key"), code="idempotency_key_reused"
        )
    return record.response_status, record.response_body


def run_idempotent(*, bank: Bank, key: str | None, method: str, path: str, body: object,
                   call: Callable[[], Outcome]) -> Outcome:
    """Run ``call`` once per (bank, key); replay its outcome for a retry with the same request.

    ``call`` returns (status, JSON body); a ``DomainError`` it raises is stored as its error response.
    Without a key ``call`` simply runs.
    """
    if key is None:
        return call()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(_("Idempotency-Key 应为 1 至 %(n)d 个字符") % {"n": MAX_KEY_LENGTH}, field="Idempotency-Key")
    purge_expired()
    digest = request_hash(method, path, body)
    cutoff = timezone.now() - timedelta(hours=keep_hours())
    for _attempt in range(3):
        existing = IdempotencyRecord.objects.filter(bank=bank, key=key).first()
        if existing is not None:
            if existing.created_at >= cutoff and existing.response_status is not None:
                return _replay(existing, digest)
            existing.delete()  # expired: the key may be used afresh
        try:
            return _run_once(bank=bank, key=key, method=method, path=path, digest=digest, call=call)
        except _KeyTaken:
            continue  # a concurrent request with this key committed first: reread and replay
    raise Conflict(_("同一 Idempotency-Key 的请求正在处理，请稍后重试"), code="concurrent_modification")


def _run_once(*, bank: Bank, key: str, method: str, path: str, digest: str, call: Callable[[], Outcome]) -> Outcome:
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    bank=bank, key=key, request_hash=digest, method=method.upper()[:8], path=path[:200]
                )
        except IntegrityError:
            raise _KeyTaken from None
        try:
            with transaction.atomic():
                status, body = call()
        except DomainError as exc:
            status, body = error_outcome(exc)
        body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return status, body
