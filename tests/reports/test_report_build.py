"""The report's build: a fixed number of queries whatever the data size; indicators; fonts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applicants.models import RegionYearStats
from reports import fonts, services
from tests.reports.data import populate

pytestmark = pytest.mark.django_db


def count_queries(year: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        services.budget_report(year=year)
    return len(ctx.captured_queries)


def test_the_report_takes_the_same_queries_at_two_data_sizes(world):
    populate(world, applications=30, loans=4, seed=1)
    small = count_queries(world.year)
    populate(world, applications=300, loans=40, seed=2, stats=False)
    large = count_queries(world.year)
    assert small == large
    assert large <= 19  # 15 before the 绩效 sections, which add 4 (completions, terminations, clawbacks, ledger)


def test_indicators_are_computed_per_ten_thousand(populated, report):
    rows = {r["name"]: r for r in report.section("indicators").frame.to_dict("records")}
    patents = rows["每万人口高价值发明专利拥有量"]
    assert patents["count"] == populated.data.high_value_patents
    assert patents["value"] == (Decimal(populated.data.high_value_patents) * 10000 / 450000).quantize(Decimal("0.01"))
    assert patents["target"] == Decimal("1.12")
    trademarks = rows["每万户市场主体有效注册商标量"]
    assert trademarks["count"] == populated.data.valid_trademarks
    assert trademarks["target"] == Decimal("997.25")


def test_missing_yearly_inputs_read_not_entered(populated):
    RegionYearStats.objects.all().delete()
    report = services.budget_report(year=populated.year)
    rows = report.section("indicators").frame.to_dict("records")
    assert {r["value"] for r in rows} == {"未录入"}
    assert {r["status"] for r in rows} == {"未录入"}
    assert "未录入" in services.render(report, "csv").decode("utf-8-sig")


def test_top_recipients_are_at_most_ten_and_in_order(report):
    frame = report.section("top").frame
    granted = frame["granted"].tolist()
    assert 0 < len(granted) <= 10
    assert granted == sorted(granted, reverse=True)


def test_applications_by_state_count_every_application(populated, report):
    assert report.section("states").totals["total"] == populated.data.applications


def test_without_a_truetype_font_the_pdf_falls_back_to_stsong_with_a_warning(world, settings, monkeypatch, caplog):
    settings.IPFUND_CJK_FONT = ""
    monkeypatch.setattr(fonts, "CANDIDATES", [("/nonexistent/font.ttc", 0)])
    fonts.cjk_font.cache_clear()
    try:
        assert fonts.cjk_font() == fonts.FALLBACK_CID
        assert "No CJK TrueType font found" in caplog.text
        content = services.render(services.budget_report(year=world.year), "pdf")
        assert content.startswith(b"%PDF")
    finally:
        fonts.cjk_font.cache_clear()


def test_the_configured_font_is_tried_first(settings):
    settings.IPFUND_CJK_FONT = "/opt/fonts/custom.ttf"
    assert fonts._candidates()[0] == ("/opt/fonts/custom.ttf", 0)
