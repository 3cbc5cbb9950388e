from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


def _paginator_knowing(count: int) -> type[Paginator]:
    class KnownCountPaginator(Paginator):
        """Django's paginator with the count given (from counters) instead of a ``COUNT(*)``."""

        @property
        def count(self) -> int:
            return count

    return KnownCountPaginator


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        """A view may know its list's size without counting rows (``known_count(request)``: an int,
        or None to count): at 100,000 applications the exact ``COUNT(*)`` was most of the request."""
        known = getattr(view, "known_count", None)
        count = known(request) if known is not None else None
        self.django_paginator_class = Paginator if count is None else _paginator_knowing(count)
        return super().paginate_queryset(queryset, request, view)
