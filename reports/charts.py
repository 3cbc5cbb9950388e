"""Charts for the PDF, drawn with reportlab graphics from the report's sections.

Chart geometry needs plain numbers: amounts go in as whole yuan (``int``), a drawing-only
rounding that never reaches a reader; the axis labels are written by ``core.money.format_wan``
under a "万元" caption, and every figure printed in the report comes from the Decimal columns.
"""

from decimal import ROUND_HALF_UP, Decimal

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from core.money import format_wan

from .document import Report, Section

WIDTH, HEIGHT = 170 * mm, 80 * mm
PALETTE = [colors.HexColor("#2f6fb0"), colors.HexColor("#e08a2c"), colors.HexColor("#4b9b5a")]


def _yuan(value) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)) if isinstance(value, Decimal) else 0


def _wan(value) -> str:
    """An axis tick (reportlab hands it over as int or float) in 万元, e.g. 2500000 → "250", 5000 → "0.5"."""
    return format_wan(Decimal(repr(value)), places=1, unit=False)


def _bar_chart(font: str, title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.add(String(WIDTH / 2, HEIGHT - 12, title, fontName=font, fontSize=10, textAnchor="middle"))
    if not labels:
        drawing.add(String(WIDTH / 2, HEIGHT / 2, "无数据", fontName=font, fontSize=9, textAnchor="middle"))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 18 * mm, 22 * mm, WIDTH - 60 * mm, HEIGHT - 38 * mm
    chart.data = [values for _name, values in series]
    chart.categoryAxis.categoryNames = [label[:8] for label in labels]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = _wan
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for i, _ in enumerate(series):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(String(4 * mm, HEIGHT - 20, "万元", fontName=font, fontSize=7))
    legend = Legend()
    legend.x, legend.y = WIDTH - 38 * mm, HEIGHT - 26 * mm
    legend.fontName, legend.fontSize = font, 8
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, (name, _v) in enumerate(series)]
    drawing.add(legend)
    return drawing


def _column(section: Section, key: str) -> list:
    return section.frame[key].tolist() if key in section.frame else []


def budget_chart(report: Report, font: str) -> Drawing:
    section = report.section("budget")
    return _bar_chart(
        font, "各资金项目预算执行情况", [str(n) for n in _column(section, "name")],
        [("预算合计", [_yuan(v) for v in _column(section, "allocated")]),
         ("已承诺未拨付", [_yuan(v) for v in _column(section, "committed")]),
         ("已拨付", [_yuan(v) for v in _column(section, "disbursed")])],
    )


def loans_chart(report: Report, font: str) -> Drawing:
    section = report.section("loans")
    return _bar_chart(
        font, "知识产权质押贷款（按银行）", [str(n) for n in _column(section, "name")],
        [("当年新增本金", [_yuan(v) for v in _column(section, "new_principal")]),
         ("年末贷款余额", [_yuan(v) for v in _column(section, "balance")])],
    )
