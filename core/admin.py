from django.contrib import admin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday schedule for years the ``chinese-calendar`` package does not know yet. It only
    decides the end of notices published after the entry: an end date is fixed at publication."""

    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]
