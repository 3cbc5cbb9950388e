"""Loans from an Excel sheet (.xlsx): reading the sheet, checking it, storing it.

The sheet has one row per pledged right; a loan that pledges several rights takes several rows with
the same contract number (its other columns on the first row, the further rows empty or the same).
Each loan goes through ``services.loan_register`` — the rules the API and the form meet — in a
savepoint of one transaction for the whole sheet: ``check`` rolls the transaction back (the preview
stores nothing), ``store`` commits it only when every loan it was given registers. A refused loan's
errors are reported by sheet row and column, in the service's words.

The headers are the sheet's format (fixed Chinese, like the API's field names); ``batch_sheets``
builds the template and the error report.
"""

import datetime as dt
import math
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.db import DataError, OperationalError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applicants.identifiers import IdentifierError
from core.errors import Conflict, DomainError
from core.money import plain_decimal
from core.web import database_error_as_domain

from . import services
from .models import PledgedRight
from .validation import Errors, parse_money, parse_right_number

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000  # data rows (a row per right)
MAX_SHEET_ROWS = 20_000  # rows read at all, empty ones included
MAX_UNPACKED = 50 * 1024 * 1024  # what the .xlsx (a zip) may unpack to
SHEET = "质押贷款"
EXAMPLE_CONTRACT = "示例-2026-001"  # the template's example rows, refused if uploaded as they are


@dataclass(frozen=True)
class Column:
    key: str  # the service's keyword (loan columns) or the right's key
    header: str
    loan: bool
    required: bool
    kind: str  # text, money, rate, date, kind, flag: how the template formats it
    rule: str  # for the template's notes sheet
    may_be_absent: bool = False  # a column added later: a sheet from an older template may lack it


COLUMNS = (
    Column("contract_no", "合同编号", True, True, "text",
           gettext_lazy("≤ 60 个字符，同一银行内唯一；一笔贷款质押多项权利时，每项权利一行，各行合同编号相同")),
    Column("borrower_credit_code", "借款企业统一社会信用代码", True, True, "text",
           gettext_lazy("18 位，含校验位，如 91500237MA5U52604E")),
    Column("borrower_name", "借款企业名称", True, False, "text",
           gettext_lazy("该信用代码首次登记时必填；已登记的企业可留空")),
    Column("principal", "贷款本金（元）", True, True, "money",
           gettext_lazy("数字，大于 0，最多两位小数，如 3000000 或 3000000.00；不要写“万元”或千位分隔符文本")),
    Column("annual_rate", "年利率", True, True, "rate",
           gettext_lazy("以小数填写：0.0385 表示 3.85%；也可在百分比格式的单元格中填 3.85%")),
    Column("start_date", "放款日", True, True, "date",
           gettext_lazy("Excel 日期，或文本 YYYY-MM-DD，如 2026-03-01；不能晚于今天")),
    Column("maturity_date", "到期日", True, True, "date",
           gettext_lazy("格式同放款日；晚于放款日，期限最长 30 年")),
    Column("pledge_registration_no", "质押登记号", True, True, "text",
           gettext_lazy("13 位以上数字（如 2015990000410，单元格请设为文本），或新格式的字母数字（≤ 40 位）")),
    Column("kind", "权利类型", False, True, "kind", gettext_lazy("“专利”或“商标”")),
    Column("number", "权利号码", False, True, "text",
           gettext_lazy("专利号（可带 ZL/CN 前缀，点可省略），如 ZL201710601862.3；商标注册号只含数字")),
    Column("valuation", "评估价值（元）", False, True, "money", gettext_lazy("数字，大于 0，最多两位小数")),
    # Added later, so at the end, and a sheet without them (an older template) is still read.
    Column("collateral_total", "抵质押物总价值（元）", True, False, "money",
           gettext_lazy("另有其他抵质押物时填写全部抵质押物的价值合计，不低于该笔贷款各项权利评估价值之和；"
                        "仅以知识产权质押的留空"), may_be_absent=True),
    Column("insured_or_guaranteed", "有保险或担保", True, False, "flag",
           gettext_lazy("“是”或“否”；留空为“否”"), may_be_absent=True),
)
KEYS = tuple(column.key for column in COLUMNS)
HEADER_OF = {column.key: column.header for column in COLUMNS}
LOAN_KEYS = tuple(column.key for column in COLUMNS if column.loan)
KIND_WORDS = {"专利": PledgedRight.Kind.PATENT, "专利权": PledgedRight.Kind.PATENT, "patent": PledgedRight.Kind.PATENT,
              "商标": PledgedRight.Kind.TRADEMARK, "商标权": PledgedRight.Kind.TRADEMARK,
              "trademark": PledgedRight.Kind.TRADEMARK}
# The service's field → the sheet's column (``rights``: the rights' cross-checks, on the number).
COLUMN_OF_FIELD = {**{key: key for key in LOAN_KEYS}, "rights": "number"}
RIGHT_CODES = ("right_already_pledged", "right_owned_by_other", "right_pledged_by_other")


class SheetRefused(Exception):
    """The file as a whole cannot be read as the template's sheet; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    row: int  # the sheet's row number (the headers are row 1)
    values: dict[str, str | None]


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


# --- reading --------------------------------------------------------------------------------

def cell_text(value) -> str | None:
    """A cell as the text the services parse: numbers as plain decimals (3000000.0 → "3000000",
    0.0385 → "0.0385", never a float), Excel dates as YYYY-MM-DD; empty → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # What Excel shows and writes itself: 15 significant digits (a formula's 1234.5600000000001 is
        # 1234.56), not the binary value; more places than a column takes are still the service's error.
        return plain_decimal(Decimal(format(value, ".15g")))
    text = str(value).strip()
    return text or None


def _unreadable() -> SheetRefused:
    return SheetRefused(_("文件无法读取：不是有效的 .xlsx 文件（可能已损坏，或是改了扩展名的其他格式）"))


def read_sheet(upload) -> list[SheetRow]:
    """The data rows of an uploaded .xlsx; ``SheetRefused`` for a file that is not one, too large,
    without the template's columns, empty, or with more than ``MAX_ROWS`` rows."""
    if not (upload.name or "").lower().endswith(".xlsx"):
        raise SheetRefused(_("请上传 .xlsx 格式的 Excel 文件（不接受 .xls、.csv 等）；可先下载模板"))
    if upload.size > MAX_BYTES:
        raise SheetRefused(_("文件过大：最大 %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = upload.read()
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _unreadable() from None
    if unpacked > MAX_UNPACKED:
        raise SheetRefused(_("文件解压后过大，无法读取"))
    from openpyxl import load_workbook  # noqa: PLC0415  heavy: loaded by the import page only

    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign file fails in many ways (zip, XML, openpyxl's own)
        raise _unreadable() from None
    try:
        return _rows_of(workbook)
    except SheetRefused:
        raise
    except Exception:  # damaged parts surface while the rows are read
        raise _unreadable() from None
    finally:
        workbook.close()


def _header_map(titles: list[str | None]) -> dict[int, str]:
    by_header = {column.header: column.key for column in COLUMNS}
    found = [title for title in titles if title]
    problems = []
    missing = [column.header for column in COLUMNS if column.header not in found and not column.may_be_absent]
    if missing:
        problems.append(_("缺少列：%(columns)s") % {"columns": "、".join(missing)})
    extra = [title for title in found if title not in by_header]
    if extra:
        problems.append(_("多出的列：%(columns)s") % {"columns": "、".join(extra)})
    twice = sorted({title for title in found if found.count(title) > 1})
    if twice:
        problems.append(_("重复的列：%(columns)s") % {"columns": "、".join(twice)})
    if problems:
        raise SheetRefused(_("第 1 行的列标题与模板不符（%(problems)s）；请下载模板，按模板的列填写")
                           % {"problems": "；".join(problems)})
    return {i: by_header[title] for i, title in enumerate(titles) if title}


def _rows_of(workbook) -> list[SheetRow]:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [cell_text(value) for value in next(lines, None) or ()]
    if not any(header):
        raise SheetRefused(_("工作表「%(sheet)s」是空的：第 1 行应为列标题，数据从第 2 行起（请使用模板）")
                           % {"sheet": sheet.title})
    columns = _header_map(header)
    rows: list[SheetRow] = []
    for number, line in enumerate(lines, start=2):
        if number > MAX_SHEET_ROWS:
            raise SheetRefused(_("表格行数过多（含空行超过 %(n)d 行），请删除多余的行") % {"n": MAX_SHEET_ROWS})
        cells = [cell_text(value) for value in line]
        if not any(cell is not None for cell in cells):
            continue
        stray = next((i for i, cell in enumerate(cells) if cell is not None and i not in columns), None)
        if stray is not None:
            raise SheetRefused(_("第 %(row)d 行 %(col)s 列有内容，但该列没有列标题；请删除多出的列")
                               % {"row": number, "col": get_column_letter(stray + 1)})
        values = dict.fromkeys(KEYS)  # a column the sheet may lack (``may_be_absent``) reads as empty
        values.update({key: cells[i] if i < len(cells) else None for i, key in columns.items()})
        rows.append(SheetRow(number, values))
        if len(rows) > MAX_ROWS:
            raise SheetRefused(_("数据超过 %(n)d 行，请分成多个文件上传") % {"n": MAX_ROWS})
    if not rows:
        raise SheetRefused(_("表格中没有数据：请从第 2 行起填写，每项质押权利一行"))
    return rows


# --- checking and storing ---------------------------------------------------------------------

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
