"""The report as an .xlsx workbook: a cover sheet and one sheet per section.

Money is stored as numbers (Decimal cells, format '#,##0.00'), rates as numbers with a % format;
headers are Chinese, the header row is frozen, totals rows are bold.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .document import DECIMAL, INT, MONEY, RATE, TEXT, Report, Section, spreadsheet_text

FORMATS = {MONEY: "#,##0.00", INT: "#,##0", RATE: "0.00%", DECIMAL: "#,##0.00"}
HEADER_FILL = PatternFill("solid", fgColor="DBE6F3")
BOLD = Font(bold=True)
# Excel forbids these in sheet names; names are at most 31 characters.
_BAD = str.maketrans({c: "" for c in "[]:*?/\\"})


def sheet_name(section: Section) -> str:
    title = section.title.split("、", 1)[-1]
    return title.translate(_BAD)[:31]


def _width(value) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2


def _write_section(wb: Workbook, section: Section) -> None:
    ws = wb.create_sheet(sheet_name(section))
    ws.append([c.header for c in section.columns])
    widths = [_width(c.header) for c in section.columns]
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = section.rows()
    total = section.total_row()
    body = rows + ([total] if total is not None and rows else [])
    for row in body:
        row = [spreadsheet_text(v) if c.kind == TEXT else v for v, c in zip(row, section.columns, strict=True)]
        ws.append(row)
        for i, (value, column) in enumerate(zip(row, section.columns, strict=True)):
            cell = ws.cell(row=ws.max_row, column=i + 1)
            if column.kind in FORMATS and not isinstance(value, str):
                cell.number_format = FORMATS[column.kind]
                widths[i] = max(widths[i], len(f"{value:,}") + 3 if value is not None else 0)
            else:
                widths[i] = max(widths[i], _width(value))
    if total is not None and rows:
        for cell in ws[ws.max_row]:
            cell.font = BOLD
    if not rows:
        ws.append(["无数据"])
    if section.note:
        ws.append([])
        ws.append([section.note])
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width))


def render_xlsx(report: Report) -> bytes:
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=16)
    cover.append(["行政区", f"{report.region_name}（{report.region_code}）"])
    cover.append(["报告日期", report.generated_on])
    cover["B3"].number_format = "yyyy-mm-dd"
    if report.notice:
        cover.append([report.notice])
        cover.cell(row=cover.max_row, column=1).font = Font(bold=True, color="B00020")
    cover.column_dimensions["A"].width = 16
    cover.column_dimensions["B"].width = 40
    for section in report.sections:
        _write_section(wb, section)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
