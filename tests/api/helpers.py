"""Shortcuts for the funding API tests (tests/api/test_funding_api_*.py)."""


def go(client, app_id, name, **body):
    """Take a transition; a 200's body (built from the transition's own saved instance, not re-read)
    must be what a GET of the case returns right after, wherever the caller still sees it."""
    r = client.post(f"/api/v1/applications/{app_id}/transitions/{name}/", body, format="json")
    if r.status_code == 200:
        after = client.get(f"/api/v1/applications/{app_id}/")
        if after.status_code == 200:
            assert r.json() == after.json(), (name, r.json(), after.json())
    return r


def create(client, **body):
    return client.post("/api/v1/applications/", body, format="json")
