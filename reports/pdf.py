"""The report as an A4 PDF (reportlab platypus): cover, tables that split with repeated headers,
charts, and "第 N 页 / 共 M 页" on every page. Money tables read in 万元 under a "单位：万元" line."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import charts
from .document import DECIMAL, INT, MONEY, RATE, Report, Section, format_cell, unit_line
from .fonts import cjk_font

NUMERIC = {MONEY, INT, RATE, DECIMAL}
CONTENT_WIDTH = A4[0] - 40 * mm
# Relative column widths by kind (text columns take what is left).
WEIGHTS = {MONEY: 1.7, INT: 0.8, RATE: 0.8, DECIMAL: 0.9}


def _numbered_canvas(font: str):
    class NumberedCanvas(pdfcanvas.Canvas):
        """Keeps every page until save, then stamps "第 N 页 / 共 M 页" knowing M."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict] = []

        def showPage(self):  # reportlab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.drawCentredString(A4[0] / 2, 10 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=12),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=12, leading=20, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", base, fontSize=12, leading=18, spaceBefore=10, spaceAfter=6),
        "note": ParagraphStyle("note", base, fontSize=8, leading=11, textColor=colors.HexColor("#555555")),
        "unit": ParagraphStyle("unit", base, fontSize=8, leading=11, alignment=TA_RIGHT, spaceAfter=2),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9.5),
        "notice": ParagraphStyle("notice", base, fontSize=12, leading=18, alignment=TA_CENTER,
                                 textColor=colors.HexColor("#b00020"), spaceBefore=20),
    }


def _table(section: Section, styles: dict[str, ParagraphStyle], font: str):
    header = [Paragraph(escape(c.printed_header), styles["cell"]) for c in section.columns]
    data = [header]
    for row in section.rows():
        data.append([
            format_cell(v, c.kind, wan=True) if c.kind in NUMERIC
            else Paragraph(escape(format_cell(v, c.kind)), styles["cell"])
            for v, c in zip(row, section.columns, strict=True)
        ])
    has_rows = len(data) > 1
    if not has_rows:
        data.append(["无数据"] + [""] * (len(section.columns) - 1))
    total = section.total_row()
    if total is not None and has_rows:
        data.append([format_cell(v, c.kind, wan=True) for v, c in zip(total, section.columns, strict=True)])
    weights = [c.weight or WEIGHTS.get(c.kind, 2.0) for c in section.columns]
    unit = CONTENT_WIDTH / sum(weights)
    widths = [w * unit for w in weights]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 6.5 if len(section.columns) >= 8 else 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dbe6f3")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, column in enumerate(section.columns):
        if column.kind in NUMERIC:
            style.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
    if total is not None and has_rows:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f1f1f1")))
    table.setStyle(TableStyle(style))
    return table


def render_pdf(report: Report) -> bytes:
    font = cjk_font()
    styles = _styles(font)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=report.title, author=f"{report.region_name}市场监督管理局 · 财政局", subject="预算执行情况报告",
    )
    story: list = [
        Spacer(1, 60 * mm),
        Paragraph(escape(report.title), styles["title"]),
        Paragraph(escape(f"行政区：{report.region_name}（{report.region_code}）"), styles["subtitle"]),
        Paragraph(f"报告日期：{report.generated_on:%Y 年 %m 月 %d 日}", styles["subtitle"]),
    ]
    if report.notice:
        story.append(Paragraph(escape(report.notice), styles["notice"]))
    story.append(PageBreak())
    for section in report.sections:
        block = [Paragraph(escape(section.title), styles["h2"])]
        if section.has_money:
            block.append(Paragraph(escape(unit_line()), styles["unit"]))
        block.append(_table(section, styles, font))
        if section.note:
            block.append(Paragraph(escape(section.note), styles["note"]))
        story.append(block[0])
        story.extend(block[1:])
        if section.key == "budget":
            story.append(KeepTogether([Spacer(1, 4 * mm), charts.budget_chart(report, font)]))
        if section.key == "loans":
            story.append(KeepTogether([Spacer(1, 4 * mm), charts.loans_chart(report, font)]))
    doc.build(story, canvasmaker=_numbered_canvas(font))
    return buffer.getvalue()
