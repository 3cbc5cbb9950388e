"""Shortcuts for the funding API tests (tests/api/test_funding_api_*.py)."""


def go(client, app_id, name, **body):
    return client.post(f"/api/v1/applications/{app_id}/transitions/{name}/", body, format="json")


def create(client, **body):
    return client.post("/api/v1/applications/", body, format="json")
