"""Patents by their real number (issue #10): the number decides the country.

``applicants.patent_numbers`` (pure Python) and its use by ``ip_asset_register`` and the API: a
``ZL…`` number registered with ``country: "US"`` used to skip the check digit and earn the foreign
standard; a real ``US…`` number registered under a loose pattern (kind code and all) and could
never be found again by the number the applicant typed.
"""

import pytest

from applicants import services
from applicants.errors import Conflict, Invalid
from applicants.identifiers import IdentifierError
from applicants.models import IPAsset, PatentType
from applicants.patent_numbers import check_any_patent_number, normalize_any_patent_number
from tests import factories
from tests.clients import api_client

CN = "ZL201710601862.3"


@pytest.mark.parametrize(("raw", "expected"), [
    ("ZL 2017 1060 1862.3", (CN, "CN")),
    ("cn201710601862.3", (CN, "CN")),
    ("201710601862.3", (CN, "CN")),
    ("2017106018623", (CN, "CN")),
    ("97101765.4", ("ZL97101765.4", "CN")),
    ("US11234567B2", ("US11234567", "US")),
    ("US 11,234,567 B2", ("US11234567", "US")),
    ("US9876543", ("US9876543", "US")),
    ("us 10123456 b2", ("US10123456", "US")),
    ("US5123456A", ("US5123456", "US")),
    ("USD987654S", ("USD987654", "US")),
    ("USRE49123E", ("USRE49123", "US")),
    ("EP1234567B1", ("EP1234567", "EP")),
    ("EP 1 234 567 B1", ("EP1234567", "EP")),
    ("JP6543210B2", ("JP6543210", "JP")),
    ("ＪＰ６５４３２１０Ｂ２", ("JP6543210", "JP")),
    ("KR10-2345678", ("KR102345678", "KR")),
    ("KR102345678B1", ("KR102345678", "KR")),
    ("WO2020/123456", ("WO2020123456", "WO")),
    ("WO2020123456A1", ("WO2020123456", "WO")),
    ("WO98/12345", ("WO1998012345", "WO")),
    ("DE102015123456B4", ("DE102015123456B4", "DE")),
])
def test_a_typed_number_resolves_to_its_stored_form_and_country(raw, expected):
    assert normalize_any_patent_number(raw) == expected


@pytest.mark.parametrize(("raw", "code"), [
    ("ZL201710601862.4", "checksum"),     # the check digit still counts
    ("US2020/0123456A1", "not_granted"),  # a pre-grant publication
    ("EP1234567A1", "not_granted"),
    ("JP2020-123456A", "not_granted"),
    ("KR10-2020-0012345A", "not_granted"),
    ("US123", "format"),
    ("US0123456", "format"),              # below the 7-digit series: not a current grant number
    ("EP123456", "format"),
    ("JP12345678B2", "format"),
    ("KR40-2345678", "format"),
    ("WO2099123456", "year"),
    ("11234567", "format"),               # no prefix: read as Chinese, and it is not one
    ("", "required"),
    (None, "required"),
    (12345678, "type"),
])
def test_a_bad_number_is_refused_with_its_code(raw, code):
    with pytest.raises(IdentifierError) as info:
        normalize_any_patent_number(raw)
    assert info.value.code == code and info.value.message


def test_a_number_without_a_prefix_says_foreign_ones_need_theirs():
    with pytest.raises(IdentifierError) as info:
        normalize_any_patent_number("11234567")
    assert "国别代码" in info.value.message


def test_a_publication_number_says_it_is_not_a_grant():
    with pytest.raises(IdentifierError) as info:
        normalize_any_patent_number("JP2020-123456A")
    assert "不是授权专利号" in info.value.message and "JP6543210B2" in info.value.message


def test_a_chinese_number_with_another_country_is_a_country_error():
    with pytest.raises(IdentifierError) as info:
        check_any_patent_number(CN, country="US")
    assert info.value.code == "country" and "CN" in info.value.message and "US" in info.value.message


def test_a_foreign_number_with_another_country_is_a_country_error():
    with pytest.raises(IdentifierError) as info:
        check_any_patent_number("US11234567", country="CN")
    assert info.value.code == "country"


@pytest.mark.parametrize(("raw", "country", "number"), [
    ("11234567B2", "US", "US11234567"), ("10-2345678", "KR", "KR102345678"), ("1234567", "EP", "EP1234567"),
])
def test_a_foreign_number_typed_without_its_prefix_takes_the_countrys(raw, country, number):
    assert check_any_patent_number(raw, country=country).number == number


@pytest.mark.parametrize(("raw", "patent_type"), [
    ("USD987654", PatentType.DESIGN), ("KR20-1234567", PatentType.UTILITY_MODEL), ("KR30-1234567", PatentType.DESIGN),
    ("US11234567", PatentType.INVENTION), (CN, PatentType.INVENTION), ("DE102015123456B4", None),
])
def test_the_number_says_the_type_where_it_can(raw, patent_type):
    assert check_any_patent_number(raw).patent_type == patent_type


def test_every_stored_form_fits_the_column():
    longest = IPAsset._meta.get_field("number").max_length
    assert all(len(normalize_any_patent_number(raw)[0]) <= longest for raw in
               ("USRE999999E1", "WO2020123456A1", "KR102345678B1", "DE1020151234567890"))
    with pytest.raises(IdentifierError):
        normalize_any_patent_number("DE10201512345678901234")


# --- registration -------------------------------------------------------------------------------

@pytest.fixture
def applicant_user(db):
    return factories.user_with_role("applicant", applicant=factories.EnterpriseFactory())


def test_a_zl_number_with_country_us_is_400_on_country(applicant_user):
    with pytest.raises(Invalid) as info:
        services.ip_asset_register(by=applicant_user, kind="patent", number=CN, title="x", country="US")
    assert info.value.field == "country"
    assert not IPAsset.objects.exists()


def test_a_zl_number_with_country_us_still_has_its_check_digit_checked(applicant_user):
    with pytest.raises(Invalid) as info:
        services.ip_asset_register(by=applicant_user, kind="patent", number="ZL201710601862.4", title="x",
                                   country="US")
    assert info.value.field == "number" and "校验码" in info.value.message


def test_a_us_grant_registers_as_us_by_its_number(applicant_user):
    asset = services.ip_asset_register(by=applicant_user, kind="patent", number="US 11,234,567 B2", title="x",
                                       country="US")
    assert (asset.number, asset.country, asset.patent_type) == ("US11234567", "US", PatentType.INVENTION)


def test_the_country_comes_from_the_number_when_not_given(applicant_user):
    asset = services.ip_asset_register(by=applicant_user, kind="patent", number="EP1234567B1", title="x")
    assert (asset.number, asset.country) == ("EP1234567", "EP")


def test_the_same_grant_with_and_without_its_kind_code_is_one_patent(applicant_user):
    services.ip_asset_register(by=applicant_user, kind="patent", number="US11234567B2", title="x", country="US")
    with pytest.raises(Conflict) as info:
        services.ip_asset_register(by=applicant_user, kind="patent", number="US11234567", title="x", country="US")
    assert info.value.code == "ip_asset_exists"


def test_a_design_number_refuses_another_type(applicant_user):
    with pytest.raises(Invalid) as info:
        services.ip_asset_register(by=applicant_user, kind="patent", number="USD987654", title="x",
                                   patent_type=PatentType.INVENTION)
    assert info.value.field == "patent_type"


# --- over the API --------------------------------------------------------------------------------

def post(world, body):
    return api_client(world.applicant1).post("/api/v1/ip-assets/", body, format="json")


def test_api_zl_with_country_us_is_400_keyed_country(world):
    response = post(world, {"kind": "patent", "number": CN, "title": "一种方法", "country": "US"})
    assert response.status_code == 400 and list(response.json()) == ["country"]


def test_api_registers_a_us_grant_with_country_us(world):
    response = post(world, {"kind": "patent", "number": "US11234567B2", "title": "A method", "country": "US"})
    assert response.status_code == 201, response.json()
    assert (response.json()["number"], response.json()["country"]) == ("US11234567", "US")


def test_api_takes_the_country_from_the_number(world):
    response = post(world, {"kind": "patent", "number": "KR10-2345678", "title": "방법"})
    assert response.status_code == 201 and response.json()["country"] == "KR"
    assert response.json()["number"] == "KR102345678"


def test_api_trademark_without_country_is_cn(world):
    response = post(world, {"kind": "trademark", "number": "12345678", "title": "巫山脆李", "nice_class": 31})
    assert response.status_code == 201 and response.json()["country"] == "CN"


def test_api_a_publication_number_is_400_on_number(world):
    response = post(world, {"kind": "patent", "number": "US2020/0123456A1", "title": "x", "country": "US"})
    assert response.status_code == 400 and "不是授权专利号" in response.json()["number"][0]
