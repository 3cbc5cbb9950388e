"""Finance's queue marks the rows that wait and why; the home page counts only what can be acted on
now (issue #13 item 2). The marks (``queues.wait_reason``) and the counts (``queues.waiting_q``) agree."""

import pytest
from django.utils import timezone

from funding import objections, queues, selectors
from funding.dashboard import tasks
from funding.models import Application, Program
from tests.clients import page_client
from tests.funding.helpers import no_publicity, step, subsidy_app, to_publicity
from tests.funding.test_lifecycle_pages import _project

pytestmark = pytest.mark.django_db
REASON = "该项目申报的专利实际由他人发明，申报材料与事实不符。"


def _count(user, label):
    return next(i["count"] for group in tasks(user) for i in group["items"] if i["label"] == label)


def _agree(user):
    """Every row's mark matches the filter the counts use."""
    queue = selectors.finance_queue(user)
    waiting = set(queue.filter(queues.waiting_q()).values_list("pk", flat=True))
    assert {app.pk for app in queue if queues.wait_reason(app)} == waiting


def test_a_running_notice_is_marked_and_not_counted(world):
    Program.objects.filter(pk=world.programs["application_subsidy"].pk).update(publicity_days=5)
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "publish", world.clerk)
    page = page_client(world.finance).get("/funding/approvals/").content.decode()
    assert f"公示期至 {app.publicity_ends_on.isoformat()}" in page
    assert _count(world.finance, "待审批") == 0
    _agree(world.finance)
    Application.objects.filter(pk=app.pk).update(publicity_started_on=timezone.localdate().replace(day=1),
                                                 publicity_ends_on=timezone.localdate() - timezone.timedelta(days=1))
    assert _count(world.finance, "待审批") == 1
    _agree(world.finance)


def test_an_open_objection_is_marked_and_not_counted(world):
    no_publicity(world)
    app = to_publicity(world, subsidy_app(world))
    assert _count(world.finance, "待审批") == 1
    objections.objection_submit(application_id=app.pk, name="王五", phone="13800000000", reason=REASON)
    assert "有待处理的公示异议" in page_client(world.finance).get("/funding/approvals/").content.decode()
    assert _count(world.finance, "待审批") == 0
    _agree(world.finance)


def test_a_project_whose_first_tranche_is_paid_waits_for_acceptance(world):
    app = _project(world)
    assert _count(world.finance, "待拨付") == 1
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "T-1"})
    assert _count(world.finance, "待拨付") == 0
    assert "余款待验收后拨付" in page_client(world.finance).get("/funding/approvals/").content.decode()
    _agree(world.finance)
