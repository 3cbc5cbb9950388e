"""The inbox (站内消息): every change that concerns a user, as a line with a link; emails carry the same
link. Messages are written in the transaction of the change, so a change rolled back leaves none."""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .errors import NotFound
from .models import InboxMessage
from .text import clean_text


def absolute(link: str) -> str:
    """The link as an email carries it (``IPFUND_SITE_URL`` + path)."""
    return f"{settings.IPFUND_SITE_URL.rstrip('/')}{link}"


def post(*, user_ids: Iterable[int], text: str, link: str) -> int:
    """One message to each user in ``user_ids`` (duplicates and None dropped); returns how many."""
    text = clean_text(text, "text", max_length=300) or ""
    ids = sorted({uid for uid in user_ids if uid is not None})
    InboxMessage.objects.bulk_create([InboxMessage(user_id=uid, text=text[:300], link=link[:300]) for uid in ids])
    return len(ids)


def messages_of(user) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(user=user).only("id", "text", "link", "created_at", "read_at")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()


def open_message(*, user, message_id: int) -> InboxMessage:
    """The user's own message, marked read (404 for another user's)."""
    message = InboxMessage.objects.filter(user=user, pk=message_id).first()
    if message is None:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def mark_all_read(*, user) -> int:
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
