import re

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from applicants.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(db):
    client = APIClient()
    client.force_login(factories.user_with_role(Role.APPLICANT))
    return client


def test_schema_renders_and_documents_ip_assets(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    operations = schema["paths"]["/api/v1/ip-assets/"]
    assert set(operations["get"]["responses"]) >= {"200", "400", "401", "403"}
    assert set(operations["post"]["responses"]) >= {"201", "400", "401", "403", "409"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_ip_asset_response_schema_lists_contract_fields(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    fields = set(schema["components"]["schemas"]["IPAsset"]["properties"])
    assert fields == {"id", "kind", "number", "title", "owner", "patent_type", "granted_on", "country", "nice_class"}


def test_docs_render_offline_from_sidecar_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_no_schema_warnings_for_ip_asset_endpoints(capsys):
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    output = capsys.readouterr().err
    mine = [line for line in output.splitlines() if "IPAsset" in line or "applicants" in line]
    assert mine == []
