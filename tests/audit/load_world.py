"""Run inside ``manage.py shell`` against the kill test's own database: a world to load, as JSON on stdout.

Usage: ``manage.py shell -c "from tests.audit.load_world import main; main(N)"``.
"""

import json
from decimal import Decimal

from django.utils import timezone

from api.models import ApiToken
from funding import counts, ledger, services
from funding.models import Application, TransitionLog
from tests import factories
from tests.funding.helpers import no_publicity


def main(n: int) -> None:
    world = factories.build_world()
    no_publicity(world)
    program = world.programs["application_subsidy"]
    apps = Application.objects.bulk_create([
        Application(program=program, applicant=world.enterprise1, fiscal_year=world.year, title=f"负载审批 {i}",
                    requested_amount=Decimal("1000.00"), state="publicity", publicity_started_on=timezone.localdate())
        for i in range(2 * n)
    ])
    counts.rebuild()  # the bulk insert bypassed Application.save
    to_approve, to_disburse = apps[:n], apps[n:]
    for app in to_disburse:
        services.application_transition(application_id=app.pk, name="approve", by=world.finance)
    tokens = {name: ApiToken.issue(getattr(world, name), name="kill-test")[1]
              for name in ("finance", "bank1_user", "bank2_user")}
    print(json.dumps({"approve": [a.pk for a in to_approve], "disburse": [a.pk for a in to_disburse],
                      "tokens": tokens}))


def consistency() -> None:
    """Applications whose state disagrees with their ledger or their last audit row, as JSON on stdout."""
    bad = []
    for app in Application.objects.order_by("pk"):
        balances = ledger.application_balances(app.pk)
        last = TransitionLog.objects.filter(application=app).order_by("-seq").values_list("to_state", flat=True).first()
        held = balances["committed"] + balances["paid"]
        if app.state in ("approved", "disbursed"):
            ok = held == app.approved_amount and balances["paid"] == app.disbursed_amount and last == app.state
        else:
            ok = held == 0 and (last is None or last == app.state)
        if not ok:
            bad.append({"id": app.pk, "state": app.state, "last_log": last, "committed": str(balances["committed"]),
                        "paid": str(balances["paid"])})
    print(json.dumps({"bad": bad, "applications": Application.objects.count()}))
