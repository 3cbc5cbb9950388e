"""绩效 in the year-end report: 验收 (grades, planned vs actual), terminations and clawbacks, by program,
with the exact numbers in the sections and in every format (CSV, XLSX, PDF, the HTML page)."""

import csv
import io
from decimal import Decimal

import pdfplumber
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reports import frames, services
from reports.xlsx import sheet_name
from tests.clients import page_client
from tests.reports.data import perform

pytestmark = pytest.mark.django_db

INDUSTRIALIZATION, SUBSIDY = "专利产业化资金", "专利资助"
# Two cases passed 验收 this year (excellent: 4,800,000.00 / 12 jobs / 1 patent; good: 5,500,000.25 / 25 / 2),
# each planned 5,000,000.00 and 20 jobs; the third, still in review, is not counted.
COMPLETED = {"completed": 2, "excellent": 1, "good": 1, "pass": 0, "planned_output": Decimal("10000000.00"),
             "actual_output": Decimal("10300000.25"), "output_rate": Decimal("1.0300"), "planned_jobs": 40,
             "actual_jobs": 37, "jobs_rate": Decimal("0.9250"), "patents": 3}
CLOSED = {
    INDUSTRIALIZATION: {"terminated": 1, "paid_before": Decimal("180000.00"), "released": Decimal("120000.00"),
                        "clawbacks": 1, "clawed_back": Decimal("50000.00"), "fraud_count": 1,
                        "fraud_amount": Decimal("50000.00")},
    SUBSIDY: {"terminated": 0, "paid_before": Decimal("0.00"), "released": Decimal("0.00"), "clawbacks": 1,
              "clawed_back": Decimal("400.00"), "fraud_count": 0, "fraud_amount": Decimal("0.00")},
}
CLOSED_TOTALS = {"terminated": 1, "paid_before": Decimal("180000.00"), "released": Decimal("120000.00"),
                 "clawbacks": 2, "clawed_back": Decimal("50400.00"), "fraud_count": 1,
                 "fraud_amount": Decimal("50000.00")}


def records(section) -> dict[str, dict]:
    return {row["name"]: {k: v for k, v in row.items() if k not in ("name", "program_id")}
            for row in section.frame.to_dict("records")}


def test_completions_by_program_count_grades_and_compare_plan_with_outcomes(performance_report):
    section = performance_report.section("performance")
    assert records(section) == {INDUSTRIALIZATION: COMPLETED}
    assert {k: section.totals[k] for k in COMPLETED} == COMPLETED


def test_terminations_and_clawbacks_by_program(performance_report):
    section = performance_report.section("closures")
    assert records(section) == CLOSED
    assert {k: section.totals[k] for k in CLOSED_TOTALS} == CLOSED_TOTALS
    assert "核对一致" in section.note


def test_other_years_have_no_performance_rows(performed):
    for year in (performed.year - 1, performed.year + 1):
        report = services.budget_report(year=year)
        assert report.section("performance").rows() == [] and report.section("closures").rows() == []


def test_the_query_count_does_not_grow_with_the_cases(world, settings, tmp_path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.budget_report(year=world.year)
        return len(ctx.captured_queries)

    before = queries()
    settings.MEDIA_ROOT = tmp_path
    perform(world)
    assert queries() == before


def _row(program_id=1, name=INDUSTRIALIZATION, grade="pass", outcomes=None, planned=None, jobs=None) -> dict:
    return {"program_id": program_id, "program__name_zh": name, "completion_grade": grade,
            "completion_outcomes": outcomes, "industrialization_plan__expected_output_value": planned,
            "industrialization_plan__jobs": jobs}


def test_output_values_are_summed_exactly_from_their_decimal_strings():
    rows = [_row(outcomes={"output_value": "0.10", "jobs": 1}, planned=Decimal("0.10"), jobs=1)] * 3
    section = frames.performance_section(rows)
    assert section.totals["actual_output"] == Decimal("0.30")  # 0.1 + 0.1 + 0.1 in binary floating point is not
    assert section.totals["output_rate"] == Decimal("1.0000") and section.totals["jobs_rate"] == Decimal("1.0000")
    assert section.totals["pass"] == 3


def test_without_a_plan_the_rate_reads_a_dash():
    section = frames.performance_section([_row(2, SUBSIDY, "good", outcomes={"output_value": "100.00"})])
    row = section.frame.to_dict("records")[0]
    assert (row["planned_output"], row["actual_output"], row["output_rate"], row["jobs_rate"]) == (
        Decimal("0.00"), Decimal("100.00"), "—", "—")


def csv_values(report, key: str) -> dict[tuple[str, str], str]:
    content = services.render(report, "csv").decode("utf-8-sig")
    return {(r["项目"], r["指标"]): r["数值"] for r in csv.DictReader(io.StringIO(content)) if r["section"] == key}


def test_csv_carries_the_exact_numbers(performance_report):
    values = csv_values(performance_report, "performance")
    assert {h: values[(INDUSTRIALIZATION, h)] for h in ("验收通过项目数", "优秀", "良好", "合格", "计划产值（元）",
                                                        "实际产值（元）", "产值完成率", "计划新增就业（人）",
                                                        "实际新增就业（人）", "就业完成率", "实施专利（件）")} == {
        "验收通过项目数": "2", "优秀": "1", "良好": "1", "合格": "0", "计划产值（元）": "10000000.00",
        "实际产值（元）": "10300000.25", "产值完成率": "103%", "计划新增就业（人）": "40", "实际新增就业（人）": "37",
        "就业完成率": "92.5%", "实施专利（件）": "3"}
    closed = csv_values(performance_report, "closures")
    assert closed[(INDUSTRIALIZATION, "终止项目数")] == "1"
    assert closed[(INDUSTRIALIZATION, "终止前已拨付（元）")] == "180000.00"
    assert closed[(INDUSTRIALIZATION, "终止释放承诺（元）")] == "120000.00"
    assert closed[(SUBSIDY, "追回金额（元）")] == "400.00"
    assert closed[("合计", "追回笔数")] == "2" and closed[("合计", "追回金额（元）")] == "50400.00"
    assert closed[("合计", "其中欺诈笔数")] == "1" and closed[("合计", "其中欺诈追回（元）")] == "50000.00"


def _sheet_rows(report, key: str) -> dict[str, dict]:
    section = report.section(key)
    ws = load_workbook(io.BytesIO(services.render(report, "xlsx")))[sheet_name(section)]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in section.columns]
    return {row[0].value: {h: cell for h, cell in zip(headers, row, strict=False)}
            for row in ws.iter_rows(min_row=2) if row[0].value in (INDUSTRIALIZATION, SUBSIDY, "合计")}


def test_xlsx_stores_the_numbers_as_numbers(performance_report):
    rows = _sheet_rows(performance_report, "performance")
    cells = rows[INDUSTRIALIZATION]
    assert isinstance(cells["实际产值（元）"].value, int | float) and cells["实际产值（元）"].number_format == "#,##0.00"
    assert Decimal(str(cells["实际产值（元）"].value)) == Decimal("10300000.25")
    assert cells["计划产值（元）"].value == 10000000
    assert cells["产值完成率"].value == pytest.approx(1.03) and cells["产值完成率"].number_format == "0.00%"
    assert (cells["验收通过项目数"].value, cells["优秀"].value, cells["实际新增就业（人）"].value) == (2, 1, 37)
    closed = _sheet_rows(performance_report, "closures")
    assert closed[INDUSTRIALIZATION]["终止释放承诺（元）"].value == 120000
    assert closed[SUBSIDY]["追回金额（元）"].value == 400
    assert closed["合计"]["追回金额（元）"].value == 50400 and closed["合计"]["其中欺诈追回（元）"].value == 50000
    assert closed["合计"]["追回金额（元）"].font.bold


def test_pdf_prints_both_sections(performance_report):
    with pdfplumber.open(io.BytesIO(services.render(performance_report, "pdf"))) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "十二、绩效：项目验收（按资金项目）" in text and "十三、绩效：项目终止与资金追回（按资金项目）" in text
    # 万元 under "单位：万元": 10,000,000.00 / 10,300,000.25 / 180,000.00 / 120,000.00 / 50,400.00 / 50,000.00 元
    for figure in ("1,000.00", "1,030.00", "103%", "92.5%", "18.00", "12.00", "5.04", "5.00"):
        assert figure in text, figure


def test_the_report_page_shows_both_sections(performed):
    body = page_client(performed.finance).get(reverse("reports:budget"), {"year": performed.year}).content.decode()
    assert 'id="section-performance"' in body and 'id="section-closures"' in body
    for cell in ("1,030.00", "103%", "92.5%", "12.00", "5.04"):  # money in 万元
        assert f'<td class="text-end font-monospace">{cell}</td>' in body, cell
    assert "核对一致" in body
