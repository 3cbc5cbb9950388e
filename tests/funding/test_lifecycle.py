"""验收 (acceptance on completion) and termination as real transitions: who, from where, what they do
to money. One behaviour per test."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applicants.errors import Conflict, Invalid, NotAllowed
from funding import ledger, services
from funding.bounds import held_by_others
from funding.models import Application, TransitionLog
from funding.verify import ledger_violations
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app, to_approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_stay_clean")]


def _approved_project(world, amount="300000.00"):
    app = industrialization_app(world, amount=amount)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal(amount))
    no_publicity(world, "industrialization")
    step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")
    return step(app, "approve", world.finance)  # first tranche: 60 %


def _report(world, app):
    services.document_attach(application_id=app.pk, by=world.applicant1, kind="验收报告",
                             uploaded_file=SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%x\n"))


OUTCOMES = {"output_value": "4800000.00", "jobs": 12, "patents_implemented": 1}


def test_submitting_for_acceptance_needs_the_completion_report(world):
    app = _approved_project(world)
    with pytest.raises(Conflict) as err:
        step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    assert err.value.code == "completion_report_missing" and "验收报告" in err.value.message


def test_the_outcomes_are_recorded_with_the_submission(world):
    app = _approved_project(world)
    _report(world, app)
    app = step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    assert app.state == "completion_review"
    assert app.completion_outcomes == {"output_value": "4800000.00", "jobs": 12, "patents_implemented": 1}
    row = TransitionLog.objects.get(application=app, transition="submit_completion")
    assert row.detail == {"outcomes": app.completion_outcomes}


def test_an_industrialization_project_must_report_every_outcome(world):
    app = _approved_project(world)
    _report(world, app)
    with pytest.raises(Invalid) as err:
        step(app, "submit_completion", world.applicant1, data={"outcomes": {"jobs": 3}})
    assert err.value.field == "outcomes"


def test_finance_may_not_pass_an_acceptance_check(world):
    app = _approved_project(world)
    _report(world, app)
    step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    with pytest.raises(NotAllowed):  # 403: the intake role's step, before any state check
        step(app, "pass_completion", world.finance, data={"grade": "good"})


def test_passing_needs_a_grade(world):
    app = _approved_project(world)
    _report(world, app)
    step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    with pytest.raises(Invalid) as err:
        step(app, "pass_completion", world.clerk, data={"grade": "superb"})
    assert err.value.field == "grade"


def test_a_returned_acceptance_goes_back_to_approved_with_the_reason(world):
    app = _approved_project(world)
    _report(world, app)
    step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    with pytest.raises(Invalid):
        step(app, "return_completion", world.clerk)  # a comment is required
    app = step(app, "return_completion", world.clerk, comment="产值证明不足，请补充发票")
    assert app.state == "approved"


def test_the_rest_is_paid_only_after_acceptance(world):
    app = _approved_project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "T-1"})
    with pytest.raises(Conflict) as err:
        step(app, "disburse", world.finance, data={"amount": "120000.00", "voucher_no": "T-2"})
    assert err.value.code == "tranche_limit"
    _report(world, app)
    step(app, "submit_completion", world.applicant1, data={"outcomes": OUTCOMES})
    step(app, "pass_completion", world.clerk, data={"grade": "excellent"})
    app = step(app, "disburse", world.finance, data={"amount": "120000.00", "voucher_no": "T-2"})
    assert (app.state, app.disbursed_amount, app.completion_grade) == ("disbursed", Decimal("300000.00"), "excellent")
    assert ledger_violations() == []


def test_a_program_paid_in_one_go_has_no_acceptance_stage(world):
    app = to_approved(world, subsidy_app(world))
    with pytest.raises(Conflict) as err:
        step(app, "submit_completion", world.applicant1)
    assert err.value.code == "no_acceptance_stage"


def test_terminating_a_partly_paid_project_releases_the_rest_and_keeps_what_was_paid(world):
    app = _approved_project(world)
    step(app, "disburse", world.finance, data={"amount": "180000.00", "voucher_no": "T-1"})
    available = ledger.budget_figures(world.budgets["industrialization"]).available
    with pytest.raises(Invalid):
        step(app, "terminate", world.finance)  # the reason is required
    app = step(app, "terminate", world.finance, comment="项目停止实施")
    assert app.state == "terminated"
    assert ledger.application_balances(app.pk) == {"committed": Decimal("0.00"), "paid": Decimal("180000.00")}
    assert ledger.budget_figures(world.budgets["industrialization"]).available == available + Decimal("120000.00")
    assert TransitionLog.objects.get(application=app, transition="terminate").amount == Decimal("120000.00")
    assert ledger_violations() == []


def test_only_finance_terminates(world):
    app = _approved_project(world)
    with pytest.raises(NotAllowed):
        step(app, "terminate", world.clerk, comment="x")
    assert Application.objects.get(pk=app.pk).state == "approved"


def test_a_terminated_project_still_holds_what_it_was_paid_against_the_yearly_cap(world):
    app = _approved_project(world, amount="500000.00")
    step(app, "disburse", world.finance, data={"amount": "300000.00", "voucher_no": "T-1"})
    step(app, "terminate", world.finance, comment="停止")
    other = industrialization_app(world, amount="100000.00")
    assert held_by_others(other) == Decimal("300000.00")
