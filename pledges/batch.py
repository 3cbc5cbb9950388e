"""Loans from an Excel sheet (.xlsx): reading the sheet, checking it, storing it.

The sheet has one row per pledged right; a loan that pledges several rights takes several rows with
the same contract number (its other columns on the first row, the further rows empty or the same).
Each loan goes through ``services.loan_register`` — the rules the API and the form meet — in a
savepoint of one transaction for the whole sheet: ``check`` rolls the transaction back (the preview
stores nothing), ``store`` commits it only when every loan it was given registers. A refused loan's
errors are reported by sheet row and column, in the service's words.

``batch_read`` holds the sheet's format (its columns, fixed Chinese like the API's field names) and
reads an upload into rows; ``batch_sheets`` builds the template and the error report.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import DataError, OperationalError, transaction
from django.utils.translation import gettext as _

from applicants.identifiers import IdentifierError
from core.errors import Conflict, DomainError
from core.money import plain_decimal
from core.web import database_error_as_domain

from . import services
from .batch_read import EXAMPLE_CONTRACT, HEADER_OF, KEYS, LOAN_KEYS, SheetRow
from .models import PledgedRight
from .validation import Errors, parse_money, parse_right_number

KIND_WORDS = {"专利": PledgedRight.Kind.PATENT, "专利权": PledgedRight.Kind.PATENT, "patent": PledgedRight.Kind.PATENT,
              "商标": PledgedRight.Kind.TRADEMARK, "商标权": PledgedRight.Kind.TRADEMARK,
              "trademark": PledgedRight.Kind.TRADEMARK}
# The service's field → the sheet's column (``rights``: the rights' cross-checks, on the number).
COLUMN_OF_FIELD = {**{key: key for key in LOAN_KEYS}, "rights": "number"}
RIGHT_CODES = ("right_already_pledged", "right_owned_by_other", "right_pledged_by_other")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # a key of COLUMNS, "" for the row as a whole
    message: str

    @property
    def header(self) -> str:
        return HEADER_OF.get(self.column, "")


@dataclass
class SheetLoan:
    rows: list[SheetRow]
    ok: bool = True

    @property
    def first(self) -> SheetRow:
        return self.rows[0]

    @property
    def last_row(self) -> int:
        return self.rows[-1].row

    def value(self, key: str) -> str | None:
        return self.first.values.get(key)


@dataclass
class Checked:
    loans: list[SheetLoan]
    problems: list[Problem] = field(default_factory=list)
    stored: list[int] = field(default_factory=list)  # loan ids, when ``store`` committed

    @property
    def bad_rows(self) -> list[int]:
        """Every row of a loan with a problem, and rows that belong to no loan."""
        rows = {problem.row for problem in self.problems}
        rows |= {row.row for loan in self.loans if not loan.ok for row in loan.rows}
        return sorted(rows)

    @property
    def good_loans(self) -> list[SheetLoan]:
        return [loan for loan in self.loans if loan.ok]




def _group(rows: list[SheetRow], problems: list[Problem]) -> list[SheetLoan]:
    """Rows by contract number, in the order of their first rows; further rows must agree with the first."""
    loans: dict[str, SheetLoan] = {}
    for row in rows:
        contract = row.values["contract_no"]
        if not contract:
            problems.append(Problem(row.row, "contract_no", _("合同编号不能为空")))
        elif contract == EXAMPLE_CONTRACT:
            problems.append(Problem(row.row, "contract_no", _("这是模板中的示例行，请删除后再上传")))
        elif contract not in loans:
            loans[contract] = SheetLoan([row])
        else:
            loan = loans[contract]
            loan.rows.append(row)
            for key in LOAN_KEYS:
                value = row.values[key]
                if value is not None and value != loan.value(key):
                    problems.append(Problem(row.row, key, _(
                        "与第 %(row)d 行（同一合同编号）的贷款信息不一致：同一笔贷款的其他行可留空或与首行相同")
                        % {"row": loan.first.row}))
    return list(loans.values())


def _rate(text: str | None) -> str | None:
    """A percent written as text ("3.85%") as the fraction the service takes; anything else unchanged."""
    if text and text.endswith("%"):
        try:
            return plain_decimal(Decimal(text[:-1].strip()) / 100)
        except InvalidOperation:
            return text
    return text


def _rights(loan: SheetLoan, problems: list[Problem]) -> tuple[list[dict], dict[str, int]]:
    """Each row's right, checked by the validation the service runs, so that an error names its row
    and column; returns the rights that passed and the row of each normalized number."""
    rights, row_of = [], {}
    for row in loan.rows:
        values = row.values
        kind = KIND_WORDS.get((values["kind"] or "").lower())
        if kind is None:
            problems.append(Problem(row.row, "kind", _("权利类型应为“专利”或“商标”") if values["kind"]
                                    else _("该字段不能为空")))
            continue
        try:
            number = parse_right_number(kind, values["number"])
        except IdentifierError as exc:
            problems.append(Problem(row.row, "number", exc.message))
            continue
        errors = Errors()
        if parse_money(errors, "valuation", values["valuation"]) is None:
            problems.append(Problem(row.row, "valuation", errors.errors["valuation"][0]))
            continue
        if number in row_of:
            problems.append(Problem(row.row, "number", _("%(number)s 与第 %(row)d 行重复")
                                    % {"number": number, "row": row_of[number]}))
            continue
        row_of[number] = row.row
        rights.append({"kind": kind, "number": values["number"], "valuation": values["valuation"]})
    return rights, row_of


def _refusal(exc: DomainError, loan: SheetLoan, row_of: dict[str, int], rights_failed: bool) -> list[Problem]:
    first = loan.first.row
    if isinstance(exc, Conflict):
        if exc.code == "duplicate_contract":
            return [Problem(first, "contract_no", exc.message)]
        if exc.code in RIGHT_CODES:
            rows = sorted({row for number, row in row_of.items() if number in exc.message}) or [first]
            return [Problem(row, "number", exc.message) for row in rows]
        return [Problem(first, "", exc.message)]
    problems = []
    for name, messages in exc.as_field_errors().items():
        if name == "rights" and rights_failed:
            continue  # "at least one right": the rows' own errors say why none is left
        problems += [Problem(first, COLUMN_OF_FIELD.get(name, ""), message) for message in messages]
    return problems


class _Rollback(Exception):
    pass


def _register(user, loan: SheetLoan, problems: list[Problem]) -> int | None:
    """One loan in its savepoint: its id, or None with its problems recorded (nothing of it kept)."""
    before = len(problems)
    rights, row_of = _rights(loan, problems)
    rights_failed = len(problems) > before
    values = {key: loan.value(key) for key in LOAN_KEYS}
    values["annual_rate"] = _rate(values["annual_rate"])
    try:
        with transaction.atomic():
            try:
                registered = services.loan_register(by=user, **values, rights=rights)
            except (DataError, OperationalError) as exc:
                domain = database_error_as_domain(exc)
                if domain is None:
                    raise
                raise domain from exc
            if rights_failed:
                raise _Rollback  # the loan's other rows had errors: it is not kept
            return registered.pk
    except _Rollback:
        return None
    except DomainError as exc:
        problems += _refusal(exc, loan, row_of, rights_failed)
        return None


def _run(user, rows: list[SheetRow], *, keep: bool) -> Checked:
    problems: list[Problem] = []
    loans = _group(rows, problems)
    grouped = len(problems)
    stored: list[int] = []
    try:
        with transaction.atomic():
            for loan in loans:
                before = len(problems)
                loan_id = _register(user, loan, problems)
                loan.ok = loan_id is not None and len(problems) == before
                if loan_id is not None:
                    stored.append(loan_id)
            if not keep or problems:
                raise _Rollback
    except _Rollback:
        stored = []
    bad = {problem.row for problem in problems[:grouped]}
    for loan in loans:
        loan.ok = loan.ok and not any(row.row in bad for row in loan.rows)
    problems.sort(key=lambda problem: (problem.row, KEYS.index(problem.column) if problem.column else -1))
    return Checked(loans=loans, problems=problems, stored=stored)


def check(user, rows: list[SheetRow]) -> Checked:
    """Every loan of the sheet through the service, as ``store`` would; nothing is kept."""
    return _run(user, rows, keep=False)


def store(user, rows: list[SheetRow]) -> Checked:
    """Register the sheet's loans in one transaction: all of them, or (with problems) none."""
    return _run(user, rows, keep=True)
