from django.utils.functional import SimpleLazyObject

from .inbox import unread_count


def inbox(request) -> dict:
    """The unread count in the navigation: one COUNT, only on pages that show it."""
    user = getattr(request, "user", None)
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
