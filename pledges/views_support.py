"""What the bank pages share: who may use them, the trial run of a service before its confirmation,
and running the confirmed write once per form.

- ``dry_run(call)``: the service runs in a transaction that is then rolled back, so the first POST
  shows the service's own errors on the fields (and figures only it computes) and stores nothing.
- ``submit_once(...)``: the confirmed POST carries a one-time token (``new_token``, rendered into the
  confirmation); the write runs through ``pledges.idempotency.run_idempotent`` with that token as the
  bank's Idempotency-Key, as the API's writes do: a double submit replays the first outcome instead of
  registering twice.
"""

import re
import secrets
from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from applicants.models import Role
from core.errors import Conflict, Invalid
from core.web import role_required, run_form_service
from funding.confirmations import Fact  # one confirmation line, the same for the banks' pages

from .idempotency import run_idempotent

TOKEN_FIELD = "token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
PAGE_KEY = "page:%s"  # never collides with a key a bank sends to the API (the same table, per bank)

# Conflicts that are about one field of the form: shown on that field.
FIELD_OF_CODE = {
    "duplicate_contract": "contract_no",
    "right_already_pledged": "rights",
    "right_owned_by_other": "rights",
    "right_pledged_by_other": "rights",
}


def bank_required(view):
    """Bank staff of a bank only (403 for every other role, and for bank users without a bank)."""

    @role_required(Role.BANK)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.bank_id is None:
            raise PermissionDenied(_("只有合作银行的用户可以登记和变更质押贷款"))
        return view(request, *args, **kwargs)

    return wrapped


def new_token() -> str:
    return secrets.token_urlsafe(24)


def posted_token(request) -> str | None:
    token = request.POST.get(TOKEN_FIELD, "")
    return token if _TOKEN.fullmatch(token) else None


def is_confirmed(request) -> bool:
    """The second POST: ``confirmed=1`` with a well-formed token (without one, confirm again)."""
    return request.POST.get("confirmed") == "1" and posted_token(request) is not None


def fielded(call):
    """``call()``; a conflict about one field (duplicate contract, a pledged right) is raised as
    that field's error."""
    try:
        return call()
    except Conflict as exc:
        name = FIELD_OF_CODE.get(exc.code)
        if name is None:
            raise
        raise Invalid(exc.message, field=name, code=exc.code) from exc


class _Rollback(Exception):
    pass


def dry_run(call, peek=lambda result: {}):
    """Run ``call`` in a transaction rolled back afterwards; returns ``peek(result)`` (read before the
    rollback). A domain error of the call propagates."""
    seen: dict = {}
    try:
        with transaction.atomic():
            seen["value"] = peek(fielded(call))
            raise _Rollback
    except _Rollback:
        pass
    return seen["value"]


def trial(form, call, peek=lambda result: {}):
    """The first POST: the service's errors on ``form`` (None), or what ``peek`` read (a dict)."""
    return run_form_service(form, lambda: dry_run(call, peek))


def add_errors(form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def submit_once(request, form, *, body: dict, call, token: str | None = None) -> tuple[object, bool]:
    """The confirmed POST: ``call()`` (returning a JSON-able value) once per token (the posted one
    unless given). Returns (value, replayed); (None, False) when the service refused, its errors on ``form``.
    """
    ran = []

    def outcome():
        ran.append(True)
        return 200, fielded(call)

    done = run_form_service(form, lambda: run_idempotent(
        bank=request.user.bank, key=PAGE_KEY % (token or posted_token(request)), method="POST", path=request.path,
        body=body, call=outcome))
    if done is None:
        return None, False
    status, value = done
    if status == 200:
        return value, not ran
    if status == 404:
        raise Http404(value.get("detail", ""))
    if status == 403:
        raise PermissionDenied(value.get("detail", ""))
    add_errors(form, value if status == 400 else {"non_field_errors": [value.get("detail", "")]})
    return None, False


# --- confirmations ----------------------------------------------------------------------------

@dataclass
class Confirmation:
    title: str
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    style: str = "primary"


def hidden_of(form) -> list[tuple[str, str]]:
    """What was typed into ``form`` (its prefixed names), to carry through the confirmation."""
    pairs = []
    for name in form.fields:
        key = form.add_prefix(name)
        value = form.data.get(key)
        if value not in (None, ""):
            pairs.append((key, value))
    return pairs
