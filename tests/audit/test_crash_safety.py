"""A failure inside an approval's transaction leaves nothing half-written: state, audit and ledger."""

import pytest

from funding import audit, ledger
from funding.models import Application, AuditChainHead, LedgerEntry, TransitionLog
from funding.verify import ledger_violations
from tests import factories
from tests.audit.helpers import findings
from tests.funding.helpers import no_publicity, step, subsidy_app


class Injected(RuntimeError):
    pass


def _in_publicity(world):
    no_publicity(world)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    return step(app, "publish", world.clerk)


def _snapshot(app):
    return (Application.objects.get(pk=app.pk).state, TransitionLog.objects.count(), LedgerEntry.objects.count(),
            list(AuditChainHead.objects.order_by("chain").values_list("chain", "seq", "hash")))


def _fail(*args, **kwargs):
    raise Injected("注入的故障")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", [(ledger, "post"), (audit, "record")], ids=["ledger.post", "audit.record"])
def test_failure_injected_in_approval_leaves_state_audit_and_ledger_unchanged(role_groups, monkeypatch, target):
    world = factories.build_world()
    app = _in_publicity(world)
    before = _snapshot(app)
    monkeypatch.setattr(*target, _fail)
    with pytest.raises(Injected):
        step(app, "approve", world.finance)
    monkeypatch.undo()
    assert _snapshot(app) == before
    assert ledger_violations() == [] and findings() == []


@pytest.mark.django_db(transaction=True)
def test_after_a_rolled_back_approval_the_next_one_extends_the_chain(role_groups, monkeypatch):
    world = factories.build_world()
    app = _in_publicity(world)
    monkeypatch.setattr(ledger, "post", _fail)
    with pytest.raises(Injected):
        step(app, "approve", world.finance)
    monkeypatch.undo()
    assert step(app, "approve", world.finance).state == "approved"
    assert list(TransitionLog.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert ledger_violations() == [] and findings() == []
