"""Domain errors, raised by services and mapped once: to the API's JSON by
``api.exceptions.exception_handler`` and to page messages by the views' mixin."""


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None,
                 errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.errors = errors

    def as_field_errors(self) -> dict[str, list[str]]:
        if self.errors:
            return self.errors
        return {self.field or "non_field_errors": [self.message]}


class Invalid(DomainError):
    """Bad values; ``field`` (or ``errors``) names what was wrong."""

    status = 400


class NotAllowed(DomainError):
    """This caller's role may not do this."""

    status = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    """Absent, or not visible to the caller."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """Conflicts with the current state: workflow state, budget room, a live pledge, a duplicate."""

    status = 409
    default_code = "conflict"


class TooMany(DomainError):
    """Too many requests of this kind from one address in a while (public forms)."""

    status = 429
    default_code = "too_many_requests"
