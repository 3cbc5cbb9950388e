import datetime

import pytest
from django.utils import timezone

from applicants import services
from applicants.errors import Conflict, Invalid, NotAllowed
from applicants.models import Applicant, IPAsset, PatentType, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant_user():
    return factories.user_with_role(Role.APPLICANT)


def test_patent_number_is_normalized_and_type_derived(applicant_user):
    asset = services.ip_asset_register(by=applicant_user, kind="patent", number=" cn 201310699744.2 ", title="一种方法")
    assert asset.number == "ZL201310699744.2"
    assert asset.patent_type == PatentType.INVENTION
    assert asset.owner == applicant_user.applicant


def test_design_patent_type_comes_from_number(applicant_user):
    number = factories.make_patent_number(type_digit="3")
    asset = services.ip_asset_register(by=applicant_user, kind="patent", number=number, title="包装盒")
    assert asset.patent_type == PatentType.DESIGN


def test_bad_patent_checksum_is_invalid_on_number_with_chinese_message(applicant_user):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="patent", number="201710601862.4", title="x")
    assert exc.value.field == "number"
    assert "校验码" in exc.value.message


def test_number_held_by_another_owner_is_a_conflict(applicant_user):
    other = factories.PatentFactory()
    with pytest.raises(Conflict) as exc:
        services.ip_asset_register(by=applicant_user, kind="patent", number=other.number, title="x")
    assert exc.value.code == "ip_asset_owned_by_other"


def test_registering_own_number_again_is_ip_asset_exists(applicant_user):
    services.ip_asset_register(by=applicant_user, kind="trademark", number="12345678", title="巫山脆李", nice_class=31)
    with pytest.raises(Conflict) as exc:
        services.ip_asset_register(by=applicant_user, kind="trademark", number="12345678", title="巫山脆李",
                                   nice_class=31)
    assert exc.value.code == "ip_asset_exists"


def test_trademark_without_nice_class_is_invalid(applicant_user):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="trademark", number="12345678", title="x")
    assert exc.value.field == "nice_class"


@pytest.mark.parametrize("nice_class", [0, 46, True])
def test_trademark_nice_class_outside_1_to_45_is_invalid(applicant_user, nice_class):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="trademark", number="1234", title="x", nice_class=nice_class)
    assert exc.value.field == "nice_class"


def test_patent_with_nice_class_is_invalid(applicant_user):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="patent", number="201710601862.3", title="x", nice_class=3)
    assert exc.value.field == "nice_class"


def test_grant_date_in_the_future_is_invalid(applicant_user):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="patent", number="201710601862.3", title="x",
                                   granted_on=tomorrow)
    assert exc.value.field == "granted_on"


@pytest.mark.parametrize("country", ["C", "CHN", "1A", "", None])
def test_country_must_be_two_letters(applicant_user, country):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="trademark", number="1", title="x", nice_class=1,
                                   country=country)
    assert exc.value.field == "country"


def test_lower_case_country_is_upper_cased(applicant_user):
    asset = services.ip_asset_register(by=applicant_user, kind="trademark", number="1", title="x", nice_class=1,
                                       country="us")
    assert asset.country == "US"


def test_foreign_patent_keeps_its_number_and_defaults_to_invention(applicant_user):
    # Issue #10: a foreign grant is stored as prefix + number without its kind code (one grant, one
    # number: "US10123456" and "US10123456B2" must not register, and be claimed, twice).
    asset = services.ip_asset_register(by=applicant_user, kind="patent", number="us 10123456 b2", title="x",
                                       country="US")
    assert (asset.number, asset.country, asset.patent_type) == ("US10123456", "US", PatentType.INVENTION)


def test_unknown_kind_is_invalid(applicant_user):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="copyright", number="1", title="x")
    assert exc.value.field == "kind"


def test_blank_title_is_invalid(applicant_user):
    with pytest.raises(Invalid) as exc:
        services.ip_asset_register(by=applicant_user, kind="patent", number="201710601862.3", title="  ")
    assert exc.value.field == "title"


def test_user_without_applicant_may_not_register(db):
    bank_user = factories.user_with_role(Role.BANK)
    with pytest.raises(NotAllowed):
        services.ip_asset_register(by=bank_user, kind="patent", number="201710601862.3", title="x")


def test_ip_office_registers_for_an_owner_of_its_region(db):
    clerk = factories.user_with_role(Role.IP_OFFICE)
    owner = factories.EnterpriseFactory()
    asset = services.ip_asset_register(by=clerk, owner=owner, kind="patent", number="201710601862.3", title="x")
    assert asset.owner == owner


def test_applicant_may_not_register_for_another_owner(applicant_user):
    with pytest.raises(NotAllowed):
        services.ip_asset_register(by=applicant_user, owner=factories.EnterpriseFactory(), kind="patent",
                                   number="201710601862.3", title="x")


def test_enterprise_register_normalizes_code_and_records_its_region(region):
    other_region_code = factories.make_credit_code("110105")
    ent = services.enterprise_register(region=region, credit_code=other_region_code.lower(), name=" 某公司 ")
    assert ent.credit_code == other_region_code
    assert ent.credit_region_code == "110105"
    assert ent.region == region and ent.kind == Applicant.Kind.ENTERPRISE and ent.name == "某公司"


def test_enterprise_register_rejects_bad_credit_code(region):
    with pytest.raises(Invalid) as exc:
        services.enterprise_register(region=region, credit_code="91500237MA5U52604F", name="x")
    assert exc.value.field == "credit_code"


def test_enterprise_register_twice_is_a_conflict(region):
    services.enterprise_register(region=region, credit_code="91500237MA5U52604E", name="x")
    with pytest.raises(Conflict) as exc:
        services.enterprise_register(region=region, credit_code="91500237MA5U52604E", name="y")
    assert exc.value.code == "applicant_exists"


def test_enterprise_township_of_another_region_is_invalid(region):
    elsewhere = factories.TownshipFactory(region=factories.RegionFactory(code="500101", name="万州区"))
    with pytest.raises(Invalid) as exc:
        services.enterprise_register(region=region, credit_code="91500237MA5U52604E", name="x", township=elsewhere)
    assert exc.value.field == "township"


def test_individual_register_checks_resident_id(region):
    person = services.individual_register(region=region, resident_id="11010519491231002x", name="李四")
    assert person.resident_id == "11010519491231002X" and person.credit_code is None


def test_individual_register_rejects_bad_resident_id(region):
    with pytest.raises(Invalid) as exc:
        services.individual_register(region=region, resident_id="110105194912310021", name="李四")
    assert exc.value.field == "resident_id"


def test_user_create_adds_role_group_and_hashes_password(region):
    ent = factories.EnterpriseFactory(region=region)
    user = services.user_create(username="zhang", password="Wushan-2026!", role=Role.APPLICANT, region=region,
                                applicant=ent)
    assert user.roles == {Role.APPLICANT}
    assert user.check_password("Wushan-2026!") and user.password != "Wushan-2026!"


def test_user_create_admin_gets_admin_site_access(region):
    user = services.user_create(username="boss", password="Wushan-2026!", role=Role.ADMIN, region=region)
    assert user.is_staff


def test_user_create_bank_role_needs_bank(region):
    with pytest.raises(Invalid) as exc:
        services.user_create(username="b", password="Wushan-2026!", role=Role.BANK, region=region)
    assert exc.value.field == "bank"


def test_user_create_weak_password_is_invalid(region):
    with pytest.raises(Invalid) as exc:
        services.user_create(username="weak", password="123", role=Role.EXPERT, region=region)
    assert "password" in exc.value.as_field_errors()


def test_user_create_duplicate_username_is_a_conflict(region):
    services.user_create(username="dup", password="Wushan-2026!", role=Role.EXPERT, region=region)
    with pytest.raises(Conflict) as exc:
        services.user_create(username="DUP", password="Wushan-2026!", role=Role.EXPERT, region=region)
    assert exc.value.code == "user_exists"


def test_user_create_unknown_role_is_invalid(region):
    with pytest.raises(Invalid) as exc:
        services.user_create(username="x", password="Wushan-2026!", role="king", region=region)
    assert exc.value.field == "role"


def test_asset_count_unchanged_after_failed_registration(applicant_user):
    with pytest.raises(Invalid):
        services.ip_asset_register(by=applicant_user, kind="patent", number="bogus", title="x")
    assert IPAsset.objects.count() == 0
