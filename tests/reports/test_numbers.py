"""Issue #10, item 10: the report writes numbers for people through ``core.money`` (PDF and HTML:
``1,234,567.89`` under headers that say 元, rates ``4.8%``), keeps CSV machine-readable (plain two-place
decimals) and XLSX numeric; its frames hold Decimal, never float."""

import csv
import io
import re
from decimal import Decimal

import pdfplumber
import pytest
from django.urls import reverse

from core.money import format_amount, format_percent
from reports import charts, services
from reports.document import DECIMAL, MONEY, RATE, format_cell
from tests.clients import page_client

pytestmark = pytest.mark.django_db

UNSEPARATED = re.compile(r"\d{5,}\.\d{2}")


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_format_cell_delegates_to_the_money_helper():
    assert format_cell(Decimal("1234567.891"), MONEY) == "1,234,567.89"
    assert format_cell(Decimal("1234567.891"), MONEY, thousands=False) == "1234567.89"
    assert format_cell(Decimal("-1.7E-12"), MONEY) == "0.00"
    assert format_cell(Decimal("0.0480"), RATE) == "4.8%"
    assert format_cell(Decimal("0.6000"), RATE) == "60%"
    assert format_cell(Decimal("2E+5"), DECIMAL) == "200,000"
    assert format_cell(Decimal("2E+5"), DECIMAL, thousands=False) == "200000"


def test_pdf_writes_every_amount_with_separators_and_the_rates_as_percentages(report):
    text = pdf_text(services.render(report, "pdf"))
    budget = report.section("budget")
    for row in budget.rows():
        values = dict(zip([c.key for c in budget.columns], row, strict=True))
        assert format_amount(values["allocated"]) in text
        assert format_percent(values["rate"]) in text
    assert "19,388,888.89" in text  # the populated world's 预算合计
    assert "年初预算（元）" in text  # the unit is in the header
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


def test_html_preview_writes_amounts_for_people(populated):
    client = page_client(populated.finance)
    body = client.get(reverse("reports:budget"), {"year": populated.year}).content.decode()
    cells = re.findall(r'<td class="text-end font-monospace">([^<]*)</td>', body)
    assert "19,388,888.89" in cells
    assert not [c for c in cells if UNSEPARATED.search(c) or "E+" in c]


def test_chart_axis_labels_are_in_wan_without_truncation():
    assert charts._wan(2500000.0) == "250"
    assert charts._wan(15000) == "1.5"  # floor division wrote "1" for 1.5 万元
    assert charts._wan(5000.0) == "0.5"
    assert charts._wan(0) == "0"
