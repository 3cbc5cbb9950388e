"""Issue #13, item 4: experts. Choosing them (a list flagged with conflicts of interest, or a random
draw recorded in the audit row), scoring criteria as program rules (评分细则), the score derived from
the items, an expert's own reviews, and the round's figures for the clerk."""

import random
import re
import secrets
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applicants.errors import Conflict, Invalid
from applicants.models import Role
from core import audit_chain
from devtools.demo_data import PROGRAM_RULES
from funding import audit, bounds, experts, selectors, services
from funding.models import Application, Program, ProgramRuleChange, Review, ReviewAssignment, TransitionLog
from funding.program_rules import program_update
from funding.ruleset import normalise
from tests import factories
from tests.clients import api_client, page_client
from tests.funding.helpers import industrialization_app, step
from tests.funding.test_admin import _page_form

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"key": "tech", "label": "技术先进性", "max": 25},
    {"key": "market", "label": "市场前景", "max": 25},
    {"key": "basis", "label": "实施基础", "max": 20},
    {"key": "benefit", "label": "经济社会效益", "max": 20},
    {"key": "funds", "label": "资金使用计划", "max": 10},
]


def _tied_expert(world):
    """An expert whose account acts for enterprise1: in conflict with enterprise1's cases."""
    return factories.UserFactory(username="expert_tied", first_name="关联专家", role=Role.EXPERT,
                                 region=world.region, applicant=world.enterprise1)


def _more_experts(world, n=4):
    return [factories.UserFactory(username=f"pool{i}", role=Role.EXPERT, region=world.region) for i in range(n)]


def _accepted(world, amount="1000.00"):
    app = industrialization_app(world, amount=amount)
    step(app, "submit", world.applicant1)
    return step(app, "accept", world.clerk)


def _with_criteria(world, code="industrialization", criteria=CRITERIA):
    program_update(by=world.admin, code=code, changes={"scoring_criteria": criteria}, reason="评分细则")


def _under_review(world, amount="1000.00"):
    return step(_accepted(world, amount), "send_to_review", world.clerk)


def _send_row(app) -> TransitionLog:
    return TransitionLog.objects.filter(application=app, transition="send_to_review").latest("id")


# --- choosing the experts ------------------------------------------------------------------------

def test_the_list_flags_the_conflicted_expert_and_the_service_refuses_them(world):
    tied = _tied_expert(world)
    app = _accepted(world)
    html = page_client(world.clerk).get(f"/funding/{app.pk}/").content.decode()
    boxes = re.findall(r'<input class="form-check-input" type="checkbox" name="experts" value="([^"]+)"[^>]*>', html)
    assert boxes == ["expert1", "expert2", "expert3", "expert_tied"]  # every active expert of the region
    tied_box = re.search(r'<input[^>]*value="expert_tied"[^>]*>', html).group(0)
    assert "disabled" in tied_box and 'aria-describedby="expert-4-why"' in tied_box
    assert re.search(r'id="expert-4-why">该专家代表申请单位，与本申请存在利害关系，须回避<', html)
    assert "关联专家" in html  # the expert's name beside the username
    assert 'name="draw" value="1"' in html  # and the draw button
    assert re.search(r'id="experts-help">[^<]*3[^<]*3', html)  # 3 needed, 3 eligible

    with pytest.raises(Invalid) as refused:
        step(app, "send_to_review", world.clerk, data={"experts": ["expert1", "expert2", "expert_tied"]})
    assert refused.value.field == "experts" and "expert_tied" in refused.value.message
    assert Application.objects.get(pk=app.pk).state == "accepted"
    # Without a choice: every eligible expert, never the conflicted one; the row records who.
    step(app, "send_to_review", world.clerk)
    assigned = set(ReviewAssignment.objects.filter(application=app).values_list("expert__username", flat=True))
    assert assigned == {"expert1", "expert2", "expert3"} and tied.username not in assigned
    assert _send_row(app).detail == {"experts": ["expert1", "expert2", "expert3"], "draw": False}


def test_the_experts_ticked_on_the_page_are_the_ones_assigned(world):
    _more_experts(world, 2)
    app = _accepted(world)
    page_client(world.clerk).post(f"/funding/{app.pk}/transitions/send_to_review/",
                                  {"experts": ["expert1", "pool0", "pool1"]})
    assert set(ReviewAssignment.objects.filter(application=app).values_list("expert__username", flat=True)) \
        == {"expert1", "pool0", "pool1"}


def test_the_draw_source_is_the_system_random():
    assert isinstance(experts.RANDOM, secrets.SystemRandom)


@pytest.mark.parametrize("seed", range(6))
def test_a_draw_picks_exactly_min_reviews_eligible_experts_and_records_them(world, monkeypatch, seed):
    tied = _tied_expert(world)
    _more_experts(world, 4)
    monkeypatch.setattr(experts, "RANDOM", random.Random(seed))
    app = step(_accepted(world), "send_to_review", world.clerk, data={"draw": True})
    need = app.rules.min_reviews
    drawn = list(ReviewAssignment.objects.filter(application=app, round=app.review_round)
                 .values_list("expert__username", flat=True))
    assert len(drawn) == need == 3 and tied.username not in drawn
    detail = _send_row(app).detail
    assert detail["draw"] is True and sorted(detail["experts"]) == sorted(drawn)
    assert detail["pool"] == ["expert1", "expert2", "expert3", "pool0", "pool1", "pool2", "pool3"]  # no tied one
    # The draw is the seeded one: the same seed draws the same experts from the same pool.
    again = random.Random(seed).sample(detail["pool"], need)
    assert detail["experts"] == again


def test_draws_differ_and_never_take_the_conflicted_expert(world, monkeypatch):
    _tied_expert(world)
    _more_experts(world, 4)
    monkeypatch.setattr(experts, "RANDOM", random.Random(2026))
    seen = set()
    for _ in range(5):
        app = step(_accepted(world), "send_to_review", world.clerk, data={"draw": True})
        drawn = tuple(sorted(_send_row(app).detail["experts"]))
        assert len(drawn) == 3 and "expert_tied" not in drawn
        seen.add(drawn)
    assert len(seen) > 1


def test_a_draw_with_too_few_eligible_experts_is_refused(world):
    Program.objects.filter(pk=world.programs["industrialization"].pk).update(min_reviews=4)
    _tied_expert(world)
    app = _accepted(world)
    with pytest.raises(Conflict) as refused:
        step(app, "send_to_review", world.clerk, data={"draw": True})
    assert refused.value.code == "not_enough_experts" and "3" in refused.value.message
    assert Application.objects.get(pk=app.pk).state == "accepted"


def test_the_draw_button_on_the_page_draws(world, monkeypatch):
    _more_experts(world, 3)
    monkeypatch.setattr(experts, "RANDOM", random.Random(7))
    app = _accepted(world)
    page_client(world.clerk).post(f"/funding/{app.pk}/transitions/send_to_review/", {"draw": "1", "comment": ""})
    app.refresh_from_db()
    assert app.state == "under_review"
    assert ReviewAssignment.objects.filter(application=app).count() == 3
    assert _send_row(app).detail["draw"] is True


def test_experts_and_draw_together_is_a_400_on_the_api(world):
    app = _accepted(world)
    url = f"/api/v1/applications/{app.pk}/transitions/send_to_review/"
    r = api_client(world.clerk).post(url, {"experts": ["expert1", "expert2", "expert3"], "draw": True},
                                     format="json")
    assert r.status_code == 400, r.content
    assert set(r.json()) == {"experts", "draw"} and "只能选其一" in r.json()["draw"][0]
    assert Application.objects.get(pk=app.pk).state == "accepted"
    assert not ReviewAssignment.objects.filter(application=app).exists()


def test_a_draw_on_the_api_is_in_the_history(world):
    _more_experts(world, 2)
    app = _accepted(world)
    client = api_client(world.clerk)
    r = client.post(f"/api/v1/applications/{app.pk}/transitions/send_to_review/", {"draw": True}, format="json")
    assert r.status_code == 200, r.content
    rows = client.get(f"/api/v1/applications/{app.pk}/history/").json()["results"]
    detail = next(row["detail"] for row in rows if row["transition"] == "send_to_review")
    assert detail["draw"] is True and len(detail["experts"]) == 3 and len(detail["pool"]) == 5


def test_draw_false_with_experts_is_a_choice(world):
    app = _accepted(world)
    r = api_client(world.clerk).post(f"/api/v1/applications/{app.pk}/transitions/send_to_review/",
                                     {"experts": ["expert1", "expert2", "expert3"], "draw": False}, format="json")
    assert r.status_code == 200, r.content
    assert _send_row(app).detail == {"experts": ["expert1", "expert2", "expert3"], "draw": False}


def test_draw_is_refused_by_a_transition_that_does_not_take_it(world):
    app = industrialization_app(world, amount="1000.00")
    step(app, "submit", world.applicant1)
    r = api_client(world.clerk).post(f"/api/v1/applications/{app.pk}/transitions/accept/", {"draw": True},
                                     format="json")
    assert r.status_code == 400 and "draw" in r.json()


# --- 评分细则 as a program rule -------------------------------------------------------------------

@pytest.mark.parametrize("criteria,message", [
    ([{**CRITERIA[0], "max": 15}, *CRITERIA[1:]], "各评分项满分之和应为 100，实际为 90"),
    ([*CRITERIA[:4], {"key": "tech", "label": "资金使用计划", "max": 10}], "评分项代码重复：tech"),
    ([{**CRITERIA[0], "max": 0}, {**CRITERIA[1], "max": 50}, *CRITERIA[2:]], "评分项「技术先进性」的满分应为 1–100 的整数"),
    ([{"key": "Tech", "label": "技术", "max": 100}], "评分项代码应为小写英文字母开头"),
    ([{"key": "tech", "label": "技" * 41, "max": 100}], "最多 40 个字符"),
    ([{"key": "tech", "label": "", "max": 100}], "评分项名称不能为空"),
    ([{"key": f"k{i}", "label": f"项{i}", "max": 7} for i in range(13)], "评分细则最多 12 项"),
    ([{"key": "tech", "label": "技术", "max": 100, "weight": 1}], "评分细则格式应为"),
    ({"tech": 100}, "评分细则格式应为"),
])
def test_criteria_are_validated_with_a_chinese_message(criteria, message):
    with pytest.raises(Invalid) as refused:
        normalise({"scoring_criteria": criteria})
    assert message in refused.value.as_field_errors()["scoring_criteria"][0]


def test_valid_criteria_are_normalised_and_empty_means_one_score():
    assert normalise({"scoring_criteria": [{"key": "tech", "label": " 技术先进性 ", "max": "100"}]}) == {
        "scoring_criteria": [{"key": "tech", "label": "技术先进性", "max": 100}]}
    assert normalise({"scoring_criteria": []}) == {"scoring_criteria": []}


def test_criteria_change_through_the_api_and_are_recorded(world):
    r = api_client(world.admin).patch("/api/v1/programs/industrialization/",
                                      {"scoring_criteria": CRITERIA, "reason": "评分细则"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["scoring_criteria"] == CRITERIA
    change = ProgramRuleChange.objects.get(field="scoring_criteria")
    assert (change.old_value, change.new_value) == ([], CRITERIA)
    r = api_client(world.admin).patch("/api/v1/programs/industrialization/",
                                      {"scoring_criteria": CRITERIA[:4]}, format="json")
    assert r.status_code == 400 and "实际为 90" in r.json()["scoring_criteria"][0]


def test_the_criteria_are_frozen_on_the_case_at_submission(world):
    _with_criteria(world)
    app = _accepted(world)
    _with_criteria(world, criteria=[{"key": "all", "label": "综合", "max": 100}])
    assert Application.objects.get(pk=app.pk).rules.scoring_criteria == CRITERIA


def test_a_case_frozen_before_criteria_existed_keeps_one_score(world):
    app = _accepted(world)
    frozen = {k: v for k, v in app.frozen_rules.items() if k != "scoring_criteria"}  # as frozen before the rule
    Application.objects.filter(pk=app.pk).update(frozen_rules=frozen)
    _with_criteria(world)
    assert Application.objects.get(pk=app.pk).rules.scoring_criteria == []


def test_a_refused_choice_keeps_the_ticks(world):
    _more_experts(world, 2)
    app = _accepted(world)
    page = page_client(world.clerk).post(f"/funding/{app.pk}/transitions/send_to_review/",
                                         {"experts": ["expert1", "pool0", "nobody"]}).content.decode()
    assert "nobody" in page and Application.objects.get(pk=app.pk).state == "accepted"
    ticked = re.findall(r'<input[^>]*value="([^"]+)"[^>]*checked', page)
    assert ticked == ["expert1", "pool0"]


def test_the_demo_programs_have_criteria_summing_to_100():
    for code in ("industrialization", "patent_award"):
        criteria = PROGRAM_RULES[code]["scoring_criteria"]
        assert normalise({"scoring_criteria": criteria})["scoring_criteria"] == criteria
        assert sum(item["max"] for item in criteria) == 100


def _admin_form(admin_client, program) -> dict:
    return _page_form(admin_client, reverse("admin:funding_program_change", args=[program.pk]))


def test_the_admin_edits_criteria_in_a_table(admin_client, world):
    program = world.programs["industrialization"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    html = admin_client.get(url).content.decode()
    assert '<textarea name="scoring_criteria' not in html
    assert 'name="scoring_criteria_row0_label"' in html and 'name="scoring_criteria_row0_max"' in html
    data = _admin_form(admin_client, program)
    for index, (label, top) in enumerate((("技术先进性", "60"), ("市场前景", "40"))):
        data[f"scoring_criteria_row{index}_label"] = label
        data[f"scoring_criteria_row{index}_max"] = top
    response = admin_client.post(url, {**data, "reason": "评分细则"})
    assert response.status_code == 302, response.content.decode()[:3000]
    program.refresh_from_db()
    assert program.scoring_criteria == [{"key": "item1", "label": "技术先进性", "max": 60},
                                        {"key": "item2", "label": "市场前景", "max": 40}]
    assert ProgramRuleChange.objects.filter(field="scoring_criteria").count() == 1
    # Posted back unchanged: nothing recorded; the keys ride along in hidden inputs.
    data = _admin_form(admin_client, program)
    assert data["scoring_criteria_row0_key"] == "item1"
    assert admin_client.post(url, data).status_code == 302
    assert ProgramRuleChange.objects.filter(field="scoring_criteria").count() == 1
    # A new row gets a fresh key; an existing one keeps its own.
    data["scoring_criteria_row1_max"] = "20"
    data["scoring_criteria_row2_label"], data["scoring_criteria_row2_max"] = "实施基础", "20"
    assert admin_client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert [item["key"] for item in program.scoring_criteria] == ["item1", "item2", "item3"]


@pytest.mark.parametrize("changes,message", [
    ({"scoring_criteria_row0_label": "技术先进性", "scoring_criteria_row0_max": "60"}, "实际为 60"),
    ({"scoring_criteria_row0_label": "技术先进性", "scoring_criteria_row0_max": ""}, "请同时填写评分项名称和满分"),
    ({"scoring_criteria_row0_label": "技术先进性", "scoring_criteria_row0_max": "六十"}, "满分应为 1–100 的整数"),
])
def test_wrong_criteria_in_the_admin_are_refused_in_chinese(admin_client, world, changes, message):
    program = world.programs["industrialization"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    response = admin_client.post(url, {**_admin_form(admin_client, program), **changes})
    assert response.status_code == 200 and message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Program.objects.get(pk=program.pk).scoring_criteria == []


# --- the score from the criteria -----------------------------------------------------------------

POINTS = {"tech": 20, "market": 22, "basis": 15, "benefit": 16, "funds": 8}  # 81


def test_the_review_form_shows_one_input_per_criterion(world):
    _with_criteria(world)
    app = _under_review(world)
    html = page_client(world.experts[0]).get(f"/funding/{app.pk}/").content.decode()
    form = html[html.index('id="h-score"'):]
    for item in CRITERIA:
        assert re.search(rf'<input type="number" name="item_{item["key"]}" min="0" max="{item["max"]}"', form)
        assert f"{item['label']}（0–{item['max']} 分）" in form
    assert 'name="score"' not in form


def test_without_criteria_the_review_form_has_one_score(world):
    app = _under_review(world)
    form = page_client(world.experts[0]).get(f"/funding/{app.pk}/").content.decode()
    assert 'name="score"' in form and 'name="item_' not in form


def test_the_score_is_the_sum_of_the_items(world):
    _with_criteria(world)
    app = _under_review(world)
    page_client(world.experts[0]).post(f"/funding/{app.pk}/review/", {
        **{f"item_{key}": str(points) for key, points in POINTS.items()}, "recommended_amount": "800.00"})
    review = Review.objects.get(application=app, expert=world.experts[0])
    assert review.score == 81 and review.item_scores == POINTS
    r = api_client(world.experts[1]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {"item_scores": POINTS, "recommended_amount": "800.00"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["score"] == 81 and r.json()["item_scores"] == POINTS
    listed = api_client(world.clerk).get(f"/api/v1/applications/{app.pk}/reviews/").json()["results"]
    assert [row["item_scores"] for row in listed] == [POINTS, POINTS]


def test_an_item_above_its_maximum_is_a_400_naming_it(world):
    _with_criteria(world)
    app = _under_review(world)
    r = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {"item_scores": {**POINTS, "funds": 11}, "recommended_amount": "800.00"},
                                          format="json")
    assert r.status_code == 400
    assert r.json() == {"item_scores.funds": ["评分项「资金使用计划」的得分应为 0–10 的整数"]}
    page = page_client(world.experts[1]).post(f"/funding/{app.pk}/review/", {
        **{f"item_{key}": str(points) for key, points in {**POINTS, "tech": 26}.items()},
        "recommended_amount": "800.00"}, follow=True)
    assert "评分项「技术先进性」的得分应为 0–25 的整数" in page.content.decode()
    assert not Review.objects.filter(application=app).exists()


def test_a_submitted_score_that_disagrees_is_a_400(world):
    _with_criteria(world)
    app = _under_review(world)
    client = api_client(world.experts[0])
    url = f"/api/v1/applications/{app.pk}/reviews/"
    r = client.post(url, {"score": 90, "item_scores": POINTS, "recommended_amount": "800.00"}, format="json")
    assert r.status_code == 400 and "81" in r.json()["score"][0] and "90" in r.json()["score"][0]
    assert client.post(url, {"score": 81, "item_scores": POINTS, "recommended_amount": "800.00"},
                       format="json").status_code == 201


@pytest.mark.parametrize("body,field", [
    ({"score": 81}, "item_scores"),  # criteria: the items are required
    ({"item_scores": {k: v for k, v in POINTS.items() if k != "tech"}}, "item_scores.tech"),
    ({"item_scores": {**POINTS, "extra": 1}}, "item_scores.extra"),
])
def test_items_missing_or_unknown_are_refused(world, body, field):
    _with_criteria(world)
    app = _under_review(world)
    r = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {**body, "recommended_amount": "800.00"}, format="json")
    assert r.status_code == 400 and field in r.json()


def test_items_on_a_case_without_criteria_are_refused(world):
    app = _under_review(world)
    r = api_client(world.experts[0]).post(f"/api/v1/applications/{app.pk}/reviews/",
                                          {"score": 80, "item_scores": {"tech": 80}, "recommended_amount": "800.00"},
                                          format="json")
    assert r.status_code == 400 and "未设评分细则" in r.json()["item_scores"][0]


# --- what experts and the clerk see --------------------------------------------------------------

def _two_rounds(world):
    """Round 1 reviewed by the three experts; returned, resubmitted and in round 2 reviewed by expert1."""
    app = _under_review(world)
    for expert, score in zip(world.experts, (70, 80, 90), strict=True):
        services.review_submit(application_id=app.pk, by=expert, score=score, recommended_amount="900.00")
    step(app, "return_for_revision", world.clerk, comment="补充材料")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "send_to_review", world.clerk)
    services.review_submit(application_id=app.pk, by=world.experts[0], score=75, recommended_amount="950.00",
                           comment="第二轮意见")
    return app


def test_an_expert_sees_their_own_reviews_of_every_round_and_no_one_elses(world):
    app = _two_rounds(world)
    me = world.experts[0]
    mine = list(selectors.reviews_visible_to(me, app).values_list("round", "score"))
    assert mine == [(2, 75), (1, 70)]
    listed = api_client(me).get(f"/api/v1/applications/{app.pk}/reviews/").json()["results"]
    assert [(row["round"], row["expert"]) for row in listed] == [(2, "expert1"), (1, "expert1")]
    html = page_client(me).get(f"/funding/{app.pk}/").content.decode()
    assert "第二轮意见" in html and "expert2" not in html and 'id="review-summary"' not in html
    # 我的评审 on the review queue page: every case and round reviewed, even when nothing waits.
    queue = page_client(me).get("/funding/reviews/").content.decode()
    section = queue[queue.index('id="my-reviews"'):]
    assert section.count(f'href="/funding/{app.pk}/"') == 2 and "75" in section and "70" in section
    other = page_client(world.experts[1]).get("/funding/reviews/").content.decode()
    assert other[other.index('id="my-reviews"'):].count(f'href="/funding/{app.pk}/"') == 1


def test_the_clerk_sees_the_rounds_average_spread_and_recommendation(world):
    _with_criteria(world)
    app = _under_review(world)
    scored = [({"tech": 20, "market": 20, "basis": 16, "benefit": 16, "funds": 8}, "1000.00"),   # 80
              ({"tech": 22, "market": 21, "basis": 17, "benefit": 17, "funds": 8}, "800.00"),    # 85
              ({"tech": 24, "market": 23, "basis": 18, "benefit": 17, "funds": 8}, "700.00")]    # 90
    for expert, (items, amount) in zip(world.experts, scored, strict=True):
        services.review_submit(application_id=app.pk, by=expert, item_scores=items, recommended_amount=amount)
    app = Application.objects.select_related("program").get(pk=app.pk)
    with CaptureQueriesContext(connection) as ctx:
        summary = selectors.review_summary(app)
    assert len(ctx.captured_queries) <= 2
    assert summary["count"] == 3 and summary["round"] == 1
    assert summary["mean"] == Decimal("85.00")
    assert (summary["min"], summary["max"]) == (80, 90)
    assert summary["stdev"] == Decimal("4.08")  # √(50/3), the panel's (population) deviation
    assert summary["recommended"] == bounds.expert_limit(app).amount == Decimal("833.33")
    assert [(item["key"], item["mean"]) for item in summary["criteria"]] == [
        ("tech", Decimal("22.00")), ("market", Decimal("21.33")), ("basis", Decimal("17.00")),
        ("benefit", Decimal("16.67")), ("funds", Decimal("8.00"))]
    html = page_client(world.clerk).get(f"/funding/{app.pk}/").content.decode()
    block = html[html.index('id="review-summary"'):html.index('id="summary-criteria"')]
    assert 'id="summary-mean">85.00<' in block and 'id="summary-range">80 – 90<' in block
    assert 'id="summary-stdev">4.08<' in block and "833.33" in block
    assert html.index('id="review-summary"') < html.index("<td>expert1</td>")  # above the reviews table
    assert "21.33" in html and "技术先进性 20/25" in html  # per-criterion means, each review's items


def test_the_summary_rounds_half_up_and_counts_only_the_current_round(world):
    app = _two_rounds(world)
    summary = selectors.review_summary(Application.objects.select_related("program").get(pk=app.pk))
    assert (summary["round"], summary["count"], summary["mean"], summary["stdev"]) == (2, 1, Decimal("75.00"),
                                                                                      Decimal("0.00"))
    assert summary["recommended"] == Decimal("950.00") and summary["criteria"] == []
    assert selectors._two(Decimal("0.125")) == Decimal("0.13") and selectors._two(Decimal("2.675")) == Decimal("2.68")


def test_no_summary_before_any_review(world):
    app = _under_review(world)
    assert selectors.review_summary(app) is None


# --- the audit chain -----------------------------------------------------------------------------

def test_editing_item_scores_in_sql_is_found(world):
    _with_criteria(world)
    app = _under_review(world)
    review = services.review_submit(application_id=app.pk, by=world.experts[0], item_scores=POINTS,
                                    recommended_amount="800.00")
    assert audit_chain.verify_all(audit_chain.registered()) == []
    Review.objects.filter(pk=review.pk).update(item_scores={**POINTS, "tech": 25})  # an UPDATE around the chain
    findings = audit_chain.verify_all(audit_chain.registered())
    assert any("专家评审记录" in f and f"#{review.pk}" in f and "已被篡改" in f for f in findings), findings


def test_a_review_without_items_hashes_as_before(world):
    app = _under_review(world)
    review = services.review_submit(application_id=app.pk, by=world.experts[0], score=80,
                                    recommended_amount="800.00")
    assert review.item_scores is None
    hashed = audit.REVIEW_CHAIN.hashed(lambda name: getattr(review, name))
    assert "item_scores" not in hashed
    old = audit_chain.Chain(name="review", label="", model=Review, head_model=audit.REVIEW_CHAIN.head_model,
                            fields=audit.REVIEW_CHAIN.fields)  # the chain before item_scores
    assert audit_chain.row_hash(review.seq, review.prev_hash, old.hashed(lambda n: getattr(review, n))) == review.hash


# --- query counts --------------------------------------------------------------------------------

def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_detail_page_runs_a_fixed_number_of_queries_whatever_the_reviews(world):
    _with_criteria(world)
    pool = _more_experts(world, 3)
    app = step(_accepted(world), "send_to_review", world.clerk)
    client = page_client(world.clerk)
    url = f"/funding/{app.pk}/"
    for expert in world.experts:  # the round's three (min_reviews): its conditions read alike from here on
        services.review_submit(application_id=app.pk, by=expert, item_scores=POINTS, recommended_amount="1.00")
    three = _queries(client, url)
    for expert in pool:
        services.review_submit(application_id=app.pk, by=expert, item_scores=POINTS, recommended_amount="1.00")
    assert _queries(client, url) == three


def test_the_detail_page_runs_a_fixed_number_of_queries_whatever_the_experts(world):
    app = _accepted(world)
    client = page_client(world.clerk)
    url = f"/funding/{app.pk}/"
    few = _queries(client, url)
    _more_experts(world, 6)
    _tied_expert(world)
    assert _queries(client, url) == few


def test_my_reviews_run_a_fixed_number_of_queries(world):
    me = world.experts[0]
    client = page_client(me)
    first = _under_review(world)
    services.review_submit(application_id=first.pk, by=me, score=80, recommended_amount="1.00")
    one = _queries(client, "/funding/reviews/")
    for _ in range(3):
        app = _under_review(world)
        services.review_submit(application_id=app.pk, by=me, score=80, recommended_amount="1.00")
    assert _queries(client, "/funding/reviews/") == one
