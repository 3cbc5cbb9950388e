"""PDF, XLSX and CSV: content, structure and totals."""

import csv
import io
import shutil
import subprocess
from decimal import Decimal

import pdfplumber
import pytest
from openpyxl import load_workbook

from applicants.models import Applicant
from reports import services
from reports.document import format_cell
from reports.pdf import _styles, _table
from reports.xlsx import sheet_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def pdf_bytes(report):
    return services.render(report, "pdf")


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_pdf_names_every_program_and_the_totals(populated, report, pdf_bytes):
    text = pdf_text(pdf_bytes)
    assert report.title in text.replace("\n", "")
    for program in populated.programs.values():
        assert program.name_zh in text
    totals = report.section("budget").totals
    for key in ("allocated", "committed", "disbursed", "available"):
        assert format_cell(totals[key], "money", wan=True) in text  # 万元, as printed
    assert format_cell(report.section("loans").totals["new_principal"], "money", wan=True) in text


def test_pdf_numbers_its_pages(pdf_bytes):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        pages = len(pdf.pages)
        last = pdf.pages[-1].extract_text()
    assert pages > 2
    assert f"第 {pages} 页 / 共 {pages} 页" in last


def test_pdf_embeds_a_cjk_truetype_subset(pdf_bytes):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        fonts = {char["fontname"] for char in pdf.pages[0].chars}
    # An embedded subset is named "ABCDEF+<PostScript name>"; the CID fallback would be STSong-Light.
    assert fonts and all("+" in name and "STSong" not in name for name in fonts), fonts


def test_pdf_renders_to_a_non_blank_png(pdf_bytes, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "2", "-l", "2", str(source), str(tmp_path / "page")],
                   check=True)
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image  # noqa: PLC0415  Pillow, only this rendering test needs it

    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:128])
    assert png.stat().st_size > 1000
    assert dark > 500


def test_pdf_splits_long_tables_with_repeated_headers(report):
    table = _table(report.section("states"), _styles("Helvetica"), "Helvetica")
    assert table.repeatRows == 1


def test_xlsx_has_a_sheet_per_section_with_chinese_headers(report):
    wb = load_workbook(io.BytesIO(services.render(report, "xlsx")))
    assert wb.sheetnames == ["封面", *[sheet_name(s) for s in report.sections]]
    ws = wb[sheet_name(report.section("budget"))]
    assert [c.value for c in ws[1]] == [c.header for c in report.section("budget").columns]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width >= 8


def test_xlsx_stores_money_as_numbers_with_a_thousands_format(report):
    wb = load_workbook(io.BytesIO(services.render(report, "xlsx")))
    ws = wb[sheet_name(report.section("budget"))]
    cell = ws.cell(row=2, column=5)  # 预算合计 of the first program
    assert isinstance(cell.value, int | float)
    assert cell.number_format == "#,##0.00"
    assert ws.cell(row=2, column=9).number_format == "0.00%"


def test_xlsx_totals_row_equals_the_report_totals(report):
    wb = load_workbook(io.BytesIO(services.render(report, "xlsx")))
    section = report.section("budget")
    ws = wb[sheet_name(section)]
    total_row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    for i, column in enumerate(section.columns):
        if column.kind == "money":
            assert Decimal(str(total_row[i])).quantize(Decimal("0.01")) == section.totals[column.key]
    assert ws.cell(row=ws.max_row - 2, column=1).font.bold or any(
        ws.cell(row=r, column=1).font.bold for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "合计"
    )


def csv_rows(report) -> list[dict]:
    content = services.render(report, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_is_utf8_with_bom_and_a_section_column(report):
    rows = csv_rows(report)
    assert list(rows[0]) == ["section", "分组", "项目", "指标", "数值"]
    assert {r["section"] for r in rows} >= {s.key for s in report.sections} | {"cover"}


def test_csv_totals_equal_the_report_to_the_fen(report):
    rows = csv_rows(report)
    totals = {r["指标"]: Decimal(r["数值"]) for r in rows if r["section"] == "budget" and r["项目"] == "合计"
              and r["指标"] != "执行率"}
    section = report.section("budget")
    for column in section.columns:
        if column.kind == "money":
            assert totals[column.header] == section.totals[column.key]


def test_names_with_markup_or_formulas_are_printed_as_text(populated):
    Applicant.objects.update(name="=HYPERLINK(\"x\") A&B <公司>")
    report = services.budget_report(year=populated.year)
    text = pdf_text(services.render(report, "pdf"))  # the narrow cell may wrap the name
    assert "A&B <" in text and "公司>" in text
    ws = load_workbook(io.BytesIO(services.render(report, "xlsx")))[sheet_name(report.section("top"))]
    assert ws.cell(row=2, column=2).data_type == "s"
    assert ws.cell(row=2, column=2).value.startswith("'=")
    rows = csv_rows(report)
    assert all(not r["项目"].startswith("=") for r in rows)
