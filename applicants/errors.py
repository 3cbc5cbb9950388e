"""Kept for imports written before the ``core`` app: the domain errors live in ``core.errors``."""

from core.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound  # noqa: F401
