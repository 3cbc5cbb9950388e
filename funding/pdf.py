"""The printable application form (申报书) of a case: an A4 PDF with the embedded CJK font
(``core.pdf_fonts``), to be signed and sealed.

It prints what the case page shows — applicant (an individual's ID number masked), program,
project, details, the amounts in figures and in capitals, how the amount was computed
(``ProgramHandler.explain``), the documents — then the integrity pledge and the signature boxes.
reportlab is loaded on the first print only.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Applicant
from core.money import format_capitals, format_money
from core.pdf_fonts import cjk_font

from . import integrity_pledge
from .programs import handler_for
from .templatetags.funding_labels import detail_rows


def mask_id(number: str | None) -> str:
    """A resident ID as printed: the first four and the last four shown (5002**********1234)."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _detail_text(row: dict) -> str:
    value = row["value"]
    if row["key"] == "patents":
        return "\n".join(f"{p['number']} {p['title']}" for p in value or []) or "—"
    return "—" if value in (None, "") else str(value)


def _applicant_rows(applicant: Applicant) -> list[tuple[str, str]]:
    rows = [(_("申请主体"), applicant.name), (_("类型"), applicant.get_kind_display())]
    if applicant.kind == Applicant.Kind.INDIVIDUAL:
        rows.append((_("居民身份证号"), mask_id(applicant.resident_id)))
    else:
        rows += [(_("统一社会信用代码"), applicant.credit_code or ""),
                 (_("法定代表人"), applicant.legal_representative)]
    rows += [(_("地址"), applicant.address), (_("联系人"), applicant.contact_name),
             (_("联系电话"), applicant.contact_phone)]
    return [(label, value or "—") for label, value in rows]


def _amount_rows(app) -> list[tuple[str, str]]:
    rows = [(_("申请金额"), f"{format_money(app.requested_amount)}（{_('大写')}：{format_capitals(app.requested_amount)}）")]
    if app.approved_amount is not None:
        rows.append((_("批准金额"),
                     f"{format_money(app.approved_amount)}（{_('大写')}：{format_capitals(app.approved_amount)}）"))
    return rows


def application_form_pdf(app) -> bytes:
    """The 申报书 of ``app`` as PDF bytes."""
    from reportlab.lib import colors  # noqa: PLC0415  heavy
    from reportlab.lib.enums import TA_CENTER  # noqa: PLC0415
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415
    from reportlab.lib.units import mm  # noqa: PLC0415
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: PLC0415

    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title_style = ParagraphStyle("title", base, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=4)
    sub_style = ParagraphStyle("sub", base, fontSize=10, alignment=TA_CENTER, spaceAfter=10)
    h2 = ParagraphStyle("h2", base, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)
    cell = ParagraphStyle("cell", base, fontSize=9.5, leading=13)
    width = A4[0] - 40 * mm

    def para(text: str, style=base):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def table(rows: list[tuple[str, str]]):
        grid = Table([[para(label, cell), para(value, cell)] for label, value in rows],
                     colWidths=[width * 0.25, width * 0.75])
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                  ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return grid

    program = app.program
    handler = handler_for(program.code)
    story = [para(_("%(program)s申报书") % {"program": program.name_zh}, title_style),
             para(_("受理编号：%(no)s　　资金年度：%(year)s　　打印日期：%(date)s")
                  % {"no": app.case_no or _("（提交后生成）"), "year": app.fiscal_year,
                     "date": timezone.localdate().isoformat()}, sub_style)]
    story += [para(_("一、申请主体"), h2), table(_applicant_rows(app.applicant))]
    project = [(_("项目名称"), app.title), (_("资金项目"), f"{program.name_zh}（{program.region.name}）"),
               (_("状态"), app.get_state_display()),
               (_("提交时间"), timezone.localtime(app.submitted_at).strftime("%Y-%m-%d %H:%M") if app.submitted_at
                else _("未提交"))]
    project += [(str(row["label"]), _detail_text(row)) for row in detail_rows(app, handler.details(app))]
    story += [para(_("二、项目情况"), h2), table(project)]
    story += [para(_("三、申请金额"), h2), table(_amount_rows(app))]
    lines = handler.explain(app)
    if lines:
        story += [para(_("计算方法"), h2), *[para(line) for line in lines]]
    documents = [f"{doc.kind}：{doc.original_name}" for doc in app.documents.all()]
    story += [para(_("四、申报材料"), h2), para("\n".join(documents) or _("（无）"))]
    pledge = [para(integrity_pledge.title(), h2), *[para(text) for text in integrity_pledge.paragraphs(app)]]
    story.append(KeepTogether(pledge))
    if app.applicant.kind == Applicant.Kind.INDIVIDUAL:
        boxes = [_("申请人（签字）"), _("日期")]
    else:
        boxes = [_("申请单位（盖章）"), _("法定代表人（签字）"), _("日期")]
    signatures = Table([[para(label, cell) for label in boxes], [""] * len(boxes)],
                       colWidths=[width / len(boxes)] * len(boxes), rowHeights=[None, 28 * mm])
    signatures.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.8, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), KeepTogether([signatures])]

    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=_("%(program)s申报书") % {"program": program.name_zh},
                            author=app.applicant.name)
    doc.build(story)
    return out.getvalue()
