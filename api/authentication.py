from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import readers
from .models import ApiToken, hash_key
from .readers.tokens import token_with_user


def lookup(digest: str) -> ApiToken | None:
    """The live token of ``digest`` with its user, the user's bank, applicant and roles: on PostgreSQL
    one hand-written statement (``api.readers.tokens``), else the ORM (with the roles on PostgreSQL)."""
    if readers.enabled():
        return token_with_user(digest)
    tokens = ApiToken.objects.select_related("user", "user__bank", "user__applicant").filter(
        digest=digest, revoked=False)
    if connection.vendor == "postgresql":
        # The user's roles in the same statement: every view asks for them (one query fewer each).
        from django.contrib.postgres.expressions import ArraySubquery  # noqa: PLC0415

        tokens = tokens.annotate(role_names=ArraySubquery(Group.objects.filter(user=OuterRef("user_id")).values("name")))
    token = tokens.first()
    if token is not None and hasattr(token, "role_names"):
        token.user.remember_roles(token.role_names)
    return token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; the key is looked up by its SHA-256 digest."""

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = lookup(hash_key(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已停用"))
        # Touch last use at most once a minute: no write per request under load.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` — issue one with `manage.py issue_api_token USERNAME`.",
        }
