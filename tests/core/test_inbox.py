"""The inbox (issue #13 item 6): each change that concerns a user is a message with a link; the
unread count is in the navigation; a user sees and opens only their own messages."""

import pytest
from django.core import mail

from core.models import InboxMessage
from tests.clients import page_client
from tests.funding.helpers import no_publicity, step, subsidy_app

pytestmark = pytest.mark.django_db


def _texts(user):
    return list(InboxMessage.objects.filter(user=user).values_list("text", flat=True))


def test_a_submission_tells_the_intake_role_not_finance(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    assert any(f"#{app.pk}" in t and "已提交" in t for t in _texts(world.clerk))
    assert _texts(world.finance) == []
    assert _texts(world.applicant1) == []  # the acting user is told by the page


def test_a_notice_tells_finance_and_the_claimant(world):
    no_publicity(world)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    assert any("公示" in t for t in _texts(world.finance))
    assert any("公示" in t for t in _texts(world.applicant1))


def test_another_applicant_hears_nothing(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk, comment="补充材料")
    assert _texts(world.applicant2) == []
    assert any("退回" in t for t in _texts(world.applicant1))


def test_the_navigation_shows_the_unread_count_and_opening_marks_read(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    client = page_client(world.clerk)
    page = client.get("/inbox/").content.decode()
    assert 'badge text-bg-warning">1<' in page
    message = InboxMessage.objects.get(user=world.clerk)
    r = client.get(f"/inbox/{message.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/funding/{app.pk}/"
    message.refresh_from_db()
    assert message.read_at is not None
    assert 'badge text-bg-warning' not in client.get("/inbox/").content.decode()


def test_another_users_message_is_404(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    message = InboxMessage.objects.get(user=world.clerk)
    assert page_client(world.finance).get(f"/inbox/{message.pk}/").status_code == 404
    assert InboxMessage.objects.get(pk=message.pk).read_at is None


def test_mark_all_read(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk, comment="补充材料")
    step(app, "submit", world.applicant1)
    assert page_client(world.clerk).post("/inbox/read-all/").status_code == 302
    assert not InboxMessage.objects.filter(user=world.clerk, read_at__isnull=True).exists()


def test_the_email_carries_the_same_link(world, django_capture_on_commit_callbacks):
    app = subsidy_app(world)
    with django_capture_on_commit_callbacks(execute=True):
        step(app, "submit", world.applicant1)
    assert any(f"http://127.0.0.1:8000/funding/{app.pk}/" in m.body for m in mail.outbox)


def test_the_inbox_list_has_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(3):
        step(subsidy_app(world), "submit", world.applicant1)
    client = page_client(world.clerk)
    with django_assert_max_num_queries(8):
        client.get("/inbox/")
    for _ in range(5):
        step(subsidy_app(world), "submit", world.applicant1)
    with django_assert_max_num_queries(8):
        client.get("/inbox/")
