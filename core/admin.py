from django.contrib import admin

from .models import CalendarDay


class ReadOnly:
    """For admins and inlines of rows only services write (ledger, audit, loans): no add, change or
    delete, whoever asks (superusers included)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday schedule for years the ``chinese-calendar`` package does not know yet. It only
    decides the end of notices published after the entry: an end date is fixed at publication."""

    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]
