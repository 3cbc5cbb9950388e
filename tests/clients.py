"""The test clients, in one place: a page client, an API client and a token-authenticated API client.

- ``page_client(user)``: ``django.test.Client`` signed in with ``force_login`` (a real session, so
  middleware, CSRF exemption of the test client and the login-required views behave as in a browser).
- ``api_client(user)``: ``rest_framework.test.APIClient`` with ``force_authenticate`` (skips the
  authentication classes; use it to test what a signed-in caller may do, not how it signs in).
- ``token_client(user)`` / ``token_client(key=...)``: an ``APIClient`` sending
  ``Authorization: Token <key>``, for tests of the real token path (a fresh ``ApiToken`` is issued to
  ``user`` unless ``key`` is given).

Each returns an anonymous client when no user (or key) is given; keyword options go to the client class. The ``api`` fixture (tests/conftest.py)
is ``api_client``.
"""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken


def page_client(user=None, **client_options) -> Client:
    """A page client signed in as ``user`` (``Client().force_login``), or anonymous.

    ``client_options`` go to ``Client`` (e.g. ``enforce_csrf_checks=True``).
    """
    client = Client(**client_options)
    if user is not None:
        client.force_login(user)
    return client


def api_client(user=None, **client_options) -> APIClient:
    """An API client authenticated as ``user`` (``APIClient().force_authenticate``), or anonymous."""
    client = APIClient(**client_options)
    if user is not None:
        client.force_authenticate(user)
    return client


def token_client(user=None, *, key: str | None = None, **client_options) -> APIClient:
    """An API client sending ``Authorization: Token <key>``; ``key`` defaults to a token issued to ``user``.

    ``client_options`` go to ``APIClient`` (e.g. ``enforce_csrf_checks=True``).
    """
    client = APIClient(**client_options)
    if key is None and user is not None:
        _token, key = ApiToken.issue(user)
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
