"""Issue #10, item 11: random sequences of everything that moves money, as different roles, through
the services only; after every step every money invariant holds and both verifiers are clean.

Steps: create, edit, submit, return, review, publish, approve, disburse, revoke, claw back (with or
without fraud), adjust a budget, change rules; register a loan, repay, default (opens a risk claim),
compensate, recover. A step that the rules refuse is fine (a 400/403/409 is the service doing its
job); a step that goes through must leave the books right.
"""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from applicants.errors import DomainError
from core import audit_chain
from funding import bounds, clawbacks, ledger, services
from funding.models import Application, Budget, EntryKind, LedgerEntry, Program
from funding.program_rules import program_update
from funding.verify import ledger_violations
from pledges import services as pledge_services
from pledges.models import LoanStatus, PledgeLoan, Recovery
from tests import factories
from tests.pledges.helpers import IN_TERM, loan_body

pytestmark = pytest.mark.slow

amounts = st.integers(min_value=1, max_value=60_000_000).map(lambda c: Decimal(c) / 100)  # 0.01 … 600,000.00
picks = st.integers(min_value=0, max_value=1_000)
_vouchers = itertools.count(1)
PROGRAMS = ("application_subsidy", "industrialization")


def make_machine(world):
    for code in (*PROGRAMS, "risk_compensation"):
        Program.objects.filter(pk=world.programs[code].pk).update(publicity_days=0)
    applicants = [world.applicant1, world.applicant2]

    class MoneyMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.app_ids: list[int] = []
            self.loan_ids: list[int] = []
            self.bounds_at_approval: dict[int, Decimal] = {}

        # --- helpers ---
        def _has(self, *states):
            return Application.objects.filter(pk__in=self.app_ids, state__in=states).exists()

        def _has_loan(self, *statuses):
            return PledgeLoan.objects.filter(pk__in=self.loan_ids, status__in=statuses).exists()

        def _app(self, pick, *states):
            qs = Application.objects.filter(pk__in=self.app_ids)
            if states:
                qs = qs.filter(state__in=states)
            apps = list(qs.order_by("pk"))
            return apps[pick % len(apps)] if apps else None

        def _try(self, fn, *args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except DomainError:
                return None

        def _step(self, app, name, by, **kwargs):
            return self._try(services.application_transition, application_id=app.pk, name=name, by=by, **kwargs)

        # --- applications ---
        @rule(who=st.sampled_from([0, 1]), code=st.sampled_from(PROGRAMS), amount=amounts)
        def create(self, who, code, amount):
            user = applicants[who]
            patent = factories.PatentFactory(owner=user.applicant)
            if code == "application_subsidy":
                details = {"patents": [patent.number], "official_fees_paid": "5000.00"}
                amount = None
            else:
                details = {"patents": [patent.number], "total_investment": "900000.00", "self_funding": "300000.00",
                           "expected_output_value": "1000000.00", "jobs": 5}
            app = self._try(services.application_create, by=user, program_code=code, title="随机申请",
                            requested_amount=amount, details=details)
            if app is not None:
                self.app_ids.append(app.pk)

        @precondition(lambda self: self._has("draft", "returned"))
        @rule(pick=picks, amount=amounts)
        def edit(self, pick, amount):
            app = self._app(pick, "draft", "returned")
            if app is not None:
                user = world.applicant1 if app.applicant_id == world.enterprise1.pk else world.applicant2
                self._try(services.application_update_draft, application_id=app.pk, by=user, requested_amount=amount)

        @precondition(lambda self: self._has("draft", "returned"))
        @rule(pick=picks)
        def submit(self, pick):
            app = self._app(pick, "draft", "returned")
            if app is not None:
                user = world.applicant1 if app.applicant_id == world.enterprise1.pk else world.applicant2
                self._step(app, "submit", user)

        @precondition(lambda self: self._has("submitted", "accepted", "under_review"))
        @rule(pick=picks, name=st.sampled_from(["accept", "send_to_review", "publish"]))
        def intake(self, pick, name):
            app = self._app(pick, "submitted", "accepted", "under_review")
            if app is not None:
                self._step(app, name, world.clerk)

        @precondition(lambda self: self._has("submitted", "accepted", "under_review"))
        @rule(pick=picks)
        def return_case(self, pick):
            app = self._app(pick, "submitted", "accepted", "under_review")
            if app is not None:
                self._step(app, "return_for_revision", world.clerk, comment="请补正")

        @precondition(lambda self: self._has("under_review"))
        @rule(pick=picks, expert=st.sampled_from([0, 1, 2]), amount=amounts)
        def review(self, pick, expert, amount):
            app = self._app(pick, "under_review")
            if app is not None:
                self._try(services.review_submit, application_id=app.pk, by=world.experts[expert], score=80,
                          recommended_amount=min(amount, app.requested_amount))

        @precondition(lambda self: self._has("publicity", "accepted"))
        @rule(pick=picks, amount=st.none() | amounts)
        def approve(self, pick, amount):
            app = self._app(pick, "publicity", "accepted")
            if app is None:
                return
            limits = bounds.case_limits(app)
            data = {} if amount is None else {"approved_amount": str(amount)}
            done = self._step(app, "approve", world.finance, data=data)
            if done is not None:
                self.bounds_at_approval[app.pk] = min(limit.amount for limit in limits)

        @precondition(lambda self: self._has("approved"))
        @rule(pick=picks, share=st.sampled_from(["0.3", "0.6", "1"]))
        def disburse(self, pick, share):
            app = self._app(pick, "approved")
            if app is None:
                return
            amount = max(Decimal("0.01"), (app.outstanding_amount * Decimal(share)).quantize(Decimal("0.01")))
            self._step(app, "disburse", world.finance, data={"amount": str(amount), "voucher_no": f"S-{next(_vouchers)}"})

        @precondition(lambda self: self._has("approved"))
        @rule(pick=picks)
        def revoke(self, pick):
            app = self._app(pick, "approved")
            if app is not None:
                self._step(app, "revoke", world.finance, comment="撤销")

        @precondition(lambda self: Application.objects.filter(pk__in=self.app_ids, disbursed_amount__gt=0).exists())
        @rule(pick=picks, share=st.sampled_from(["0.2", "0.5", "1"]), fraud=st.booleans())
        def claw_back(self, pick, share, fraud):
            apps = list(Application.objects.filter(pk__in=self.app_ids, disbursed_amount__gt=0).order_by("pk"))
            app = apps[pick % len(apps)]
            left = app.disbursed_amount - app.clawed_back_amount
            amount = max(Decimal("0.01"), (left * Decimal(share)).quantize(Decimal("0.01")))
            self._try(clawbacks.clawback_record, by=world.finance, application_id=app.pk, amount=str(amount),
                      date=IN_TERM, voucher_no=f"ZH-{next(_vouchers)}", reason="随机追回", fraud=fraud)

        @rule(code=st.sampled_from(PROGRAMS), amount=amounts, cut=st.booleans())
        def adjust_budget(self, code, amount, cut):
            self._try(services.budget_adjust, by=world.finance, program_code=code, year=world.year,
                      amount=-amount if cut else amount, reason="随机调整")

        @precondition(lambda self: len(self.app_ids) % 4 == 0)  # now and then, not every other step
        @rule(code=st.sampled_from(PROGRAMS), cap=st.sampled_from(["200000.00", "500000.00", None]),
              standard=st.sampled_from(["500.00", "1000.00", "3000.00"]))
        def change_rules(self, code, cap, standard):
            changes = {"cap_per_project": cap}
            if code == "application_subsidy":
                changes["subsidy_standards"] = {"invention": {"CN": standard, "*": "10000.00"}}
            self._try(program_update, by=world.admin, code=code, changes=changes)

        # --- loans ---
        @precondition(lambda self: len(self.loan_ids) < 4)
        @rule()
        def register_loan(self):
            body = loan_body(borrower_credit_code=world.enterprise1.credit_code, principal="2000000.00")
            loan = self._try(pledge_services.loan_register, by=world.bank1_user, **body)
            if loan is not None:
                self.loan_ids.append(loan.pk)

        def _loan(self, pick, *statuses):
            loans = list(PledgeLoan.objects.filter(pk__in=self.loan_ids, status__in=statuses).order_by("pk"))
            return loans[pick % len(loans)] if loans else None

        @precondition(lambda self: self._has_loan(LoanStatus.ACTIVE))
        @rule(pick=picks, amount=amounts)
        def repay(self, pick, amount):
            loan = self._loan(pick, LoanStatus.ACTIVE)
            if loan is not None:
                self._try(pledge_services.repayment_record, by=world.bank1_user, loan_id=loan.pk,
                          **{"date": IN_TERM, "principal": str(min(amount, loan.outstanding_principal)),
                                "interest": "100.00"})

        @precondition(lambda self: self._has_loan(LoanStatus.ACTIVE))
        @rule(pick=picks, amount=amounts)
        def default(self, pick, amount):
            loan = self._loan(pick, LoanStatus.ACTIVE)
            if loan is None:
                return
            done = self._try(pledge_services.loan_default, by=world.bank1_user, loan_id=loan.pk,
                             **{"date": IN_TERM, "outstanding_principal": str(amount)})
            if done is not None:
                claim = Application.objects.get(risk_claim__loan=loan)
                self.app_ids.append(claim.pk)
                self._step(claim, "accept", world.fincenter)
                self._step(claim, "approve", world.finance)

        @precondition(lambda self: self._has_loan(LoanStatus.COMPENSATED))
        @rule(pick=picks, amount=amounts)
        def recover(self, pick, amount):
            loan = self._loan(pick, LoanStatus.COMPENSATED)
            if loan is not None:
                self._try(pledge_services.recovery_record, by=world.bank1_user, loan_id=loan.pk,
                          **{"date": IN_TERM, "amount": str(amount)})

        # --- invariants, after every step ---
        @invariant()
        def budgets_balance(self):
            for budget in Budget.objects.all():
                f = ledger.budget_figures(budget)
                assert f.available >= 0 and f.committed >= 0
                assert f.allocated == f.available + f.committed + f.disbursed

        @invariant()
        def each_case_within_its_bound(self):
            for app in Application.objects.filter(pk__in=self.app_ids, approved_amount__isnull=False):
                assert app.clawed_back_amount <= app.disbursed_amount <= app.approved_amount
                if app.pk in self.bounds_at_approval:
                    assert app.approved_amount <= self.bounds_at_approval[app.pk]

        @invariant()
        def yearly_caps_hold(self):
            for code in PROGRAMS:
                program = Program.objects.get(pk=world.programs[code].pk)
                if program.cap_per_applicant_year is None:
                    continue
                for user in applicants:
                    held = Application.objects.filter(
                        program=program, applicant=user.applicant, fiscal_year=world.year,
                        state__in=bounds.HOLDING_STATES).aggregate(t=Sum("approved_amount"))["t"] or Decimal("0")
                    assert held <= program.cap_per_applicant_year

        @invariant()
        def pool_recovers_at_most_what_it_paid(self):
            for loan in PledgeLoan.objects.filter(pk__in=self.loan_ids):
                paid = LedgerEntry.objects.filter(application__risk_claim__loan=loan, kind=EntryKind.PAYMENT) \
                    .aggregate(t=Sum("amount"))["t"] or Decimal("0")
                back = Recovery.objects.filter(loan=loan).aggregate(t=Sum("pool_share"))["t"] or Decimal("0")
                assert back <= paid

        @invariant()
        def verifiers_are_clean(self):
            assert ledger_violations() == []
            assert audit_chain.verify_all(audit_chain.registered()) == []

    return MoneyMachine


def test_random_sequences_of_money_steps_keep_every_invariant(world):
    run_state_machine_as_test(make_machine(world), settings=settings(
        max_examples=10, stateful_step_count=40, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
