"""Issue #10, item 10 and issue #13, item 1: the report writes numbers for people through ``core.money``
(PDF and HTML: money tables in 万元, ``1,938.89``, under a "单位：万元" line; rates ``4.8%``), keeps CSV
machine-readable (plain two-place decimals in 元) and XLSX numeric in 元 under headers that say 元; its
frames hold Decimal, never float."""

import csv
import io
import re
from decimal import Decimal

import pdfplumber
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.money import format_percent, format_wan_amount
from reports import charts, services
from reports.document import DECIMAL, MONEY, RATE, format_cell
from reports.xlsx import sheet_name
from tests.clients import page_client

pytestmark = pytest.mark.django_db

UNSEPARATED = re.compile(r"\d{5,}\.\d{2}")


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_format_cell_delegates_to_the_money_helper():
    assert format_cell(Decimal("1234567.891"), MONEY) == "1,234,567.89"
    assert format_cell(Decimal("1234567.891"), MONEY, thousands=False) == "1234567.89"
    assert format_cell(Decimal("123456789.00"), MONEY, wan=True) == "12,345.68"
    assert format_cell(Decimal("-1.7E-12"), MONEY, wan=True) == "0.00"
    assert format_cell(Decimal("0.0480"), RATE, wan=True) == "4.8%"  # only money changes unit
    assert format_cell(Decimal("-1.7E-12"), MONEY) == "0.00"
    assert format_cell(Decimal("0.0480"), RATE) == "4.8%"
    assert format_cell(Decimal("0.6000"), RATE) == "60%"
    assert format_cell(Decimal("2E+5"), DECIMAL) == "200,000"
    assert format_cell(Decimal("2E+5"), DECIMAL, thousands=False) == "200000"


def test_pdf_writes_every_amount_in_wan_and_the_rates_as_percentages(report):
    text = pdf_text(services.render(report, "pdf"))
    budget = report.section("budget")
    for row in budget.rows():
        values = dict(zip([c.key for c in budget.columns], row, strict=True))
        assert format_wan_amount(values["allocated"]) in text
        assert format_percent(values["rate"]) in text
    assert "1,938.89" in text  # the populated world's 预算合计, 19,388,888.89 元
    assert "19,388,888.89" not in text
    # One unit line above each money table; the headers leave the unit to it.
    money_sections = [s for s in report.sections if any(c.kind == MONEY for c in s.columns)]
    assert text.count("单位：万元") == len(money_sections) > 0
    assert "年初预算" in text and "年初预算（元）" not in text
    assert not UNSEPARATED.search(text), UNSEPARATED.search(text)
    assert "E+" not in text and ".00%" not in text


def test_every_money_header_of_the_report_names_the_unit(report):
    for section in report.sections:
        for column in section.columns:
            if column.kind == MONEY:
                assert column.header.endswith("（元）"), (section.key, column.header)


def test_report_frames_hold_decimals_never_floats(report):
    for section in report.sections:
        rows = section.rows() + ([section.total_row()] if section.totals else [])
        for row in rows:
            for value, column in zip(row, section.columns, strict=True):
                assert not isinstance(value, float), (section.key, column.key, value)
                if column.kind in (MONEY, RATE) and not isinstance(value, str) and value != "":
                    assert isinstance(value, Decimal), (section.key, column.key, value)


def test_csv_keeps_money_as_plain_two_place_decimals(report):
    content = services.render(report, "csv").decode("utf-8-sig")
    money_headers = {c.header for s in report.sections for c in s.columns if c.kind == MONEY}
    values = [r["数值"] for r in csv.DictReader(io.StringIO(content)) if r["指标"] in money_headers]
    assert values and all(re.fullmatch(r"-?\d+\.\d{2}", v) for v in values), values[:5]
    total = next(r for r in csv.DictReader(io.StringIO(content))
                 if r["section"] == "budget" and r["项目"] == "合计" and r["指标"] == "预算合计（元）")
    assert total["数值"] == "19388888.89"  # 元 to the fen, the unit in the 指标 header
    assert "单位：万元" not in content


def test_xlsx_keeps_money_in_yuan_to_the_fen_under_headers_that_say_yuan(report):
    wb = load_workbook(io.BytesIO(services.render(report, "xlsx")))
    budget = report.section("budget")
    ws = wb[sheet_name(budget)]
    headers = [c.value for c in ws[1]]
    index = headers.index("预算合计（元）")
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert Decimal(str(total[index])) == Decimal("19388888.89") == budget.totals["allocated"]
    for section in report.sections:
        sheet = wb[sheet_name(section)]
        for column, cell in zip(section.columns, sheet[1], strict=True):
            if column.kind == MONEY:
                assert cell.value.endswith("（元）"), (section.key, cell.value)
    assert not any("万元" in str(c.value) for sheet in wb for row in sheet.iter_rows() for c in row)


def test_html_preview_writes_amounts_in_wan_under_a_unit_line(populated, report):
    client = page_client(populated.finance)
    body = client.get(reverse("reports:budget"), {"year": populated.year}).content.decode()
    cells = re.findall(r'<td class="text-end font-monospace">([^<]*)</td>', body)
    assert "1,938.89" in cells  # 19,388,888.89 元
    assert "19,388,888.89" not in body
    assert not [c for c in cells if UNSEPARATED.search(c) or "E+" in c]
    money_sections = [s for s in report.sections if any(c.kind == MONEY for c in s.columns)]
    assert body.count("单位：万元") == len(money_sections)
    assert '<p class="small text-body-secondary text-end mb-1" id="unit-budget">单位：万元</p>' in body
    assert 'aria-describedby="unit-budget"' in body
    assert "年初预算（元）" not in body and ">年初预算</th>" in body


def test_wan_totals_are_the_yuan_totals_converted_not_sums_of_rounded_cells():
    # Three rows of 0.4 万元 + 0.004: each shows 0.40; the total is that of the yuan total, 1.21 万元.
    assert format_wan_amount(Decimal("4040.00")) == "0.40"
    assert format_wan_amount(Decimal("4040.00") * 3) == "1.21"


def test_chart_axis_labels_are_in_wan_without_truncation():
    assert charts._wan(2500000.0) == "250"
    assert charts._wan(15000) == "1.5"  # floor division wrote "1" for 1.5 万元
    assert charts._wan(5000.0) == "0.5"
    assert charts._wan(0) == "0"
