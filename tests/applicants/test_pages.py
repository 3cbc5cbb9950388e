import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from applicants.models import IPAsset
from tests import factories
from tests.clients import page_client

pytestmark = pytest.mark.django_db


def test_my_assets_lists_only_own(world):
    mine = factories.PatentFactory(owner=world.enterprise1)
    other = factories.PatentFactory(owner=world.enterprise2)
    html = page_client(world.applicant1).get(reverse("applicants:my_assets")).content.decode()
    assert mine.number in html and other.number not in html


def test_my_assets_needs_an_applicant(world):
    assert page_client(world.clerk).get(reverse("applicants:my_assets")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("applicants:my_assets"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_register_form_creates_asset_and_redirects(world):
    response = page_client(world.applicant1).post(reverse("applicants:asset_register"), {
        "kind": "patent", "number": "ZL 2017 1060 1862.3", "title": "一种方法", "country": "CN",
    })
    assert response.status_code == 302
    assert IPAsset.objects.get().number == "ZL201710601862.3"


def test_register_form_shows_identifier_error_on_the_number_field(world):
    response = page_client(world.applicant1).post(reverse("applicants:asset_register"), {
        "kind": "patent", "number": "201710601862.4", "title": "一种方法", "country": "CN",
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert "校验码应为 3" in form.errors["number"][0]
    assert "is-invalid" in form.fields["number"].widget.attrs["class"]
    assert "校验码应为 3" in response.content.decode()


def test_register_form_shows_conflict_as_form_error(world):
    taken = factories.PatentFactory(owner=world.enterprise2)
    response = page_client(world.applicant1).post(reverse("applicants:asset_register"), {
        "kind": "patent", "number": taken.number, "title": "x", "country": "CN",
    })
    assert response.status_code == 200
    assert "已由其他权利人登记" in response.context["form"].non_field_errors()[0]


def test_register_form_trademark_without_nice_class_errs_on_that_field(world):
    response = page_client(world.applicant1).post(reverse("applicants:asset_register"), {
        "kind": "trademark", "number": "123", "title": "x", "country": "CN",
    })
    assert "nice_class" in response.context["form"].errors


def test_registry_is_for_staff_only(world):
    assert page_client(world.applicant1).get(reverse("applicants:registry")).status_code == 403


def test_registry_filters_by_kind(world):
    patent = factories.PatentFactory(owner=world.enterprise1)
    trademark = factories.TrademarkFactory(owner=world.enterprise2)
    html = page_client(world.clerk).get(reverse("applicants:registry"), {"kind": "trademark"}).content.decode()
    assert trademark.number in html and patent.number not in html


def test_registry_excel_export_has_the_filtered_rows(world):
    factories.PatentFactory(owner=world.enterprise1)
    trademark = factories.TrademarkFactory(owner=world.enterprise2)
    response = page_client(world.clerk).get(reverse("applicants:registry"), {"kind": "trademark", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][1] == "号码"
    assert [r[1] for r in rows[1:]] == [trademark.number]


@pytest.mark.parametrize("url_name", ["applicants:registry", "applicants:my_assets"])
def test_list_pages_use_a_fixed_number_of_queries(world, url_name):
    user = world.clerk if url_name == "applicants:registry" else world.applicant1
    client = page_client(user)
    counts = []
    for batch in (3, 25):
        IPAsset.objects.all().delete()
        for _ in range(batch):
            factories.PatentFactory(owner=world.enterprise1)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url_name)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_organisation_page_shows_profile_and_saves_contact(world):
    client = page_client(world.applicant1)
    page = client.get(reverse("applicants:organisation"))
    assert world.enterprise1.credit_code in page.content.decode()
    response = client.post(reverse("applicants:organisation"), {
        "industry": "navel_orange", "address": "巫山县龙门街道", "legal_representative": "王五",
        "contact_name": "赵六", "contact_phone": "023-1", "contact_email": "a@example.com",
    })
    assert response.status_code == 302
    world.enterprise1.refresh_from_db()
    assert (world.enterprise1.industry, world.enterprise1.contact_name) == ("navel_orange", "赵六")


def test_organisation_form_bad_email_is_a_field_error(world):
    response = page_client(world.applicant1).post(reverse("applicants:organisation"), {
        "industry": "other", "contact_email": "not-an-email",
    })
    assert response.status_code == 200 and "contact_email" in response.context["form"].errors


def test_nav_shows_entries_by_role(world):
    html = page_client(world.applicant1).get(reverse("home")).content.decode()
    assert reverse("applicants:my_assets") in html and reverse("applicants:registry") not in html
    html = page_client(world.clerk).get(reverse("home")).content.decode()
    assert reverse("applicants:registry") in html


def test_pages_are_chinese_by_default_and_english_on_request(world):
    client = page_client(world.applicant1)
    html = client.get(reverse("applicants:my_assets")).content.decode()
    assert "登记专利或商标" in html and "我的知识产权" in html
    client.cookies["django_language"] = "en"
    html = client.get(reverse("applicants:my_assets")).content.decode()
    assert "Register a patent or trademark" in html and "My IP assets" in html


def test_service_errors_are_translated_to_english(world):
    client = page_client(world.applicant1)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("applicants:asset_register"), {
        "kind": "trademark", "number": "123", "title": "x", "country": "CN",
    })
    assert "Trademarks need a Nice class" in response.context["form"].errors["nice_class"][0]
