import pytest
from django.urls import reverse

from api.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = ["applicants_region", "applicants_township", "applicants_regionyearstats", "applicants_applicant",
          "applicants_bank", "applicants_ipasset", "applicants_user", "api_apitoken"]


@pytest.mark.parametrize("name", MODELS)
def test_admin_changelist_renders(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_admin_searches_assets_by_owner_credit_code(admin_client, world):
    asset = factories.PatentFactory(owner=world.enterprise1)
    factories.PatentFactory(owner=world.enterprise2)
    response = admin_client.get(reverse("admin:applicants_ipasset_changelist"), {"q": world.enterprise1.credit_code})
    assert list(response.context["cl"].result_list) == [asset]


def test_admin_user_change_page_has_applicant_and_bank(admin_client, world):
    html = admin_client.get(reverse("admin:applicants_user_change", args=[world.bank1_user.pk])).content.decode()
    assert 'name="bank"' in html and 'name="applicant"' in html


def test_admin_token_page_never_shows_a_key(admin_client, world):
    token, key = ApiToken.issue(world.bank1_user)
    html = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert key not in html and token.digest not in html
