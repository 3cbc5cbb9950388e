"""Issue #14, item 4: 免申即享 — interest subsidies opened from the banks' reports, without applying."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

from applicants.errors import Conflict, NotAllowed
from core.models import InboxMessage
from funding import rule_versions
from funding.models import Application
from funding.program_rules import program_update
from funding.verify import ledger_violations
from pledges.auto_subsidy import auto_subsidy_run
from pledges.models import InterestSubsidyLoan
from tests.clients import page_client
from tests.factories import build_world, ensure_role_groups
from tests.pledges.test_programs import LAST_YEAR, _loan_with_interest, _step, _subsidy_application

pytestmark = pytest.mark.django_db


def _mode(world, mode, on="", **rules):
    program_update(by=world.admin, code="interest_subsidy",
                   changes={"auto_subsidy_mode": mode, "auto_subsidy_on": on, **rules})
    return world.programs["interest_subsidy"]


def _run(world, program=None):
    return auto_subsidy_run(by=world.fincenter, program=program or world.programs["interest_subsidy"], year=LAST_YEAR)


def test_a_run_opens_a_filled_in_draft_per_enterprise_for_it_to_confirm(world, django_capture_on_commit_callbacks):
    _loan_with_interest(world, world.enterprise1, "10000.00", "5000.01")
    _loan_with_interest(world, world.enterprise2, "800.00")
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(world, _mode(world, "confirm"))
    apps = Application.objects.filter(auto_opened=True).order_by("applicant_id")
    assert run.created == 2 and [a.state for a in apps] == ["draft", "draft"]
    assert apps[0].requested_amount == Decimal("7500.01") and apps[0].interest_claim.auto
    assert InboxMessage.objects.filter(user=world.applicant1, link=f"/funding/{apps[0].pk}/").exists()


def test_running_twice_creates_nothing_the_second_time(world):
    _loan_with_interest(world, world.enterprise1, "10000.00")
    program = _mode(world, "confirm")
    _run(world, program)
    second = _run(world, program)
    assert second.created == 0 and Application.objects.filter(auto_opened=True).count() == 1
    assert InterestSubsidyLoan.objects.filter(year=LAST_YEAR, live=True).count() == 1


def test_a_loan_year_already_applied_for_by_hand_is_skipped(world):
    loan = _loan_with_interest(world, world.enterprise1, "10000.00")
    _subsidy_application(world, [loan])
    assert _run(world, _mode(world, "confirm")).created == 0


def test_the_enterprise_confirms_by_submitting_and_the_case_is_paid_once(world):
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _run(world, _mode(world, "confirm", publicity_days=0))
    app = Application.objects.get(auto_opened=True)
    _step(app, "submit", world.applicant1)
    _step(app, "accept", world.fincenter)
    _step(app, "publish", world.fincenter)
    _step(app, "approve", world.finance)
    _step(app, "disburse", world.finance, amount="5000.00", voucher_no="ZF-AUTO-1")
    assert Application.objects.get(pk=app.pk).disbursed_amount == Decimal("5000.00")
    assert _run(world).created == 0 and ledger_violations() == []


def test_direct_mode_submits_for_the_fin_center_to_take(world):
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _run(world, _mode(world, "direct"))
    app = Application.objects.get(auto_opened=True)
    assert app.state == "submitted" and app.history.get(transition="submit").by == world.fincenter


def test_a_program_without_the_rule_refuses_the_run(world):
    with pytest.raises(Conflict) as err:
        _run(world)
    assert err.value.code == "auto_subsidy_off"


def test_only_the_fin_center_or_admin_runs_it(world):
    with pytest.raises(NotAllowed):
        auto_subsidy_run(by=world.clerk, program=_mode(world, "confirm"), year=LAST_YEAR)


def test_the_fin_center_cannot_submit_a_confirm_mode_case_for_the_enterprise(world):
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _run(world, _mode(world, "confirm"))
    app = Application.objects.get(auto_opened=True)
    with pytest.raises(NotAllowed):
        _step(app, "submit", world.fincenter)


def test_the_daily_command_runs_only_programs_due_today(world, monkeypatch):
    real = timezone.localdate()
    _loan_with_interest(world, world.enterprise1, "10000.00")
    rule_versions.version_create(by=world.admin, program=world.programs["interest_subsidy"],
                                 effective_from=real.replace(month=1, day=1),
                                 changes={"auto_subsidy_mode": "confirm", "auto_subsidy_on": "01-15"})
    out = StringIO()
    call_command("run_auto_subsidies", stdout=out)
    assert "没有到计算日" in out.getvalue() and not Application.objects.filter(auto_opened=True).exists()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: real.replace(month=1, day=15))
    call_command("run_auto_subsidies", stdout=out)
    assert Application.objects.filter(auto_opened=True).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_runs_at_once_open_one_case(transactional_db):
    ensure_role_groups()  # a transaction=True test's flush removes the migration's groups
    world = build_world()
    _loan_with_interest(world, world.enterprise1, "10000.00")
    program = _mode(world, "confirm")
    barrier, errors = threading.Barrier(2), []

    def go():
        try:
            barrier.wait()
            _run(world, program)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and Application.objects.filter(auto_opened=True).count() == 1


def test_the_enterprise_sees_the_case_was_opened_for_it_with_the_calculation(world):
    _loan_with_interest(world, world.enterprise1, "10000.00")
    _run(world, _mode(world, "confirm"))
    app = Application.objects.get(auto_opened=True)
    html = page_client(world.applicant1).get(f"/funding/{app.pk}/").content.decode()
    assert 'id="auto-opened"' in html and 'id="amount-explained"' in html and "10,000.00 元" in html
