"""Random sequences of adjustments, approvals, payments and revocations keep every ledger invariant."""

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from applicants.errors import Conflict, Invalid
from funding import ledger, services
from funding.models import Application, Program
from funding.verify import ledger_violations

cents = st.integers(min_value=1, max_value=300_000).map(lambda c: Decimal(c) / 100)
_years = itertools.count(2030)
_vouchers = itertools.count(1)


def make_machine(world):
    program = world.programs["application_subsidy"]
    Program.objects.filter(pk=program.pk).update(publicity_days=0)

    class LedgerMachine(RuleBasedStateMachine):
        @initialize(amount=cents)
        def open_budget(self, amount):
            self.year = next(_years)
            self.budget = services.budget_allocate(by=world.finance, program=program, year=self.year, amount=amount)
            self.app_ids: list[int] = []

        @rule(amount=cents, cut=st.booleans())
        def adjust(self, amount, cut):
            try:
                services.budget_adjust(by=world.finance, program_code=program.code, year=self.year,
                                       amount=-amount if cut else amount, reason="随机调整")
            except Conflict as exc:
                assert cut and exc.code == "budget_cut_too_deep"
                assert amount > ledger.budget_figures(self.budget).available

        @rule(amount=cents)
        def approve(self, amount):
            app = Application.objects.create(
                program=program, applicant=world.enterprise1, fiscal_year=self.year, title="随机", state="publicity",
                requested_amount=amount, publicity_started_on=timezone.localdate())
            available = ledger.budget_figures(self.budget).available
            try:
                services.application_transition(application_id=app.pk, name="approve", by=world.finance)
                self.app_ids.append(app.pk)
            except Conflict as exc:
                assert exc.code == "budget_exhausted" and amount > available

        @rule(pick=st.integers(min_value=0, max_value=50), share=st.sampled_from(["0.25", "0.5", "1"]))
        def pay(self, pick, share):
            apps = list(Application.objects.filter(pk__in=self.app_ids, state="approved").order_by("pk"))
            if not apps:
                return
            app = apps[pick % len(apps)]
            amount = max(Decimal("0.01"), (app.outstanding_amount * Decimal(share)).quantize(Decimal("0.01")))
            services.application_transition(application_id=app.pk, name="disburse", by=world.finance,
                                            data={"amount": amount, "voucher_no": f"H-{next(_vouchers)}"})

        @rule(pick=st.integers(min_value=0, max_value=50))
        def revoke(self, pick):
            apps = list(Application.objects.filter(pk__in=self.app_ids, state="approved").order_by("pk"))
            if not apps:
                return
            app = apps[pick % len(apps)]
            try:
                services.application_transition(application_id=app.pk, name="revoke", by=world.finance,
                                                comment="随机撤销")
            except Conflict as exc:
                assert exc.code == "already_paid" and app.disbursed_amount > 0

        @invariant()
        def ledger_holds(self):
            if not hasattr(self, "budget"):
                return
            figures = ledger.budget_figures(self.budget)
            assert figures.available >= 0 and figures.committed >= 0
            assert figures.allocated == figures.available + figures.committed + figures.disbursed

        def teardown(self):
            assert ledger_violations() == []  # the full check (every budget and application) once per run

    return LedgerMachine


@pytest.mark.slow
def test_random_money_movements_keep_the_ledger_whole(world):
    machine = make_machine(world)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=12, stateful_step_count=15, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_invalid_zero_adjustment_is_refused(world):
    with pytest.raises(Invalid):
        services.budget_adjust(by=world.finance, program_code="patent_award", year=world.year, amount=Decimal("0"),
                               reason="x")
