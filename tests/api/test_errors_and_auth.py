import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken, hash_key
from applicants.models import Role
from core.error_pages import server_error
from tests import factories
from tests.clients import api_client, token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/ip-assets/"


@pytest.fixture
def applicant_client(db):
    return token_client(factories.user_with_role(Role.APPLICANT))


def issue(username: str, capsys) -> str:
    call_command("issue_api_token", username)
    return capsys.readouterr().out.strip().splitlines()[-1]


# --- tokens -----------------------------------------------------------------------------------


def test_issue_api_token_prints_a_working_key_as_the_last_line(capsys):
    user = factories.user_with_role(Role.BANK)
    key = issue(user.username, capsys)
    client = token_client(key=key)
    assert client.get("/api/v1/ip-assets/").status_code == 403  # authenticated (a bank may not list assets)
    response = client.get("/api/v1/nowhere/")
    assert response.status_code == 404


def test_token_authenticates_its_user(capsys):
    user = factories.user_with_role(Role.APPLICANT)
    key = issue(user.username, capsys)
    client = token_client(key=key)
    assert client.get(URL).status_code == 200


def test_database_holds_only_the_digest_of_the_key(capsys):
    user = factories.user_with_role(Role.BANK)
    key = issue(user.username, capsys)
    token = ApiToken.objects.get(user=user)
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert token.digest == hash_key(key)
    assert all(key not in value for value in stored)


def test_each_issue_gives_a_fresh_key(capsys):
    user = factories.user_with_role(Role.BANK)
    assert issue(user.username, capsys) != issue(user.username, capsys)


def test_issue_api_token_for_unknown_user_fails():
    with pytest.raises(CommandError):
        call_command("issue_api_token", "nobody-here")


def test_wrong_token_is_401_json(db):
    client = token_client(key="not-a-real-key")
    response = client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "authentication_failed"


def test_revoked_token_is_401(db):
    user = factories.user_with_role(Role.BANK)
    token, key = ApiToken.issue(user)
    token.revoked = True
    token.save()
    client = token_client(key=key)
    assert client.get(URL).status_code == 401


def test_missing_credentials_is_401_not_403(db):
    response = api_client().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_session_login_works_for_the_browser(db):
    user = factories.user_with_role(Role.APPLICANT)
    client = APIClient()
    client.force_login(user)
    assert client.get(URL).status_code == 200


# --- malformed requests -------------------------------------------------------------------------


def test_non_json_body_is_400_json(applicant_client):
    response = applicant_client.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_json_array_where_object_belongs_is_400(applicant_client):
    response = applicant_client.post(URL, [{"kind": "patent"}], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_deeply_nested_json_is_400_not_500(applicant_client):
    response = applicant_client.generic("POST", URL, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_413_json(applicant_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"kind": "patent", "number": "201710601862.3", "title": "x" * 5000})
    response = applicant_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "request_too_large"


def test_unknown_field_is_400_keyed_by_it(applicant_client):
    response = applicant_client.post(URL, {"kind": "patent", "number": "201710601862.3", "title": "x", "grantd_on": 1},
                                     format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["grantd_on"]


def test_wrong_types_are_400_keyed_by_field(applicant_client):
    response = applicant_client.post(
        URL, {"kind": 5, "number": ["x"], "title": {"a": 1}, "granted_on": "yesterday", "nice_class": "many"},
        format="json",
    )
    assert response.status_code == 400
    assert {"kind", "number", "title", "granted_on", "nice_class"} <= set(response.json())


def test_wrong_media_type_is_415_json(applicant_client):
    response = applicant_client.post(URL, "kind=patent", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_unknown_api_url_is_404_json(applicant_client):
    response = applicant_client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到", "code": "not_found"}


def test_unknown_api_url_is_json_even_unauthenticated(db):
    response = api_client().post("/api/v2/whatever", {"a": 1}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_unknown_page_url_stays_html(db):
    response = api_client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_is_405_json(applicant_client):
    response = applicant_client.delete(URL)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_api_server_error_handler_answers_json(rf):
    response = server_error(rf.get("/api/v1/ip-assets/"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
