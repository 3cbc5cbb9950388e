import pytest

from applicants import selectors
from applicants.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_applicant_sees_only_its_own_assets(world):
    own = factories.PatentFactory(owner=world.enterprise1)
    factories.PatentFactory(owner=world.enterprise2)
    assert list(selectors.ip_assets_visible_to(world.applicant1)) == [own]


def test_staff_see_every_asset_of_their_region(world):
    mine = [factories.PatentFactory(owner=world.enterprise1), factories.TrademarkFactory(owner=world.enterprise2)]
    elsewhere = factories.EnterpriseFactory(region=factories.RegionFactory(code="500101", name="万州区"))
    factories.PatentFactory(owner=elsewhere)
    for user in (world.clerk, world.finance, world.fincenter, world.experts[0]):
        assert set(selectors.ip_assets_visible_to(user)) == set(mine)


def test_bank_sees_no_assets_and_may_not_list(world):
    factories.PatentFactory(owner=world.enterprise1)
    assert not selectors.ip_assets_visible_to(world.bank1_user).exists()
    assert not selectors.may_list_ip_assets(world.bank1_user)


def test_superuser_without_region_sees_all(db):
    admin = factories.UserFactory(role=Role.ADMIN, region=None, is_superuser=True)
    factories.PatentFactory()
    factories.PatentFactory(owner=factories.EnterpriseFactory(region=factories.RegionFactory(code="500101")))
    assert selectors.ip_assets_visible_to(admin).count() == 2


def test_number_filter_matches_normalized_input(world):
    asset = factories.PatentFactory(owner=world.enterprise1, number="ZL201710601862.3")
    factories.PatentFactory(owner=world.enterprise1)
    qs = selectors.ip_assets_visible_to(world.clerk)
    assert list(selectors.ip_assets_filtered(qs, number="cn２０１７10601862")) == [asset]


def test_owner_name_filter_matches_credit_code(world):
    asset = factories.PatentFactory(owner=world.enterprise1)
    factories.PatentFactory(owner=world.enterprise2)
    qs = selectors.ip_assets_visible_to(world.clerk)
    assert list(selectors.ip_assets_filtered(qs, owner_name=world.enterprise1.credit_code)) == [asset]


def test_applicants_visible_to_counts_assets(world):
    factories.PatentFactory(owner=world.enterprise1)
    factories.TrademarkFactory(owner=world.enterprise1)
    me = selectors.applicants_visible_to(world.applicant1).get()
    assert (me.patent_count, me.trademark_count) == (1, 1)


def test_applicant_by_credit_code_accepts_unnormalized_and_ignores_invalid(world):
    code = world.enterprise1.credit_code
    assert selectors.applicant_by_credit_code(f" {code.lower()} ") == world.enterprise1
    assert selectors.applicant_by_credit_code("not-a-code") is None
