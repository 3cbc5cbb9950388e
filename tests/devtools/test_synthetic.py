"""generate_synthetic: valid identifiers, a clean ledger, the counts asked for, reruns add more."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from applicants.identifiers import check_credit_code, check_patent_number, check_resident_id
from applicants.models import Applicant, IPAsset, Region
from core import audit_chain
from devtools import synthetic
from devtools.bulk_rows import Table
from funding import ledger
from funding.models import Application, EntryKind, LedgerEntry, PatentClaim
from funding.workflow import ProgramCode, State
from pledges.models import LIVE_STATUSES, LoanStatus, PledgedRight, PledgeLoan, Repayment

pytestmark = pytest.mark.django_db

APPS, LOANS = 300, 50


def _generate(seed: int = 7, **extra) -> None:
    call_command("generate_synthetic", applications=APPS, loans=LOANS, seed=seed, no_progress=True,
                 stdout=StringIO(), **extra)


@pytest.fixture
def generated(db):
    _generate()


def test_generates_exactly_the_applications_and_loans_asked_for(generated):
    assert Application.objects.count() == APPS
    assert PledgeLoan.objects.count() == LOANS


def test_ledger_is_clean_after_generation(generated):
    call_command("verify_ledger", stdout=StringIO())  # raises CommandError (exit 1) on any violation


def test_audit_chains_are_clean_after_generation(generated):
    call_command("verify_audit", stdout=StringIO())  # raises CommandError (exit 1) on any finding


def test_identifiers_are_valid(generated):
    for code in Applicant.objects.exclude(credit_code=None).values_list("credit_code", flat=True):
        assert check_credit_code(code) == code
    for rid in Applicant.objects.exclude(resident_id=None).values_list("resident_id", flat=True):
        assert check_resident_id(rid) == rid
    for number in IPAsset.objects.filter(kind=IPAsset.Kind.PATENT).values_list("number", flat=True):
        assert check_patent_number(number).number == number


def test_spread_covers_programs_states_years_and_regions(generated):
    assert set(Application.objects.values_list("program__code", flat=True)) == set(ProgramCode.values)
    states = set(Application.objects.values_list("state", flat=True))
    assert {State.DRAFT, State.SUBMITTED, State.APPROVED, State.DISBURSED, State.REJECTED} <= states
    assert Application.objects.values("fiscal_year").distinct().count() >= 8
    assert Region.objects.count() == 3
    assert {LoanStatus.ACTIVE, LoanStatus.SETTLED} <= set(PledgeLoan.objects.values_list("status", flat=True))


def test_disbursed_amounts_equal_payment_entries_with_unique_vouchers(generated):
    paid = Application.objects.annotate(
        paid=Sum("ledger_entries__amount", filter=Q(ledger_entries__kind=EntryKind.PAYMENT)))
    for app in paid.filter(state__in=[State.APPROVED, State.DISBURSED]):
        assert (app.paid or 0) == app.disbursed_amount
    vouchers = LedgerEntry.objects.exclude(voucher_no=None)
    assert vouchers.count() == vouchers.values("voucher_no").distinct().count() > 0


def test_live_patent_claims_and_live_pledges_are_unique(generated):
    dup_claims = PatentClaim.objects.filter(live=True).values("program", "patent").annotate(n=Count("id"))
    assert not dup_claims.filter(n__gt=1).exists()
    dup_rights = PledgedRight.objects.filter(live=True).values("kind", "number").annotate(n=Count("id"))
    assert not dup_rights.filter(n__gt=1).exists()
    assert not PledgedRight.objects.filter(live=True).exclude(loan__status__in=LIVE_STATUSES).exists()


def test_loans_have_repayments_and_defaults_open_risk_claims(generated):
    assert Repayment.objects.count() >= LOANS * 3
    for loan in PledgeLoan.objects.filter(status=LoanStatus.SETTLED)[:10]:
        assert loan.outstanding_principal == 0
    defaulted = PledgeLoan.objects.filter(status__in=[LoanStatus.DEFAULTED, LoanStatus.COMPENSATED])
    assert defaulted.filter(risk_claim__isnull=True).count() == 0


def test_a_second_run_adds_more_without_collisions(generated):
    _generate(seed=8)
    assert Application.objects.count() == 2 * APPS
    assert PledgeLoan.objects.count() == 2 * LOANS
    call_command("verify_ledger", stdout=StringIO())


def test_extra_regions_and_assets_are_created_on_request(db):
    _generate(regions=5, assets=40)
    assert Region.objects.count() == 5
    claimed = PatentClaim.objects.values("patent")
    pledged = PledgedRight.objects.values("ip_asset")
    assert IPAsset.objects.exclude(pk__in=claimed).exclude(pk__in=pledged).count() >= 40


def test_a_second_run_keeps_the_audit_chains_clean(generated):
    """The second load continues each chain from its head (bulk rows are linked as they are written)."""
    _generate(seed=8)
    call_command("verify_audit", stdout=StringIO())


def test_bulk_rows_are_linked_as_written_not_sealed_afterwards(db, monkeypatch):
    """No bulk-written audit row is left for ``seal_unchained`` to read back and rewrite."""
    sealed = []
    real = audit_chain.seal_unchained
    monkeypatch.setattr(synthetic, "seal_unchained", lambda chain: sealed.append(real(chain)) or sealed[-1])
    _generate()
    assert sealed and set(sealed) == {0}


@pytest.mark.tampers
def test_an_edit_of_a_bulk_linked_row_is_a_finding(generated):
    entry = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).order_by("pk").first()
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=entry.amount + 1)
    assert any(f"#{entry.pk}" in finding for finding in audit_chain.verify_all(audit_chain.registered()))


def test_a_bulk_load_refuses_a_stream_appended_to_meanwhile(world):
    """Rows prepared from a head that someone else moved would share its sequence numbers."""
    budget = world.budgets["application_subsidy"]
    stream = audit_chain.chain_of(LedgerEntry).stream_of({"budget": budget})
    assert stream  # the stream ledger.post appends to
    table = Table(LedgerEntry, {})
    table.add(budget_id=budget.pk, kind=EntryKind.ADJUSTMENT, amount=Decimal("10.00"), credit_account="source",
              debit_account="available", booked_on=budget.entries.first().booked_on, memo="批量", stream=stream)
    ledger.post(budget=budget, kind=EntryKind.ADJUSTMENT, amount=Decimal("5.00"), memo="同时")
    with pytest.raises(RuntimeError, match="appended to during a bulk load"):
        table.flush()
