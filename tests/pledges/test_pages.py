"""The financial services center's pages (and bank staff's view of their own loans)."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from applicants.models import Industry
from pledges import services
from pledges.models import LoanStatus, PledgeLoan
from tests.clients import page_client
from tests.factories import EnterpriseFactory, TownshipFactory
from tests.pledges.helpers import IN_TERM, THIS_YEAR, register

pytestmark = pytest.mark.django_db
LIST = "/pledges/"


def _ids(response):
    return [loan.pk for loan in response.context["loans"]]


def test_fin_center_sees_every_loan_with_tiles(world):
    a = register(world.bank1_user)
    b = register(world.bank2_user)
    response = page_client(world.fincenter).get(LIST)
    assert response.status_code == 200
    assert set(_ids(response)) == {a.pk, b.pk}
    tiles = response.context["tiles"]
    assert tiles.pledged_patents == 2 and tiles.pledged_trademarks == 2
    assert [row["bank__code"] for row in tiles.balance_by_bank] == ["ABC-WS", "CQRCB-WS"]


def test_bank_staff_see_only_their_banks_loans(world):
    mine = register(world.bank1_user)
    register(world.bank2_user)
    response = page_client(world.bank1_user).get(LIST)
    assert _ids(response) == [mine.pk]
    assert "bank" not in response.context["filter_form"].fields


def test_other_banks_loan_page_is_404(world):
    loan = register(world.bank2_user)
    assert page_client(world.bank1_user).get(f"{LIST}{loan.pk}/").status_code == 404


def test_applicant_may_not_open_the_pages(world):
    assert page_client(world.applicant1).get(LIST).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    assert client.get(LIST).status_code == 302


def test_filters_by_bank_industry_township_status_and_dates(world):
    township = TownshipFactory(region=world.region, name="大昌镇")
    herbs = EnterpriseFactory(region=world.region, industry=Industry.MEDICINAL_HERBS, township=township)
    a = register(world.bank1_user, borrower_credit_code=herbs.credit_code, start_date="2024-01-05",
                 maturity_date="2025-01-05")
    b = register(world.bank2_user)
    services.loan_settle(by=world.bank2_user, loan_id=b.pk)
    client = page_client(world.fincenter)
    assert _ids(client.get(LIST, {"bank": world.bank2.pk})) == [b.pk]
    assert _ids(client.get(LIST, {"industry": Industry.MEDICINAL_HERBS})) == [a.pk]
    assert _ids(client.get(LIST, {"township": township.pk})) == [a.pk]
    assert _ids(client.get(LIST, {"status": LoanStatus.SETTLED})) == [b.pk]
    assert _ids(client.get(LIST, {"start_date_before": "2024-12-31"})) == [a.pk]


def test_list_page_uses_a_fixed_number_of_queries(world):
    client = page_client(world.fincenter)
    register(world.bank1_user)
    client.get(LIST)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx)

    few = count()
    for _ in range(7):
        register(world.bank2_user)
    assert count() == few


def test_detail_page_uses_a_fixed_number_of_queries(world):
    client = page_client(world.fincenter)
    loan = register(world.bank1_user)
    client.get(f"{LIST}{loan.pk}/")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{LIST}{loan.pk}/").status_code == 200
        return len(ctx)

    few = count()
    for month in range(1, 6):
        services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                                  **{"date": f"{THIS_YEAR}-0{month}-01", "principal": "1.00", "interest": "1.00"})
    assert count() == few


def test_detail_shows_rights_repayments_and_events(world):
    loan = register(world.bank1_user)
    services.repayment_record(by=world.bank1_user, loan_id=loan.pk,
                              **{"date": IN_TERM, "principal": "1.00", "interest": "2.00"})
    response = page_client(world.fincenter).get(f"{LIST}{loan.pk}/")
    text = response.content.decode()
    assert loan.rights.first().number in text
    assert "已登记" in text and "还款" in text  # the event kinds' labels (pledges/templatetags)
    assert response.context["cancel_form"] is not None


def test_excel_export_keeps_the_filters(world):
    a = register(world.bank1_user)
    register(world.bank2_user)
    response = page_client(world.fincenter).get(LIST, {"bank": world.bank1.pk, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == a.contract_no
    assert rows[1][7] == "3.85%"  # rates for people: core.money.format_percent (issue #10, item 10)


def test_fin_center_cancels_from_the_detail_page(world):
    loan = register(world.bank1_user)
    response = page_client(world.fincenter).post(f"{LIST}{loan.pk}/cancel/", {"reason": "重复登记"})
    assert response.status_code == 302
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.CANCELLED


def test_cancel_without_reason_is_a_message_not_an_error(world):
    loan = register(world.bank1_user)
    response = page_client(world.fincenter).post(f"{LIST}{loan.pk}/cancel/", {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.ACTIVE


def test_bank_may_not_cancel_from_the_page(world):
    loan = register(world.bank1_user)
    assert page_client(world.bank1_user).post(f"{LIST}{loan.pk}/cancel/", {"reason": "x"}).status_code == 403


def test_home_page_shows_pledge_tasks_and_nav(world):
    register(world.bank1_user)
    response = page_client(world.bank1_user).get("/")
    labels = [item["label"] for group in response.context["task_groups"] for item in group["items"]]
    assert "正常贷款" in labels
    assert any(item["url"] == LIST for item in response.context["nav_items"])


@pytest.mark.parametrize("model", ["pledgeloan", "pledgedright", "repayment", "recovery", "loanevent",
                                   "idempotencyrecord", "interestsubsidyclaim", "interestsubsidyloan",
                                   "riskcompensationclaim"])
def test_admin_lists_every_pledges_model(world, model):
    loan = register(world.bank1_user)
    client = page_client(world.admin)
    assert client.get(f"/admin/pledges/{model}/").status_code == 200
    if model == "pledgeloan":
        assert client.get(f"/admin/pledges/pledgeloan/{loan.pk}/change/").status_code == 200
