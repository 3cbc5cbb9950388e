"""The money invariants, checked against the database; used by ``manage.py verify_ledger`` and tests."""


from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.money import ZERO, format_money

from . import ledger
from .models import Account, Application, Budget, LedgerEntry
from .workflow import HOLDING_STATES, State

MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)


def ledger_violations() -> list[str]:
    problems: list[str] = []
    for budget in ledger.budgets_with_figures(Budget.objects.select_related("program")).order_by("program_id", "year"):
        f = ledger.figures_from_row(budget)
        label = f"{budget.program.name_zh} {budget.year}"
        if f.allocated != f.available + f.committed + f.disbursed:
            problems.append(_("%(b)s：已分配 %(a)s ≠ 可用 %(v)s + 已承诺 %(c)s + 已拨付 %(p)s")
                            % {"b": label, "a": format_money(f.allocated), "v": format_money(f.available), "c": format_money(f.committed), "p": format_money(f.disbursed)})
        if f.available < 0:
            problems.append(_("%(b)s：可用余额为负（%(v)s）") % {"b": label, "v": format_money(f.available)})
        if f.committed < 0:
            problems.append(_("%(b)s：已承诺为负（%(c)s）") % {"b": label, "c": format_money(f.committed)})
    accounts = set(Account.values)
    bad_entries = LedgerEntry.objects.filter(
        Q(amount__lte=0) | Q(debit_account=F("credit_account")) | ~Q(debit_account__in=accounts)
        | ~Q(credit_account__in=accounts)
    ).values_list("pk", "amount", "debit_account", "credit_account")
    for pk, amount, debit, credit in bad_entries:
        problems.append(_("分录 #%(id)s 不平衡或无效：金额 %(amount)s，借 %(d)s，贷 %(c)s")
                        % {"id": pk, "amount": format_money(amount), "d": debit, "c": credit})
    problems.extend(_application_violations())
    return problems


def _application_violations() -> list[str]:
    def balance(account: str):
        return Coalesce(
            Sum("ledger_entries__amount", filter=Q(ledger_entries__debit_account=account), output_field=MONEY_SUM),
            ZERO, output_field=MONEY_SUM,
        ) - Coalesce(
            Sum("ledger_entries__amount", filter=Q(ledger_entries__credit_account=account), output_field=MONEY_SUM),
            ZERO, output_field=MONEY_SUM,
        )

    problems: list[str] = []
    rows = (
        Application.objects.annotate(n=Count("ledger_entries"), l_committed=balance(Account.COMMITTED),
                                     l_paid=balance(Account.PAID))
        .filter(Q(n__gt=0) | Q(disbursed_amount__gt=0) | Q(state__in=(*HOLDING_STATES, State.TERMINATED)))
        .values_list("pk", "state", "approved_amount", "disbursed_amount", "clawed_back_amount", "l_committed",
                     "l_paid")
        .order_by("pk")
    )
    for pk, state, approved, gross, clawed, committed, paid in rows:
        disbursed = gross - clawed  # what the case still holds of what it was paid
        # SQLite sums in binary floating point; the ledger's unit is the cent.
        committed, paid = ledger.cents(committed), ledger.cents(paid)
        approved = approved or ZERO
        if paid != disbursed:
            problems.append(_("申请 #%(id)s：分录已拨付 %(p)s ≠ 申请记录的已拨付 %(d)s") % {"id": pk, "p": format_money(paid), "d": format_money(disbursed)})
        if paid > approved:
            problems.append(_("申请 #%(id)s：已拨付 %(p)s 超过批准金额 %(a)s") % {"id": pk, "p": format_money(paid), "a": format_money(approved)})
        if state in HOLDING_STATES and committed + paid + clawed != approved:
            problems.append(_("申请 #%(id)s：已承诺 %(c)s + 已拨付 %(p)s ≠ 批准金额 %(a)s")
                            % {"id": pk, "c": format_money(committed), "p": format_money(paid), "a": format_money(approved)})
        elif state == State.TERMINATED and committed != 0:
            problems.append(_("申请 #%(id)s（已终止）：仍有已承诺 %(c)s，应已释放") % {"id": pk, "c": format_money(committed)})
        elif state not in HOLDING_STATES and state != State.TERMINATED and committed + paid != 0:
            problems.append(_("申请 #%(id)s（%(s)s）：仍有已承诺 %(c)s、已拨付 %(p)s，应为 0")
                            % {"id": pk, "s": State(state).label, "c": format_money(committed), "p": format_money(paid)})
    return problems
