import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applicants.models import IPAsset
from tests import factories
from tests.clients import token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/ip-assets/"


def test_applicant_registers_a_patent_and_gets_it_normalized(world):
    response = token_client(world.applicant1).post(
        URL, {"kind": "patent", "number": "cn201710601862.3", "title": "一种脆李保鲜方法", "granted_on": "2020-05-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "ZL201710601862.3"
    assert body["patent_type"] == "invention"
    assert body["owner"] == {"id": world.enterprise1.pk, "name": world.enterprise1.name}
    assert body["country"] == "CN" and body["nice_class"] is None and body["granted_on"] == "2020-05-01"
    assert set(body) == {"id", "kind", "number", "title", "owner", "patent_type", "granted_on", "country",
                         "nice_class"}


def test_registering_a_trademark_requires_nice_class(world):
    response = token_client(world.applicant1).post(URL, {"kind": "trademark", "number": "12345678", "title": "巫山脆李"},
                                                 format="json")
    assert response.status_code == 400
    assert "nice_class" in response.json()


def test_bad_patent_number_is_400_keyed_number_in_chinese(world):
    response = token_client(world.applicant1).post(URL, {"kind": "patent", "number": "201710601862.4", "title": "x"},
                                                 format="json")
    assert response.status_code == 400
    assert "校验码应为 3" in response.json()["number"][0]


def test_number_of_another_owner_is_409(world):
    taken = factories.PatentFactory(owner=world.enterprise2)
    response = token_client(world.applicant1).post(URL, {"kind": "patent", "number": taken.number, "title": "x"},
                                                 format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ip_asset_owned_by_other"


def test_own_number_again_is_409_ip_asset_exists(world):
    mine = factories.PatentFactory(owner=world.enterprise1)
    response = token_client(world.applicant1).post(URL, {"kind": "patent", "number": mine.number, "title": "x"},
                                                 format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ip_asset_exists"


def test_applicant_lists_only_its_own(world):
    mine = factories.PatentFactory(owner=world.enterprise1)
    factories.PatentFactory(owner=world.enterprise2)
    body = token_client(world.applicant1).get(URL).json()
    assert body["count"] == 1 and [a["id"] for a in body["results"]] == [mine.pk]
    assert set(body) == {"count", "next", "previous", "results"}


def test_staff_list_all_of_region_and_filter_by_kind_owner_number(world):
    patent = factories.PatentFactory(owner=world.enterprise1, number="ZL201710601862.3")
    factories.TrademarkFactory(owner=world.enterprise2)
    client = token_client(world.clerk)
    assert client.get(URL).json()["count"] == 2
    assert [a["id"] for a in client.get(URL, {"kind": "patent"}).json()["results"]] == [patent.pk]
    assert client.get(URL, {"owner": world.enterprise2.pk}).json()["count"] == 1
    assert [a["id"] for a in client.get(URL, {"number": "201710601862"}).json()["results"]] == [patent.pk]


def test_bad_filter_value_is_400_not_500(world):
    response = token_client(world.clerk).get(URL, {"kind": "copyright", "owner": "abc"})
    assert response.status_code == 400
    assert {"kind", "owner"} <= set(response.json())


def test_bank_may_not_list_ip_assets(world):
    response = token_client(world.bank1_user).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_expert_may_not_register(world):
    response = token_client(world.experts[0]).post(URL, {"kind": "patent", "number": "201710601862.3", "title": "x"},
                                                 format="json")
    assert response.status_code == 403


def test_ip_office_registers_for_an_owner(world):
    response = token_client(world.clerk).post(
        URL, {"kind": "patent", "number": "201710601862.3", "title": "x", "owner": world.enterprise2.pk}, format="json"
    )
    assert response.status_code == 201
    assert IPAsset.objects.get().owner == world.enterprise2


def test_unknown_owner_is_400_keyed_owner(world):
    response = token_client(world.clerk).post(
        URL, {"kind": "patent", "number": "201710601862.3", "title": "x", "owner": 999999}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_uses_a_fixed_number_of_queries(world, page_size):
    for _ in range(30):
        factories.PatentFactory(owner=world.enterprise1)
    client = token_client(world.clerk)
    client.get(URL)  # warm up (token last-used write, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 30)
    # token lookup (+ roles) + count + page: independent of page size
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


def test_query_count_is_the_same_at_two_page_sizes(world):
    for _ in range(30):
        factories.TrademarkFactory(owner=world.enterprise1)
    client = token_client(world.clerk)
    client.get(URL)
    counts = []
    for size in (3, 30):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"page_size": size}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("owner", ["-3.0788019194088143e+304", "1.5", "99999999999999999999999", "0"])
def test_out_of_range_owner_filter_is_400_not_500(world, owner):
    response = token_client(world.clerk).get(URL, {"owner": owner})
    assert response.status_code == 400
    assert "owner" in response.json()


def test_page_past_the_end_is_404_json(world):
    response = token_client(world.clerk).get(URL, {"page": 1994})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_nul_characters_are_400_not_500(world):
    client = token_client(world.applicant1)
    assert client.get(URL, {"number": "ZL\x00"}).status_code == 400
    response = client.post(URL, {"kind": "patent", "number": "2017\x00", "title": "x\x00"}, format="json")
    assert response.status_code == 400
