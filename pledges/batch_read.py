"""The Excel import's sheet (``pledges.batch``): its columns and limits, and reading an upload into rows.

The headers are the sheet's format (fixed Chinese, like the API's field names). Reading refuses a
file as a whole (``SheetRefused``); what a row says is checked by ``pledges.batch``.
"""

import datetime as dt
import math
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import plain_decimal

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


class SheetRefused(Exception):
    """The file as a whole cannot be read as the template's sheet; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    row: int  # the sheet's row number (the headers are row 1)
    values: dict[str, str | None]


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
