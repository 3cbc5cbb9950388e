"""Sorting of list pages from the URL (``?o=amount`` / ``?o=-amount``): a whitelist of keys per list,
each a model field, with the primary key as the tie-breaker so that pages never overlap."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Sorting:
    keys: dict[str, str]  # URL key -> field (``requested`` -> ``requested_amount``)
    default: str | None = None  # None: keep the queryset's own order

    def apply(self, queryset: QuerySet, value: str | None) -> tuple[QuerySet, str]:
        """The queryset ordered by ``value`` when it is one of the keys (else as it was, or by the
        default), and the key in force ("" when none)."""
        value = (value or "").strip()
        key = value.removeprefix("-")
        if key not in self.keys:
            return (queryset if self.default is None else queryset.order_by(self.default)), ""
        field = self.keys[key]
        descending = value.startswith("-")
        return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk"), value
