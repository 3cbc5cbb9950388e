from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``manage.py issue_api_token``; the admin only shows and revokes them.
    The digest is never displayed (it is not a key, but there is no reason to show it)."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["prefix", "user__username", "name"]
    fields = ["user", "prefix", "name", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False
