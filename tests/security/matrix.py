"""Helpers for the authorization matrices: enumerate the URL configuration, fill in path values,
and the expectation codes a row names per caller."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import CALLERS

# Expectation codes.
AUTH = "AUTH"  # 401: not signed in (API); 302 to the login page (pages)
DENY = "DENY"  # 403: signed in, but this role may not
HIDE = "HIDE"  # 404: the object is not visible to this caller (another tenant's)
OK = "OK"  # 200 exactly (reads)
ALLOW = "ALLOW"  # a write got past authorization: 2xx, or 400/409 for the deliberately minimal body

IGNORED_METHODS = {"options", "head", "trace"}


def allowed(code: str, status: int) -> bool:
    if code == AUTH:
        return status == 401
    if code == DENY:
        return status == 403
    if code == HIDE:
        return status == 404
    if code == OK:
        return status == 200
    if code == ALLOW:
        return 200 <= status < 300 or status in (400, 409)
    raise AssertionError(f"unknown expectation {code}")


def expect(default: str, *, anon: str = AUTH, **per_caller: str) -> dict[str, str]:
    """Every caller gets ``default`` unless named; anonymous gets ``anon`` (AUTH for private URLs)."""
    unknown = set(per_caller) - set(CALLERS)
    assert not unknown, f"unknown callers {unknown}"
    table = {caller: per_caller.get(caller, default) for caller in CALLERS}
    table["anon"] = anon
    return table


@dataclass(frozen=True)
class Row:
    """One (route, method): the values for its path, the body it sends, and what each caller gets."""

    expect: dict[str, str]
    path: dict[str, str] = field(default_factory=dict)  # path kwarg -> key of secworld.objects (or literal "=x")
    body: Any = None  # dict (may hold "{key}" placeholders) or callable(objects) -> dict
    multipart: bool = False


def _methods_of(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # DRF ViewSet
        return {m.upper() for m in actions}
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a plain function view: every method it might take is its own business
        return {"GET"}
    return {m.upper() for m in cls.http_method_names if m not in IGNORED_METHODS and hasattr(cls, m)}


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """Yield (route, full name, callback) for every URL pattern, recursively."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
            yield prefix + str(pattern.pattern), name, pattern.callback


def api_operations(prefix: str = "api/v1/") -> set[tuple[str, str]]:
    return {(route, method) for route, _name, callback in walk() if route.startswith(prefix)
            for method in _methods_of(callback)}


_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def fill(route: str, values: dict[str, Any]) -> str:
    """``api/v1/pledges/<int:pk>/`` with {"pk": 7} -> ``/api/v1/pledges/7/``."""
    assert not route.startswith("^"), f"regex route {route!r}: give it a row helper"

    def sub(match):
        name = match.group("name")
        assert name in values, f"no value for <{name}> in {route}"
        return str(values[name])

    return "/" + _PARAM.sub(sub, route)


def path_values(row: Row, objects: dict) -> dict[str, Any]:
    return {k: (v[1:] if v.startswith("=") else objects[v]) for k, v in row.path.items()}


def body_for(row: Row, objects: dict):
    if row.body is None:
        return None
    if callable(row.body):
        return row.body(objects)
    return {k: (v.format(**objects) if isinstance(v, str) else v) for k, v in row.body.items()}
