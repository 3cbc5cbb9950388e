import pytest

from core import audit_chain
from funding.verify import ledger_violations


@pytest.fixture
def books_stay_clean(request, db):
    """After the test: ``verify_ledger`` and ``verify_audit`` find nothing (unless it tampers on purpose)."""
    yield
    if request.node.get_closest_marker("tampers") is None:
        assert ledger_violations() == []
        assert audit_chain.verify_all(audit_chain.registered()) == []
