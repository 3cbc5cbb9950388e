"""Monthly pledge statistics (issue #14, item 6): a small hand-built year checked month by month, the
same figures as the loan pages and the year-end report, who may see them, XLSX and CSV, fixed queries."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from applicants.models import Industry, Role
from core.errors import Invalid
from pledges import services
from pledges.models import LoanStatus, PledgeLoan, Repayment
from pledges.selectors import loan_list, portfolio_tiles
from reports import selectors
from reports.pledge_stats import MEASURES, Period, parse_period, pledge_stats, region_loans
from reports.views_stats import stats_workbook
from tests import factories
from tests.clients import page_client
from tests.pledges.helpers import register

pytestmark = pytest.mark.django_db

PAGE, DOWNLOAD = reverse("reports:pledge_stats"), reverse("reports:pledge_stats_download")
Y = timezone.localdate().year - 1  # a whole past year: every date below may be registered (none in the future)
D = Decimal


def day(month: int, dom: int, year: int = Y) -> str:
    return datetime.date(year, month, dom).isoformat()


@pytest.fixture
def year_data(world):
    """Loan A (bank1, 脆李): 1,000,000.00 lent 10 March, 200,000.00 repaid 20 May, defaulted 15 August at
    800,000.00. Loan B (bank2, 新材料): 500,000.00 lent 15 January, 100,000.00 repaid 10 April, the
    remaining 400,000.00 and settlement on 30 June. Loan C (bank1, 新材料): 300,000.00 lent the previous
    November, 50,000.00 repaid in December and again 1 February. Not counted: a registration cancelled,
    and a loan of another county's bank to another county's enterprise."""
    a = register(world.bank1_user, borrower_credit_code=world.enterprise1.credit_code, principal="1000000.00",
                 start_date=day(3, 10), maturity_date=day(3, 9, Y + 2))
    services.repayment_record(by=world.bank1_user, loan_id=a.pk, date=day(5, 20), principal="200000.00",
                              interest="9000.00")
    services.loan_default(by=world.bank1_user, loan_id=a.pk, date=day(8, 15), outstanding_principal="800000.00")
    b = register(world.bank2_user, borrower_credit_code=world.enterprise2.credit_code, principal="500000.00",
                 start_date=day(1, 15), maturity_date=day(1, 14, Y + 1))
    services.repayment_record(by=world.bank2_user, loan_id=b.pk, date=day(4, 10), principal="100000.00",
                              interest="5000.00")
    services.repayment_record(by=world.bank2_user, loan_id=b.pk, date=day(6, 30), principal="400000.00",
                              interest="3000.00")
    services.loan_settle(by=world.bank2_user, loan_id=b.pk, date=day(6, 30))
    c = register(world.bank1_user, borrower_credit_code=world.enterprise2.credit_code, principal="300000.00",
                 start_date=day(11, 1, Y - 1), maturity_date=day(10, 31, Y + 2))
    services.repayment_record(by=world.bank1_user, loan_id=c.pk, date=day(12, 1, Y - 1), principal="50000.00",
                              interest="1000.00")
    services.repayment_record(by=world.bank1_user, loan_id=c.pk, date=day(2, 1), principal="50000.00",
                              interest="1000.00")
    cancelled = register(world.bank1_user, principal="700000.00", start_date=day(3, 1), maturity_date=day(3, 1, Y + 1))
    services.loan_cancel(by=world.fincenter, loan_id=cancelled.pk, reason="重复登记")
    world.other_region = factories.RegionFactory(code="500236", name="奉节县")
    other_bank = factories.BankFactory(region=world.other_region, code="FJ-BANK", name="奉节县某银行")
    world.other_bank_user = factories.UserFactory(username="fjbank", role=Role.BANK, region=world.other_region,
                                                  bank=other_bank)
    other_borrower = factories.EnterpriseFactory(region=world.other_region, credit_code=factories.make_credit_code("500236"))
    register(world.other_bank_user, borrower_credit_code=other_borrower.credit_code, principal="9000000.00",
             start_date=day(3, 5), maturity_date=day(3, 5, Y + 1))
    world.loans = {"A": a, "B": b, "C": c}
    return world


ZERO = D("0.00")
# Per month of Y: (registered count, principal, settled, defaulted count, outstanding at default,
#                  outstanding count, balance at the month's last day)
TOTAL = {
    1: (1, D("500000.00"), 0, 0, ZERO, 2, D("750000.00")),  # B 500k + C 300k − 50k (repaid the year before)
    2: (0, ZERO, 0, 0, ZERO, 2, D("700000.00")),  # C −50k
    3: (1, D("1000000.00"), 0, 0, ZERO, 3, D("1700000.00")),  # A lent
    4: (0, ZERO, 0, 0, ZERO, 3, D("1600000.00")),  # B −100k
    5: (0, ZERO, 0, 0, ZERO, 3, D("1400000.00")),  # A −200k
    6: (0, ZERO, 1, 0, ZERO, 2, D("1000000.00")),  # B settled
    7: (0, ZERO, 0, 0, ZERO, 2, D("1000000.00")),
    8: (0, ZERO, 0, 1, D("800000.00"), 1, D("200000.00")),  # A defaulted
    **{m: (0, ZERO, 0, 0, ZERO, 1, D("200000.00")) for m in range(9, 13)},
}
BANK1 = {m: (1 if m == 3 else 0, D("1000000.00") if m == 3 else ZERO, 0, 1 if m == 8 else 0,
             D("800000.00") if m == 8 else ZERO, 2 if 3 <= m <= 7 else 1,
             {1: D("250000.00"), 3: D("1200000.00"), 4: D("1200000.00"), 5: D("1000000.00"), 6: D("1000000.00"),
              7: D("1000000.00")}.get(m, D("200000.00")))
         for m in range(1, 13)}
CRISP_PLUM = {m: (1 if m == 3 else 0, D("1000000.00") if m == 3 else ZERO, 0, 1 if m == 8 else 0,
                  D("800000.00") if m == 8 else ZERO, 1 if 3 <= m <= 7 else 0,
                  {3: D("1000000.00"), 4: D("1000000.00"), 5: D("800000.00"), 6: D("800000.00"),
                   7: D("800000.00")}.get(m, ZERO))
              for m in range(1, 13)}


def figures(group) -> dict[int, tuple]:
    """A whole year's group as {month: the MEASURES' values}."""
    return {i + 1: tuple(f.values()) for i, f in enumerate(group.months)}


def stats_for(world, **period):
    return pledge_stats(world.region, Period(year=Y, **period))


def test_month_by_month_totals_of_the_hand_built_year(year_data):
    stats = stats_for(year_data)
    assert [m.month for m in stats.months] == list(range(1, 13))
    assert figures(stats.total) == TOTAL
    period = stats.total.period
    assert (period.registered_count, period.registered_principal) == (2, D("1500000.00"))
    assert (period.settled_count, period.defaulted_count, period.defaulted_amount) == (1, 1, D("800000.00"))
    assert (period.outstanding_count, period.outstanding_balance) == (1, D("200000.00"))  # December's


def test_by_bank_and_by_industry_add_up_to_the_totals(year_data):
    stats = stats_for(year_data)
    assert [(g.key, g.label) for g in stats.by_bank] == [("ABC-WS", "中国农业银行巫山县支行"),
                                                          ("CQRCB-WS", "重庆农村商业银行巫山支行")]
    assert figures(stats.by_bank[0]) == BANK1
    bank2 = figures(stats.by_bank[1])
    assert bank2[1] == (1, D("500000.00"), 0, 0, ZERO, 1, D("500000.00"))
    assert bank2[6] == (0, ZERO, 1, 0, ZERO, 0, ZERO)
    assert [(g.key, g.label) for g in stats.by_industry] == [(Industry.CRISP_PLUM, "脆李"),
                                                              (Industry.NEW_MATERIALS, "新材料")]
    assert figures(stats.by_industry[0]) == CRISP_PLUM
    for breakdown in (stats.by_bank, stats.by_industry):
        for i in range(12):
            for k, (attr, _header, _kind) in enumerate(MEASURES):
                assert sum(getattr(g.months[i], attr) for g in breakdown) == TOTAL[i + 1][k], (attr, i + 1)


def test_a_month_range_keeps_the_balance_and_sums_only_its_months(year_data):
    stats = stats_for(year_data, first_month=5, last_month=8)
    assert [m.month for m in stats.months] == [5, 6, 7, 8]
    assert [tuple(f.values()) for f in stats.total.months] == [TOTAL[m] for m in (5, 6, 7, 8)]
    period = stats.total.period
    assert (period.registered_count, period.settled_count, period.defaulted_count) == (0, 1, 1)
    assert period.outstanding_balance == D("200000.00")


def test_every_month_end_balance_is_the_year_end_reports_definition(year_data):
    """``_performing_at`` and principal lent − repaid by that day, as ``outstanding_rows`` computes it."""
    stats = stats_for(year_data)
    for month, figures_ in zip(stats.months, stats.total.months, strict=True):
        last = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
        loans = selectors._performing_at(year_data.region, last)
        lent = loans.aggregate(total=Sum("principal"))["total"] or ZERO
        repaid = Repayment.objects.filter(loan__in=loans.values("id"), date__lte=last).aggregate(
            total=Sum("principal"))["total"] or ZERO
        assert (figures_.outstanding_count, figures_.outstanding_balance) == (loans.count(), lent - repaid), month


def test_december_equals_the_year_end_reports_balance_and_defaults(year_data):
    stats = stats_for(year_data)
    lent, repaid = selectors.outstanding_rows(year_data.region, Y)
    balance = sum((r["lent"] for r in lent), ZERO) - sum((r["repaid"] for r in repaid), ZERO)
    assert stats.total.months[-1].outstanding_balance == balance == D("200000.00")
    by_bank = {r["bank__code"]: r["lent"] for r in lent}
    for r in repaid:
        by_bank[r["loan__bank__code"]] -= r["repaid"]
    assert {g.key: g.months[-1].outstanding_balance for g in stats.by_bank if g.months[-1].outstanding_balance} == by_bank
    new = selectors.new_loan_rows(year_data.region, Y)
    assert {r["bank__code"]: (r["new_count"], r["new_principal"]) for r in new} == {
        g.key: (g.period.registered_count, g.period.registered_principal) for g in stats.by_bank
        if g.period.registered_count}
    events = selectors.pledge_event_totals(year_data.region, Y)
    assert (events["defaulted_count"], events["defaulted_amount"]) == (1, D("800000.00"))


def test_totals_equal_the_loan_pages_figures(year_data):
    fincenter = year_data.fincenter
    stats = stats_for(year_data)
    tiles = portfolio_tiles(fincenter, today=datetime.date(Y, 12, 31))
    period = stats.total.period
    assert (tiles.new_loans_count, tiles.new_loans_amount) == (period.registered_count, period.registered_principal)
    assert (tiles.defaults_count, tiles.defaults_amount) == (period.defaulted_count, period.defaulted_amount)
    # The tiles' balance is today's, defaulted loans included (at their outstanding at default); the
    # statistics show defaults apart from the balance.
    tile_balance = {row["bank__code"]: row["balance"] for row in tiles.balance_by_bank}
    assert tile_balance == {"ABC-WS": D("1000000.00")}
    assert tile_balance["ABC-WS"] == stats.by_bank[0].months[-1].outstanding_balance + D("800000.00")
    # The loan list page: the active loans' outstanding column adds up to the latest month-end balance.
    response = page_client(fincenter).get(reverse("pledges:loan_list"), {"status": LoanStatus.ACTIVE})
    assert response.status_code == 200
    page_loans = list(response.context["loans"])
    assert sum((loan.outstanding_principal for loan in page_loans), ZERO) == period.outstanding_balance
    assert len(page_loans) == period.outstanding_count
    # The same loans as the pages show the region's staff, less the cancelled registration.
    visible = set(loan_list(fincenter).exclude(status=LoanStatus.CANCELLED).values_list("id", flat=True))
    assert set(region_loans(year_data.region).values_list("id", flat=True)) == visible


def test_the_page_shows_the_tables_with_formatted_amounts(year_data):
    response = page_client(year_data.fincenter).get(PAGE, {"year": Y})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"巫山县 {Y} 年知识产权质押贷款月度统计（1–12 月）" in body
    for text in ("新增贷款金额（元）", "月末贷款余额（元）", "按银行", "按借款企业行业", "中国农业银行巫山县支行", "脆李",
                 f"{Y}-03", "1,000,000.00", "1,700,000.00", "1,500,000.00"):
        assert text in body, text
    assert "1000000.00" not in body  # amounts always through the money formatter
    assert f'href="/reports/pledges/monthly/download/?year={Y}&amp;from_month=1&amp;to_month=12&amp;format=xlsx"' in body


@pytest.mark.parametrize("who", ["finance", "admin"])
def test_finance_and_admin_see_it_too(year_data, who):
    response = page_client(getattr(year_data, who)).get(PAGE, {"year": Y})
    assert response.status_code == 200
    assert response.context["stats"].total.period.registered_principal == D("1500000.00")


def test_the_current_year_stops_at_the_current_month(world):
    today = timezone.localdate()
    stats = page_client(world.fincenter).get(PAGE).context["stats"]
    assert (stats.period.year, stats.period.last_month) == (today.year, today.month)


# --- who sees what --------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["bank1_user", "bank2_user", "applicant1", "clerk"])
def test_banks_and_other_roles_are_refused(year_data, who):
    client = page_client(getattr(year_data, who))
    assert client.get(PAGE, {"year": Y}).status_code == 403
    assert client.get(DOWNLOAD, {"year": Y, "format": "csv"}).status_code == 403


def test_a_bank_user_holding_an_oversight_role_too_is_refused(year_data):
    user = factories.UserFactory(username="bank-and-center", role=Role.FIN_CENTER, region=year_data.region,
                                 bank=year_data.bank1)
    client = page_client(user)
    assert client.get(PAGE, {"year": Y}).status_code == 403
    assert client.get(DOWNLOAD, {"year": Y, "format": "xlsx"}).status_code == 403
    response = client.get(reverse("pledges:loan_list"))
    assert response.status_code == 200 and PAGE not in response.content.decode()  # no link, no menu entry
    assert not any(item["url"] == PAGE for item in response.context["nav_items"])


def test_the_menu_and_the_loan_list_link_the_page_for_the_fin_center(year_data):
    response = page_client(year_data.fincenter).get(reverse("pledges:loan_list"))
    assert f'href="{PAGE}"' in response.content.decode()
    assert any(item["url"] == PAGE for item in response.context["nav_items"])
    bank = page_client(year_data.bank1_user).get(reverse("pledges:loan_list"))
    assert PAGE not in bank.content.decode()


def test_without_a_region_only_a_superuser_gets_the_default_countys_figures(year_data):
    root = factories.UserFactory(username="root", role=Role.ADMIN, region=None, is_superuser=True)
    stats = page_client(root).get(PAGE, {"year": Y}).context["stats"]
    assert (stats.region, stats.total.period.registered_principal) == (year_data.region, D("1500000.00"))
    nowhere = factories.UserFactory(username="nowhere", role=Role.FIN_CENTER, region=None)
    assert page_client(nowhere).get(PAGE, {"year": Y}).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, world):
    assert client.get(PAGE).status_code == 302


def test_another_regions_loans_are_not_counted_and_its_staff_see_only_theirs(year_data):
    stats = stats_for(year_data)
    assert "FJ-BANK" not in {g.key for g in stats.by_bank}
    assert stats.total.months[2].registered_count == 1  # March: loan A only (not 奉节's, not the cancelled one)
    other = factories.UserFactory(username="fj-center", role=Role.FIN_CENTER, region=year_data.other_region)
    mine = page_client(other).get(PAGE, {"year": Y}).context["stats"]
    assert [g.key for g in mine.by_bank] == ["FJ-BANK"]
    assert mine.total.period.registered_principal == D("9000000.00")


def test_a_county_banks_loan_to_an_enterprise_elsewhere_counts_as_on_the_loan_pages(year_data):
    borrower = factories.EnterpriseFactory(region=year_data.other_region, credit_code=factories.make_credit_code("500236"))
    loan = register(year_data.bank1_user, borrower_credit_code=borrower.credit_code, principal="100000.00",
                    start_date=day(9, 1), maturity_date=day(9, 1, Y + 1))
    assert loan.pk in set(loan_list(year_data.fincenter).values_list("id", flat=True))
    assert stats_for(year_data).total.months[8].registered_principal == D("100000.00")


# --- downloads -------------------------------------------------------------------------------------

def test_xlsx_has_decimal_cells_with_the_number_format_and_yuan_headers(year_data):
    response = page_client(year_data.fincenter).get(DOWNLOAD, {"year": Y, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f"pledge-stats-500237-{Y}-01-12.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["合计", "按银行", "按行业"]
    ws = wb["合计"]
    headers = [c.value for c in ws[2]]
    assert headers == ["月份", "新增贷款笔数", "新增贷款金额（元）", "结清笔数", "违约笔数", "违约时贷款余额（元）",
                       "月末在贷笔数", "月末贷款余额（元）"]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=3)}
    march = rows[f"{Y}-03"]
    assert march[2].value == 1000000 and march[2].number_format == "#,##0.00"
    assert march[1].value == 1 and march[1].number_format == "#,##0"
    assert D(str(rows[f"{Y}-05"][7].value)) == D("1400000.00") and rows[f"{Y}-05"][7].number_format == "#,##0.00"
    assert D(str(rows["期间合计"][5].value)) == D("800000.00")
    # Written as Decimal to the fen (the file keeps the number; the workbook built holds the Decimal).
    built = stats_workbook(stats_for(year_data))["合计"]
    money_columns = [i for i, (_a, _h, kind) in enumerate(MEASURES, start=2) if kind == "money"]
    for row in built.iter_rows(min_row=3):
        for i in money_columns:
            assert isinstance(row[i - 1].value, Decimal) and row[i - 1].number_format == "#,##0.00"
            assert row[i - 1].value == row[i - 1].value.quantize(D("0.01"))
    assert built.cell(row=5, column=3).value == D("1000000.00")
    banks = wb["按银行"]
    assert [c.value for c in banks[2]][:2] == ["银行", "月份"]
    bank_rows = [(r[0].value, r[1].value) for r in banks.iter_rows(min_row=3)]
    assert bank_rows[0] == ("中国农业银行巫山县支行", f"{Y}-01") and ("重庆农村商业银行巫山支行", "期间合计") in bank_rows
    industry = {(r[0].value, r[1].value): r for r in wb["按行业"].iter_rows(min_row=3)}
    assert D(str(industry[("脆李", f"{Y}-07")][8].value)) == D("800000.00")


def test_csv_is_utf8_with_bom_and_plain_two_place_amounts(year_data):
    response = page_client(year_data.fincenter).get(DOWNLOAD, {"year": Y, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["维度", "名称", "月份", "新增贷款笔数", "新增贷款金额（元）", "结清笔数", "违约笔数",
                       "违约时贷款余额（元）", "月末在贷笔数", "月末贷款余额（元）"]
    by_key = {(r[0], r[1], r[2]): r[3:] for r in rows[1:]}
    assert by_key[("合计", "合计", f"{Y}-03")] == ["1", "1000000.00", "0", "0", "0.00", "3", "1700000.00"]
    assert by_key[("合计", "合计", "期间合计")] == ["2", "1500000.00", "1", "1", "800000.00", "1", "200000.00"]
    assert by_key[("银行", "重庆农村商业银行巫山支行", f"{Y}-06")] == ["0", "0.00", "1", "0", "0.00", "0", "0.00"]
    assert by_key[("行业", "新材料", f"{Y}-01")] == ["1", "500000.00", "0", "0", "0.00", "2", "750000.00"]
    assert len(rows) == 1 + 13 * (1 + 2 + 2)
    assert all("," not in cell for r in rows[1:] for cell in r[3:])


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("year", ["abc", "1999", "２０２５", "", "2025.5", str(timezone.localdate().year + 1)])
def test_a_bad_year_is_a_400_with_a_chinese_message(world, year):
    client = page_client(world.fincenter)
    for url, extra in ((PAGE, {}), (DOWNLOAD, {"format": "xlsx"})):
        response = client.get(url, {"year": year, **extra})
        assert response.status_code == 400
        assert "年度必须是 2000 至" in response.content.decode()


def test_the_period_of_the_current_year_ends_with_the_current_month():
    today = datetime.date(2026, 6, 15)
    assert parse_period("2026", None, None, today=today) == Period(2026, 1, 6)
    assert parse_period("2026", "3", "12", today=today) == Period(2026, 3, 6)
    assert parse_period(" 2025 ", "", "", today=today) == Period(2025, 1, 12)
    with pytest.raises(Invalid, match="2026 年 7 月尚未开始"):
        parse_period("2026", "7", "12", today=today)


@pytest.mark.parametrize(("first", "last"), [("0", "5"), ("7", "3"), ("1", "13"), ("x", "2")])
def test_a_bad_month_range_is_a_400(world, first, last):
    response = page_client(world.fincenter).get(PAGE, {"year": Y, "from_month": first, "to_month": last})
    assert response.status_code == 400
    assert "月份应为 1 至 12 之间的整数" in response.content.decode()


def test_a_bad_format_is_a_400(world):
    response = page_client(world.fincenter).get(DOWNLOAD, {"year": Y, "format": "pdf"})
    assert response.status_code == 400
    assert "下载格式必须是 xlsx 或 csv" in response.content.decode()


# --- queries ---------------------------------------------------------------------------------------

def _bulk_loans(world, n: int, tag: str) -> None:
    banks = [world.bank1, world.bank2]
    borrowers = [world.enterprise1, world.enterprise2]
    loans = PledgeLoan.objects.bulk_create([
        PledgeLoan(bank=banks[i % 2], borrower=borrowers[i % 2], contract_no=f"Q-{tag}-{i}",
                   principal=D("100000.00"), annual_rate=D("0.0385"), start_date=datetime.date(Y, 1 + i % 12, 1),
                   maturity_date=datetime.date(Y + 1, 1 + i % 12, 1), pledge_registration_no=f"{2026500000000 + i}",
                   outstanding_principal=D("90000.00"), status=LoanStatus.ACTIVE)
        for i in range(n)
    ])
    Repayment.objects.bulk_create([
        Repayment(loan=loan, date=loan.start_date + datetime.timedelta(days=10 * k), principal=D("5000.00"),
                  interest=D("100.00"))
        for loan in loans for k in (1, 2)
    ])


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx)


def test_a_fixed_number_of_queries_for_2_or_20_loans(world):
    client = page_client(world.fincenter)
    _bulk_loans(world, 2, "few")
    client.get(PAGE, {"year": Y})  # sessions and caches warmed

    def counts():
        return (
            _count(lambda: pledge_stats(world.region, Period(year=Y))),
            _count(lambda: client.get(PAGE, {"year": Y})),
            _count(lambda: client.get(DOWNLOAD, {"year": Y, "format": "xlsx"})),
            _count(lambda: client.get(DOWNLOAD, {"year": Y, "format": "csv"})),
        )

    few = counts()
    assert few[0] == 1
    _bulk_loans(world, 18, "many")
    assert pledge_stats(world.region, Period(year=Y)).total.period.registered_count == 20
    assert counts() == few
