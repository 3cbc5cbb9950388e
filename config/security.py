"""Hooks for django-axes: the client address behind a proxy, and the Chinese lockout page."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from.

    ``IPFUND_PROXY_COUNT`` trusted reverse proxies (nginx) stand in front of the app: each appends
    the address it saw to X-Forwarded-For, so the client is the entry that many places from the
    right. Without proxies (the default) only REMOTE_ADDR is trusted: a client cannot forge it.
    """
    proxies = getattr(settings, "IPFUND_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The lockout page (429), with the failure limit and the minutes until the lock lifts."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)
