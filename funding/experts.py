"""Who may review a case (评审专家): the region's active experts, less those in conflict of interest.

One definition for the page's list (``funding.selectors.expert_options``) and for the services that
assign and accept reviews (``funding.effects._assign_experts``, ``funding.services.review_submit``):
what the list flags, the services refuse. The conflict known today: the expert's account acts for the
applicant (``user.applicant_id == application.applicant_id``).

随机抽取 (``draw``): ``min_reviews`` experts picked from the eligible pool with the operating system's
random source (``secrets.SystemRandom``); the send_to_review audit row records the pool, who was
drawn and that it was a draw (``funding.effects``), so the draw is evidence.
"""

from __future__ import annotations

import secrets

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from applicants.models import Role, User

# The source of the draw; tests put a seeded ``random.Random`` here.
RANDOM = secrets.SystemRandom()


def region_experts(application) -> QuerySet[User]:
    """The active experts of the case's region, by username (one query)."""
    return (User.objects.filter(groups__name=Role.EXPERT, is_active=True, region_id=application.program.region_id)
            .distinct().order_by("username"))


def conflict_of(expert: User, application) -> str:
    """Why ``expert`` may not review ``application``; "" when they may."""
    if expert.applicant_id is not None and expert.applicant_id == application.applicant_id:
        return _("该专家代表申请单位，与本申请存在利害关系，须回避")
    return ""


def draw(pool: list[User], count: int) -> list[User]:
    """``count`` experts of ``pool`` at random (the caller checks the pool is large enough)."""
    return RANDOM.sample(pool, count)
