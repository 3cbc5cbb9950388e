"""The double-entry ledger: the only code that writes ``LedgerEntry`` rows and the only code that
turns entries into figures.

Accounts per budget: SOURCE (outside: treasury and recoveries), AVAILABLE, COMMITTED, PAID.
Each entry moves an amount from one account to another, so balances always sum to zero and

    allocated (= money in from SOURCE) = available + committed + paid.

Callers hold the budget row lock (``select_for_update``) when a posting depends on a balance.
Every entry is the next link of the ``ledger_entry`` audit chain: a direct SQL insert, edit or
delete of an entry is a finding of ``manage.py verify_audit``.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.audit_chain import Chain, register, stream_by
from core.audit_seal import append
from core.money import CENT, ZERO

from .models import Account, AuditChainHead, Budget, EntryKind, LedgerEntry

# Hashed fields: never reorder or rename without re-sealing (a migration), or every row will mismatch.
CHAIN_FIELDS = ("budget_id", "application_id", "kind", "debit_account", "credit_account", "amount",
                "voucher_no", "memo", "booked_on", "created_by_id")
CHAIN = register(Chain(name="ledger_entry", label=gettext_lazy("预算分录"), model=LedgerEntry,
                       head_model=AuditChainHead, fields=CHAIN_FIELDS, stream_of=stream_by("program", budget="program_id")))

# kind -> (credit: where the money comes from, debit: where it goes)
MOVES: dict[str, tuple[str, str]] = {
    EntryKind.ALLOCATION: (Account.SOURCE, Account.AVAILABLE),
    EntryKind.COMMIT: (Account.AVAILABLE, Account.COMMITTED),
    EntryKind.RELEASE: (Account.COMMITTED, Account.AVAILABLE),
    EntryKind.PAYMENT: (Account.COMMITTED, Account.PAID),
    EntryKind.RECOVERY: (Account.SOURCE, Account.AVAILABLE),
    EntryKind.CLAWBACK: (Account.PAID, Account.AVAILABLE),  # paid money returns to the budget it left
}


@dataclass(frozen=True)
class BudgetFigures:
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal
    available: Decimal
    recovered: Decimal = ZERO
    clawed_back: Decimal = ZERO

    @property
    def execution_rate(self) -> Decimal:
        if not self.allocated:
            return Decimal("0")
        return (self.disbursed / self.allocated).quantize(Decimal("0.0001"))


def post(*, budget: Budget, kind: str, amount: Decimal, by=None, application=None, memo: str = "",
         voucher_no: str | None = None, booked_on=None) -> LedgerEntry:
    """Write one balanced entry. ``adjustment`` takes a signed amount (negative = cut)."""
    if kind == EntryKind.ADJUSTMENT:
        credit, debit = (Account.SOURCE, Account.AVAILABLE) if amount > 0 else (Account.AVAILABLE, Account.SOURCE)
        amount = abs(amount)
    else:
        credit, debit = MOVES[kind]
    return append(
        CHAIN, budget=budget, application=application, kind=str(kind), debit_account=str(debit),
        credit_account=str(credit), amount=Decimal(amount).quantize(CENT),
        created_by=by if getattr(by, "pk", None) else None, memo=memo[:200], voucher_no=voucher_no,
        booked_on=booked_on or timezone.localdate(),
    )


MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)


def _balance(account: str, prefix: str = ""):
    """Σ into ``account`` − Σ out of it, as one conditional aggregate (``prefix`` e.g. ``"entries__"``)."""
    return Coalesce(
        Sum(
            Case(
                When(**{f"{prefix}debit_account": account}, then=F(f"{prefix}amount")),
                When(**{f"{prefix}credit_account": account}, then=-F(f"{prefix}amount")),
                default=Value(ZERO),
                output_field=MONEY_SUM,
            )
        ),
        Value(ZERO),
        output_field=MONEY_SUM,
    )


def figure_annotations(prefix: str = "") -> dict:
    """Aggregates that give a budget's figures from its entries."""
    recovered = Coalesce(
        Sum(f"{prefix}amount", filter=Q(**{f"{prefix}kind": EntryKind.RECOVERY})), Value(ZERO), output_field=MONEY_SUM
    )
    return {
        "fig_allocated": -_balance(Account.SOURCE, prefix),
        "fig_available": _balance(Account.AVAILABLE, prefix),
        "fig_committed": _balance(Account.COMMITTED, prefix),
        "fig_disbursed": _balance(Account.PAID, prefix),
        "fig_recovered": recovered,
        "fig_clawed_back": Coalesce(Sum(f"{prefix}amount", filter=Q(**{f"{prefix}kind": EntryKind.CLAWBACK})),
                                    Value(ZERO), output_field=MONEY_SUM),
    }


def cents(value) -> Decimal:
    # SQLite returns sums without their scale (Decimal("100000")); figures always carry two places.
    return Decimal(value or ZERO).quantize(CENT)


def figures_from_row(row) -> BudgetFigures:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return BudgetFigures(
        allocated=cents(get("fig_allocated")),
        committed=cents(get("fig_committed")),
        disbursed=cents(get("fig_disbursed")),
        available=cents(get("fig_available")),
        recovered=cents(get("fig_recovered")),
        clawed_back=cents(get("fig_clawed_back")),
    )


def budget_figures(budget: Budget | int) -> BudgetFigures:
    budget_id = budget if isinstance(budget, int) else budget.pk
    row = LedgerEntry.objects.filter(budget_id=budget_id).aggregate(**figure_annotations())
    return figures_from_row(row)


def budgets_with_figures(queryset: QuerySet[Budget] | None = None) -> QuerySet[Budget]:
    """Budgets annotated with ``fig_*`` figures in one query (one GROUP BY over entries)."""
    queryset = queryset if queryset is not None else Budget.objects.all()
    return queryset.annotate(**figure_annotations("entries__"))


def application_balances(application_id: int) -> dict[str, Decimal]:
    """What the ledger holds for one application: committed (still), paid."""
    row = LedgerEntry.objects.filter(application_id=application_id).aggregate(
        committed=_balance(Account.COMMITTED), paid=_balance(Account.PAID)
    )
    return {"committed": cents(row["committed"]), "paid": cents(row["paid"])}
