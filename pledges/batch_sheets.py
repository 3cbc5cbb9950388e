"""The workbooks of the Excel import: the template banks fill in, and the error report of a check."""

import datetime as dt
from io import BytesIO

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.web import excel_response

from .batch import Problem
from .batch_read import COLUMNS, EXAMPLE_CONTRACT, MAX_BYTES, MAX_ROWS, SHEET

NOTES_SHEET = "填写说明"
TEMPLATE_ROWS = MAX_ROWS + 1  # rows of the template given the columns' formats (headers included)
FORMATS = {"text": "@", "money": "#,##0.00", "rate": "0.00%", "date": "yyyy-mm-dd", "kind": "@", "flag": "@"}
EXAMPLE = (
    # One loan pledging a patent and a trademark: the second row repeats only the contract number.
    {"contract_no": EXAMPLE_CONTRACT, "borrower_credit_code": "91500237MA5U52604E",
     "borrower_name": "巫山县某某农业开发有限公司", "principal": 3000000, "annual_rate": 0.0385,
     "start_date": dt.date(2026, 3, 1), "maturity_date": dt.date(2027, 2, 28),
     "pledge_registration_no": "2026500000123", "kind": "专利", "number": "ZL201710601862.3", "valuation": 4500000,
     "collateral_total": 7500000, "insured_or_guaranteed": "否"},
    {"contract_no": EXAMPLE_CONTRACT, "kind": "商标", "number": "12345678", "valuation": 800000},
)


def _general_notes() -> list[str]:
    return [
        _("每项质押权利一行。一笔贷款质押多项权利时，各行填写相同的合同编号，贷款信息填在第一行，其余行可留空或与第一行相同。"),
        _("第 2、3 行是示例（一笔贷款质押一项专利和一项商标），上传前请删除。"),
        _("只接受 .xlsx 文件，不超过 %(mb)d MB，最多 %(rows)d 行数据；请不要增删或改名列标题。")
        % {"mb": MAX_BYTES // (1024 * 1024), "rows": MAX_ROWS},
        _("年利率以小数填写：0.0385 表示 3.85%（与接口相同）。"),
        _("上传后系统逐行检查，规则与接口登记相同。有错误时不会登记任何数据：可下载错误报告修改后重新上传，或选择只登记无误的贷款。"),
    ]


def template_response():
    """The .xlsx template: the headers, two example rows, the columns' formats, and a notes sheet."""
    from openpyxl import Workbook  # noqa: PLC0415  heavy: loaded by the import page only
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append([column.header for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for example in EXAMPLE:
        sheet.append([example.get(column.key) for column in COLUMNS])
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(14, len(column.header) * 2 + 4)
        for row in range(2, TEMPLATE_ROWS + 1):  # text cells keep leading zeros and long digit strings
            sheet.cell(row=row, column=i).number_format = FORMATS[column.kind]
    kinds = DataValidation(type="list", formula1='"专利,商标"', allow_blank=True,
                           error=_("请选择“专利”或“商标”"), showErrorMessage=True)
    sheet.add_data_validation(kinds)
    kind_column = get_column_letter(next(i for i, c in enumerate(COLUMNS, start=1) if c.key == "kind"))
    kinds.add(f"{kind_column}2:{kind_column}{TEMPLATE_ROWS}")
    flags = DataValidation(type="list", formula1='"是,否"', allow_blank=True,
                           error=_("请选择“是”或“否”"), showErrorMessage=True)
    sheet.add_data_validation(flags)
    for i, column in enumerate(COLUMNS, start=1):
        if column.kind == "flag":
            flags.add(f"{get_column_letter(i)}2:{get_column_letter(i)}{TEMPLATE_ROWS}")
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append([_("列"), _("是否必填"), _("填写要求")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append([column.header, _("必填") if column.required else _("选填"), str(column.rule)])
    notes.append([])
    for note in _general_notes():
        notes.append([note])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="pledge-loans-template.xlsx"'
    return response


def report_response(problems: list[Problem], contracts: dict[int, str]):
    """The error report: one line per problem — row, column, the contract of the row, the message."""
    return excel_response(
        "pledge-import-errors.xlsx", [_("行号"), _("列"), _("合同编号"), _("错误说明")],
        ([problem.row, problem.header or "—", contracts.get(problem.row, ""), problem.message] for problem in problems),
        sheet=_("错误报告"))

