"""The report page (finance and admin) and its downloads."""

import pytest
from django.urls import reverse

from tests.clients import page_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(populated):
    return page_client(populated.finance)


def test_finance_sees_the_report_preview(finance_client, populated):
    response = finance_client.get(reverse("reports:budget"), {"year": populated.year})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"巫山县知识产权专项资金 {populated.year} 年度预算执行情况报告" in body
    for program in populated.programs.values():
        assert program.name_zh in body
    assert "每万人口高价值发明专利拥有量" in body


def test_admin_sees_the_report_page(populated):
    client = page_client(populated.admin)
    assert client.get(reverse("reports:budget")).status_code == 200


@pytest.mark.parametrize("who", ["applicant1", "clerk", "bank1_user"])
def test_other_roles_are_forbidden(populated, who):
    client = page_client(getattr(populated, who))
    assert client.get(reverse("reports:budget")).status_code == 403
    assert client.get(reverse("reports:budget_download"), {"year": populated.year, "format": "pdf"}).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(reverse("reports:budget"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("fmt,content_type,magic", [
    ("pdf", "application/pdf", b"%PDF"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ("csv", "text/csv; charset=utf-8", b"\xef\xbb\xbfsection"),
])
def test_downloads_in_each_format(finance_client, populated, fmt, content_type, magic):
    response = finance_client.get(reverse("reports:budget_download"), {"year": populated.year, "format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f'filename="budget-report-500237-{populated.year}.{fmt}"' in response["Content-Disposition"]
    assert response.content.startswith(magic)


@pytest.mark.parametrize("year", ["1999", "abc", "99999999999999999999"])
def test_a_bad_year_on_the_page_is_a_message_not_an_error(finance_client, year):
    response = finance_client.get(reverse("reports:budget"), {"year": year})
    assert response.status_code == 400
    assert "年度必须是 2000 至 2100 之间的整数" in response.content.decode()


@pytest.mark.parametrize("params", [{"year": "abc", "format": "pdf"}, {"year": "2026", "format": "exe"}, {}])
def test_a_bad_download_request_goes_back_to_the_page_with_a_message(finance_client, params):
    response = finance_client.get(reverse("reports:budget_download"), params, follow=True)
    assert response.status_code == 400 or response.redirect_chain
    assert "必须是" in response.content.decode()


def test_a_year_without_budget_shows_the_notice(finance_client):
    response = finance_client.get(reverse("reports:budget"), {"year": "2001"})
    assert response.status_code == 200
    assert "2001 年度没有资金项目预算" in response.content.decode()


def test_the_nav_offers_the_report_to_finance_only(populated):
    client = page_client(populated.finance)
    assert reverse("reports:budget") in client.get(reverse("home")).content.decode()
    client = page_client(populated.applicant1)
    assert reverse("reports:budget") not in client.get(reverse("home")).content.decode()
