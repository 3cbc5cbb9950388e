"""Issue #10, item 10: one way to write numbers for people (``core.money``), on pages, in exports and
in the page forms, which parse money through the one parser (``core.forms``)."""

import html
import re
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.template import Context, Template
from django.utils import timezone
from openpyxl import load_workbook

from core.forms import FractionField, MoneyField
from core.money import (
    format_amount,
    format_money,
    format_number,
    format_percent,
    format_wan,
    format_wan_amount,
    plain_decimal,
)
from funding.models import Application
from funding.templatetags.funding_labels import detail_rows
from funding.workflow import ProgramCode, State
from pledges import services
from tests import factories
from tests.clients import page_client
from tests.pledges.helpers import IN_TERM, register

UNSEPARATED = re.compile(r"\d{5,}\.\d{2}")  # 38981.25: an amount written without thousands separators


# --- the helper -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1234567.891"), "1,234,567.89 元"),
    (Decimal("1234567.895"), "1,234,567.90 元"),  # ROUND_HALF_UP, not half-even
    (Decimal("0.125"), "0.13 元"),
    (Decimal("2E+5"), "200,000.00 元"),
    (Decimal("-1234.5"), "-1,234.50 元"),
    (0, "0.00 元"),
    (None, "—"),
])
def test_format_money(value, text):
    assert format_money(value) == text


def test_a_zero_balance_left_by_a_float_sum_is_not_negative():
    # SQLite sums decimals in binary floating point: a nil balance comes back as -1.7E-12.
    assert format_money(Decimal("-1.7E-12")) == "0.00 元"
    assert format_amount(Decimal("-0.001")) == "0.00"
    assert format_percent(Decimal("-0")) == "0%"


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("0.6"), "60%"),
    (Decimal("0.6000"), "60%"),
    (Decimal("0.0385"), "3.85%"),
    (Decimal("0.038500"), "3.85%"),
    (Decimal("0.045000"), "4.5%"),
    (Decimal("4E-1"), "40%"),
    (Decimal("1"), "100%"),
    (None, "—"),
])
def test_format_percent(value, text):
    assert format_percent(value) == text


def test_shares_and_quantities_never_read_with_an_exponent():
    assert plain_decimal(Decimal("3.85E-2")) == "0.0385"
    assert plain_decimal(Decimal("2E+5")) == "200000"
    assert format_number(Decimal("2E+5")) == "200,000"
    assert format_number(Decimal("997.250")) == "997.25"
    assert format_number(Decimal("-1234567.5")) == "-1,234,567.5"


def test_format_wan():
    assert format_wan(Decimal("1234567.89")) == "123.46 万元"
    assert format_wan(50000) == "5 万元"
    assert format_wan(Decimal("2.5E+6"), unit=False) == "250"
    assert format_wan(None) == "—"


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("123456789.00"), "12,345.68"),
    (Decimal("123456750.00"), "12,345.68"),  # ROUND_HALF_UP, not half-even
    (Decimal("123456749.99"), "12,345.67"),
    (Decimal("50000"), "5.00"),  # report tables keep two places
    (Decimal("0.01"), "0.00"),
    (Decimal("-1.7E-12"), "0.00"),  # never "-0.00"
    (Decimal("-250000"), "-25.00"),
    (Decimal("2E+9"), "200,000.00"),
    (None, "—"),
])
def test_format_wan_amount(value, text):
    assert format_wan_amount(value) == text


def test_the_wan_filter_delegates_to_the_helper():
    template = Template("{% load money %}{{ a|wan }}|{{ s|wan }}|{{ n|wan }}|{{ t|wan }}")
    text = template.render(Context({"a": Decimal("123456789.00"), "s": "38981.25", "n": None, "t": "未录入"}))
    assert text == "12,345.68|3.90|—|未录入"


def test_template_filters_delegate_to_the_helper():
    template = Template("{% load money %}{{ a|money }}|{{ a|amount }}|{{ s|money }}|{{ r|percent }}|"
                        "{{ n|money }}|{{ t|money }}|{{ a|plain_amount }}")
    text = template.render(Context({"a": Decimal("1234567.891"), "s": "38981.25", "r": Decimal("0.038500"),
                                    "n": None, "t": "未录入"}))
    assert text == "1,234,567.89 元|1,234,567.89|38,981.25 元|3.85%|—|未录入|1234567.89"


def test_application_details_show_amounts_and_shares_for_people():
    """Handlers give details as decimal strings (for JSON); the page shows them formatted."""
    rows = detail_rows(Application(), {"total_investment": "2000000.00", "outstanding_at_default": "1500000.00",
                                       "share": "0.4000", "interest_paid": "38981.25", "jobs": 20})
    values = {row["key"]: row["value"] for row in rows}
    assert values == {"total_investment": "2,000,000.00 元", "outstanding_at_default": "1,500,000.00 元",
                      "share": "40%", "interest_paid": "38,981.25 元", "jobs": 20}


# --- pages ----------------------------------------------------------------------------------

class _Text(HTMLParser):
    """What a person reads: text outside <script>/<style>, plus the attribute values shown (title,
    placeholder, aria-label)."""

    SHOWN_ATTRS = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(v for k, v in attrs if k in self.SHOWN_ATTRS and v)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(response) -> str:
    assert response.status_code == 200
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def assert_reads_well(text: str) -> None:
    assert not UNSEPARATED.search(text), UNSEPARATED.search(text)
    assert "E+" not in text and "E-" not in text
    assert "0.0385" not in text and "0.045000" not in text


@pytest.fixture
def approved(world):
    """An approved application with amounts that need separators (built directly: pages only read)."""
    return factories.ApplicationFactory(
        program=world.programs[ProgramCode.INDUSTRIALIZATION], applicant=world.enterprise1, title="数字格式测试",
        state=State.APPROVED, requested_amount=Decimal("1234567.89"), approved_amount=Decimal("1234567.89"),
        disbursed_amount=Decimal("38981.25"),
    )


def test_finance_approval_queue_writes_amounts_with_separators_and_unit(world, approved):
    text = page_text(page_client(world.finance).get("/funding/approvals/"))
    assert "数字格式测试" in text
    assert "1,234,567.89 元" in text and "38,981.25 元" in text
    assert "5,000,000.00 元" in text  # the industrialization budget's available room
    assert_reads_well(text)


def test_application_detail_writes_amounts_for_people(world, approved):
    response = page_client(world.finance).get(f"/funding/{approved.pk}/")
    text = page_text(response)
    assert "1,234,567.89 元" in text and "38,981.25 元" in text
    assert_reads_well(text)


def test_disburse_input_holds_what_may_be_paid_now_as_the_parser_accepts_it(world, approved):
    body = page_client(world.finance).get(f"/funding/{approved.pk}/").content.decode()
    tag = re.search(r"<input[^>]*id=\"disburse-amount\"[^>]*>", body).group(0)
    # What may be paid now, without separators (it is posted back): the first tranche before 验收,
    # 60 % of 1,234,567.89 = 740,740.73, less the 38,981.25 paid.
    assert 'value="701759.48"' in tag


def test_budget_overview_writes_amounts_for_people(world):
    text = page_text(page_client(world.finance).get("/funding/budgets/"))
    assert "10,000,000.00 元" in text
    assert_reads_well(text)


def test_public_notice_writes_the_amount_for_people(world):
    factories.ApplicationFactory(program=world.programs[ProgramCode.APPLICATION_SUBSIDY], applicant=world.enterprise1,
                                 state=State.PUBLICITY, requested_amount=Decimal("50000.00"),
                                 proposed_amount=Decimal("38981.25"), publicity_started_on=timezone.localdate())
    text = page_text(page_client().get(f"/funding/notices/{world.region.code}/application_subsidy/{world.year}/"))
    assert "38,981.25" in text and "50,000.00" not in text  # the proposed amount, under a 元 header
    assert_reads_well(text)


@pytest.fixture
def loan(world):
    loan = register(world.bank1_user, principal="1234567.89", annual_rate="0.0385")
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "38981.25", "interest": "3961.10"})
    return loan


def test_loan_detail_writes_amounts_and_the_rate_for_people(world, loan):
    text = page_text(page_client(world.fincenter).get(f"/pledges/{loan.pk}/"))
    assert "1,234,567.89 元" in text  # principal
    assert "1,195,586.64 元" in text  # outstanding after the repayment
    assert "38,981.25 元" in text and "3,961.10 元" in text  # the repayment
    assert "4,500,000.00 元" in text  # a pledged right's valuation
    assert "3.85%" in text
    assert_reads_well(text)


def test_loan_list_writes_amounts_for_people(world, loan):
    text = page_text(page_client(world.fincenter).get("/pledges/"))
    assert "1,234,567.89 元" in text and "1,195,586.64 元" in text
    assert_reads_well(text)


def test_loan_export_keeps_amounts_numeric_and_writes_the_rate_as_a_percentage(world, loan):
    response = page_client(world.fincenter).get("/pledges/", {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    principal, rate, rights = sheet.cell(row=2, column=7), sheet.cell(row=2, column=8), sheet.cell(row=2, column=14)
    assert principal.data_type == "n" and Decimal(str(principal.value)) == Decimal("1234567.89")
    assert principal.number_format == "#,##0.00"
    assert rate.value == "3.85%"
    assert "4,500,000.00 元" in rights.value


def test_budget_export_keeps_amounts_numeric_to_the_fen(world):
    response = page_client(world.finance).get("/funding/budgets/", {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [sheet.cell(row=r, column=3) for r in range(2, sheet.max_row + 1)]
    assert cells and all(c.data_type == "n" and c.number_format == "#,##0.00" for c in cells)
    assert sorted(Decimal(str(c.value)) for c in cells)[-1] == Decimal("10000000.00")


# --- forms parse money through the one parser -------------------------------------------------

def test_money_field_parses_plain_decimals_only():
    field = MoneyField()
    assert field.clean("1000") == Decimal("1000.00")
    assert field.clean(" 38981.25 ") == Decimal("38981.25")
    for text, message in [("2e5", "科学计数法"), ("２０００", "半角阿拉伯数字"), ("1_000", "下划线"),
                          ("1,00.00", "每三位一个"), ("0.001", "2 位小数"), ("0", "必须大于 0"), ("-5", "不能为负数"),
                          ("NaN", "有限"), ("abc", "十进制数字")]:
        with pytest.raises(Exception) as caught:
            field.clean(text)
        assert message in " ".join(caught.value.messages), text


def test_money_field_reads_amounts_as_people_write_them():
    field = MoneyField()
    assert [field.clean(text) for text in ("250000", "250,000", "25万", "2.5 万元", "1,234,567.89", "12,345元")] == [
        Decimal("250000.00"), Decimal("250000.00"), Decimal("250000.00"), Decimal("25000.00"),
        Decimal("1234567.89"), Decimal("12345.00")]
    assert "250,000" in str(field.help_text) and "25万" in str(field.help_text)


def test_fraction_field_reads_percentages():
    assert FractionField().clean("3.85%") == Decimal("0.0385")
    assert FractionField().clean("60%") == Decimal("0.6000")


def test_money_field_options():
    assert MoneyField(required=False).clean("") is None
    assert MoneyField(allow_zero=True).clean("0") == Decimal("0.00")
    assert MoneyField(allow_negative=True).clean("-1000.5") == Decimal("-1000.50")
    with pytest.raises(Exception, match="必填|required"):
        MoneyField().clean("")


def test_money_field_shows_a_stored_amount_as_the_parser_accepts_it():
    assert MoneyField().prepare_value(Decimal("2E+6")) == "2000000.00"
    assert MoneyField().prepare_value("2000000.00") == "2000000.00"


def test_fraction_field_parses_shares():
    field = FractionField()
    assert field.clean("0.6") == Decimal("0.6000")
    with pytest.raises(Exception, match="0 与 1 之间"):
        field.clean("60")
    with pytest.raises(Exception, match="科学计数法"):
        field.clean("6e-1")
    assert field.prepare_value(Decimal("0.6000")) == "0.6"


@pytest.mark.parametrize(("typed", "message"), [
    ("2e5", "不接受科学计数法（如 2e5），请写成如 \"200000.00\""),
    ("２０００００", "请使用半角阿拉伯数字 0–9（不接受全角或其他文字的数字）"),
])
def test_application_form_refuses_an_exponent_or_full_width_digits_with_the_reason(world, typed, message):
    patent = factories.PatentFactory(owner=world.enterprise1)
    response = page_client(world.applicant1).post(f"/funding/new/{ProgramCode.INDUSTRIALIZATION}/", {
        "title": "格式测试", "patents": patent.number, "total_investment": typed, "self_funding": "0",
        "expected_output_value": "0", "jobs": "1"})
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not Application.objects.filter(title="格式测试").exists()


def test_approval_form_refuses_full_width_digits_with_the_reason(world, approved):
    app = factories.ApplicationFactory(program=world.programs[ProgramCode.APPLICATION_SUBSIDY],
                                       applicant=world.enterprise1, state=State.PUBLICITY)
    response = page_client(world.finance).post(f"/funding/{app.pk}/transitions/approve/",
                                              {"approved_amount": "１０００"}, follow=True)
    assert "请使用半角阿拉伯数字" in html.unescape(response.content.decode())
    assert Application.objects.get(pk=app.pk).state == State.PUBLICITY


def test_budget_adjustment_form_refuses_an_underscore_with_the_reason(world):
    response = page_client(world.finance).post("/funding/budgets/", {
        "program": ProgramCode.PATENT_AWARD, "year": world.year, "amount": "-1_000", "reason": "调减"})
    assert "金额中不能使用下划线分隔" in html.unescape(response.content.decode())


def test_money_inputs_are_text_inputs_so_the_server_sees_what_was_typed(world):
    body = page_client(world.applicant1).get(f"/funding/new/{ProgramCode.INDUSTRIALIZATION}/").content.decode()
    tag = re.search(r"<input[^>]*name=\"total_investment\"[^>]*>", body).group(0)
    assert 'type="text"' in tag and 'inputmode="decimal"' in tag
