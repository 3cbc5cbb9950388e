"""Inputs the schema fuzzer found that once gave a wrong answer; each stays a plain API test."""

import pytest
from rest_framework.test import APIClient

from tests.clients import api_client, token_client
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def bank_client() -> APIClient:
    return token_client(user_with_role("bank"), enforce_csrf_checks=True)


def test_post_to_a_non_integer_loan_id_is_a_json_404_not_a_csrf_page():
    # Found as: POST /api/v1/pledges/1.2190711303702174e-70/settle/ -> 403 text/html (CSRF failure page).
    response = bank_client().post("/api/v1/pledges/1.2190711303702174e-70/settle/", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_patch_to_an_unknown_api_url_is_a_json_404():
    response = bank_client().patch("/api/v1/applications/abc/", {"title": "x"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def applicant_client() -> APIClient:
    return token_client(user_with_role("applicant"))


def test_a_non_numeric_year_filter_on_applications_is_a_400_keyed_by_field():
    # Found as: GET /api/v1/applications/?year=h® -> 400, not in the operation's documented responses.
    response = applicant_client().get("/api/v1/applications/", {"year": "h®"})

    assert response.status_code == 400
    assert set(response.json()) == {"year"}


@pytest.mark.parametrize("page", ["abc", "66424593", "0"])
def test_an_unknown_page_of_a_list_is_a_json_404(page):
    # Found as: GET /api/v1/applications/?page=66424593 -> 404 "无效页面", not in the documented responses.
    response = applicant_client().get("/api/v1/applications/", {"page": page})

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("owner", ["-6.971376027764107e+301", "99999999999999999999999"])
def test_an_ip_asset_owner_filter_past_the_integer_range_is_no_server_error(owner):
    # Found as: GET /api/v1/ip-assets/?owner=-6.971376027764107e+301 -> 500 on SQLite
    # (OverflowError: Python int too large to convert to SQLite INTEGER). SQLite now answers 400
    # (api/exceptions.py); PostgreSQL matches no owner (200, empty).
    client = api_client(user_with_role("ip_office"))

    response = client.get("/api/v1/ip-assets/", {"owner": owner})

    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        assert response.json()["count"] == 0


# --- what the fuzzer found undocumented, now documented in the schema.


def documented(path: str, method: str) -> dict:
    schema = api_client().get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path][method]["responses"]


def test_the_applications_list_documents_its_400():
    assert "400" in documented("/api/v1/applications/", "get")


def test_the_document_download_documents_the_content_types_it_serves():
    content = documented("/api/v1/applications/{id}/documents/{doc_id}/", "get")["200"]["content"]
    assert {"application/pdf", "image/jpeg", "image/png"} <= set(content)


@pytest.mark.parametrize("path", ["/api/v1/applications/", "/api/v1/pledges/", "/api/v1/ip-assets/",
                                  "/api/v1/budgets/"])
def test_paginated_lists_document_the_404_of_an_unknown_page(path):
    assert "404" in documented(path, "get")


@pytest.mark.parametrize("path", ["/api/v1/applications/{id}/history/", "/api/v1/applications/{id}/reviews/",
                                  "/api/v1/programs/{code}/history/", "/api/v1/programs/"])
def test_lists_document_the_400_of_a_control_character_in_a_query_parameter(path):
    # Found as: GET /api/v1/applications/3/history/?page=%12M -> 400 (api.middleware), not documented.
    assert "400" in documented(path, "get")


def test_a_repeated_query_parameter_reports_under_its_name():
    response = applicant_client().get("/api/v1/applications/?page=1&page=%12M")

    assert response.status_code == 400
    assert list(response.json()) == ["page"]
