"""Shortcuts for the audit tests: audit rows made through the real services, findings of both chains."""

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

from core import audit_chain
from pledges import services
from tests.funding.helpers import no_publicity, step, subsidy_app
from tests.pledges.helpers import IN_TERM, register


def findings() -> list[str]:
    return audit_chain.verify_all(audit_chain.registered())


def run_verify_audit(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def approved_subsidy(world):
    """An application subsidy taken to ``approved``: four transition-log rows."""
    no_publicity(world)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    return step(app, "approve", world.finance)


def loan_with_events(world):
    """A loan registered and repaid once: two loan-event rows."""
    loan = register(world.bank1_user)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "1000.00", "interest": "100.00"})
    return loan
