"""Issue #13, item 4 (the clerk's side): the case page shows the current round's experts and how they
were picked (a draw from a pool of N, a choice, or every eligible one on an upheld objection), to the
IP office and the administrator only; experts do not learn who else reviews, applicants see no experts.
The page's query count does not grow with the number of experts."""

import random
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applicants.models import Role, User
from funding import experts, objections, services
from tests import factories
from tests.clients import page_client
from tests.funding.helpers import industrialization_app, step

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<section[^>]*id="round-experts".*?</section>', re.S)


def _named_experts(world, n=4):
    """More experts of the region, with names (the world's three read by username)."""
    return [factories.UserFactory(username=f"pool{i}", first_name=f"候选专家{i}", role=Role.EXPERT,
                                  region=world.region) for i in range(n)]


def _accepted(world, amount="1000.00"):
    app = industrialization_app(world, amount=amount)
    step(app, "submit", world.applicant1)
    return step(app, "accept", world.clerk)


def _card(user, app) -> str:
    response = page_client(user).get(f"/funding/{app.pk}/")
    assert response.status_code == 200
    found = CARD.search(response.content.decode())
    return found.group(0) if found else ""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_clerk_sees_who_a_draw_picked_and_the_pool_it_drew_from(world, monkeypatch):
    _named_experts(world)
    monkeypatch.setattr(experts, "RANDOM", random.Random(3))
    app = step(_accepted(world), "send_to_review", world.clerk, data={"draw": True})
    drawn = sorted(app.review_assignments.filter(round=1).values_list("expert__username", flat=True))
    assert len(drawn) == 3
    text = _text(_card(world.clerk, app))
    assert "第 1 轮评审专家" in text and "随机抽取" in text
    assert "从 7 名符合条件的专家中随机抽取 3 名" in text
    for username in drawn:
        assert username in text
    others = {"expert1", "expert2", "expert3", "pool0", "pool1", "pool2", "pool3"} - set(drawn)
    assert not [u for u in others if re.search(rf"\b{u}\b", text)]
    for expert in User.objects.filter(username__in=drawn):  # by name, the username beside a name
        assert expert.display_name in text


def test_the_clerk_sees_the_experts_chosen_on_the_page(world):
    _named_experts(world, 2)
    app = _accepted(world)
    page_client(world.clerk).post(f"/funding/{app.pk}/transitions/send_to_review/",
                                  {"experts": ["expert1", "pool0", "pool1"]})
    text = _text(_card(world.clerk, app))
    assert "指定" in text and "随机抽取" not in text
    assert "候选专家0 （pool0）" in text and "候选专家1 （pool1）" in text and "expert1" in text
    assert "expert2" not in text and "expert3" not in text


def test_the_administrator_sees_the_round_experts_too(world):
    app = step(_accepted(world), "send_to_review", world.clerk)
    text = _text(_card(world.admin, app))
    assert "expert1" in text and "expert2" in text and "expert3" in text


@pytest.mark.parametrize("who", ["expert", "applicant1", "finance"])
def test_no_one_else_sees_the_round_experts(world, who):
    app = step(_accepted(world), "send_to_review", world.clerk, data={"draw": True})
    user = world.experts[0] if who == "expert" else getattr(world, who)
    if who == "expert":  # an expert who was drawn opens the case
        user = app.review_assignments.first().expert
    response = page_client(user).get(f"/funding/{app.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="round-experts"' not in body
    if who != "finance":  # staff see reviews by name; an expert or applicant sees no other expert
        others = {"expert1", "expert2", "expert3"} - {user.username}
        assert not [u for u in others if re.search(rf"\b{u}\b", body)]


def test_a_new_round_on_an_upheld_objection_says_so(world):
    app = industrialization_app(world, amount="200000.00")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk, data={"draw": True})
    for assignment in app.review_assignments.select_related("expert"):
        services.review_submit(application_id=app.pk, by=assignment.expert, score=80,
                               recommended_amount=Decimal("200000.00"))
    step(app, "publish", world.clerk)
    objection = objections.objection_submit(application_id=app.pk, address="203.0.113.7", name="王五",
                                            phone="023-57681234", reason="该项目申报的专利实际由他人发明，申报材料与事实不符。")
    objections.objection_resolve(by=world.clerk, application_id=app.pk, objection_id=objection.pk, upheld=True,
                                 comment="请专家重新评审")
    text = _text(_card(world.clerk, app))
    assert "第 2 轮评审专家" in text and "异议成立后重新评审" in text and "随机抽取" not in text
    assert "expert1" in text and "expert2" in text and "expert3" in text


def test_before_any_round_there_is_no_card(world):
    assert _card(world.clerk, _accepted(world)) == ""


def _page_queries(user, app) -> int:
    client = page_client(user)
    client.get(f"/funding/{app.pk}/")  # warm per-user caches (roles)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/funding/{app.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_the_case_page_runs_the_same_queries_for_three_experts_or_seven(world):
    _named_experts(world)
    drawn = step(_accepted(world), "send_to_review", world.clerk, data={"draw": True})  # 3 of 7
    everyone = step(_accepted(world), "send_to_review", world.clerk)  # all 7
    assert drawn.review_assignments.count() == 3 and everyone.review_assignments.count() == 7
    assert _page_queries(world.clerk, drawn) == _page_queries(world.clerk, everyone)
