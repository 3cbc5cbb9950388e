"""Reads that may come from a streaming replica: the year-end report and the statistics exports.

``DATABASE_REPLICA_URL`` adds a ``replica`` database; inside ``replica_reads()`` every read goes
there (``ReplicaRouter``), everything else — every write, every lock, every read outside the block —
stays on the primary. Without the setting the block changes nothing. A replica lags by a moment, so
only whole-year aggregates run there, never a read that a write (or a lock) depends on.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_ON_REPLICA = contextvars.ContextVar("ipfund_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _ON_REPLICA.set(REPLICA in settings.DATABASES)
    try:
        yield
    finally:
        _ON_REPLICA.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _ON_REPLICA.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
