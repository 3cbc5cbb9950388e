"""Issue #15: report reads may go to a replica; writes and everything else stay on the primary."""

from django.conf import settings

from core.db_routing import ReplicaRouter, replica_reads
from funding.models import Application

ROUTER = ReplicaRouter()


def test_without_a_replica_the_block_changes_nothing():
    with replica_reads():
        assert ROUTER.db_for_read(Application) is None


def test_with_a_replica_reads_in_the_block_go_there_and_writes_never(monkeypatch):
    monkeypatch.setattr(settings, "DATABASES", {**settings.DATABASES, "replica": settings.DATABASES["default"]})
    assert ROUTER.db_for_read(Application) is None
    with replica_reads():
        assert ROUTER.db_for_read(Application) == "replica"
        assert ROUTER.db_for_write(Application) == "default"
    assert ROUTER.db_for_read(Application) is None
    assert ROUTER.allow_migrate("replica", "funding") is False
