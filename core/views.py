"""The inbox pages: the user's own messages, newest first; opening one marks it read and follows its link."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import inbox
from .errors import NotFound


@login_required
def inbox_list(request):
    page = Paginator(inbox.messages_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page_obj": page, "inbox_messages": page.object_list})


@login_required
def inbox_open(request, pk: int):
    try:
        message = inbox.open_message(user=request.user, message_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    # Links are paths this site wrote; anything else is not followed.
    if not url_has_allowed_host_and_scheme(message.link, allowed_hosts=None) or not message.link.startswith("/"):
        return redirect("core:inbox")
    return redirect(message.link)


@require_POST
@login_required
def inbox_read_all(request):
    inbox.mark_all_read(user=request.user)
    return redirect("core:inbox")
