"""Issue #10: the amount committed is bounded where it is committed, rules are frozen per case and
every rule change is recorded, review rounds, tranche limits half-up. One behaviour per test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from applicants.errors import Conflict, Invalid
from applicants.services import ip_asset_register
from funding import services
from funding.models import Application, Program, ProgramRuleChange, Review
from funding.program_rules import program_update
from funding.verify import ledger_violations
from tests import factories
from tests.funding.helpers import industrialization_app, no_publicity, step, subsidy_app

pytestmark = pytest.mark.django_db


def _reviewed(world, app, amounts, by_clerk=True):
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert, amount in zip(world.experts, amounts, strict=True):
        services.review_submit(application_id=app.pk, by=expert, score=80, recommended_amount=Decimal(amount))
    no_publicity(world, app.program.code)
    step(app, "publish", world.clerk)
    no_publicity(world, app.program.code)
    return Application.objects.get(pk=app.pk)


# --- 1. one bound, computed when money is committed -----------------------------------------------

def test_a_draft_patched_above_the_rule_amount_is_refused(world):
    app = subsidy_app(world)  # one domestic invention: 1,000 元
    with pytest.raises(Invalid) as err:
        services.application_update_draft(application_id=app.pk, by=world.applicant1,
                                          requested_amount=Decimal("900000.00"))
    assert err.value.field == "requested_amount" and "1,000.00 元" in err.value.message
    assert Application.objects.get(pk=app.pk).requested_amount == Decimal("1000.00")


def test_every_draft_edit_reruns_the_handler_even_without_details(world):
    app = subsidy_app(world)
    program_update(by=world.admin, code="application_subsidy",
                   changes={"subsidy_standards": {"invention": {"CN": "800.00", "*": "10000.00"}}})
    services.application_update_draft(application_id=app.pk, by=world.applicant1, title="改个名字")
    assert Application.objects.get(pk=app.pk).requested_amount == Decimal("800.00")


def test_an_industrialization_draft_patched_past_the_project_cap_is_refused(world):
    app = industrialization_app(world, amount="300000.00")
    with pytest.raises(Invalid) as err:
        services.application_update_draft(application_id=app.pk, by=world.applicant1,
                                          requested_amount=Decimal("600000.00"))
    assert "500,000.00 元" in err.value.message
    assert Application.objects.get(pk=app.pk).requested_amount == Decimal("300000.00")


def test_experts_recommending_zero_bound_the_approval_at_zero(world):
    app = _reviewed(world, industrialization_app(world, amount="500000.00"), ["0.00", "0.00", "0.00"])
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance, data={"approved_amount": "500000.00"})
    assert err.value.code == "above_expert_recommendation" and "0.00 元" in err.value.message
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance)
    assert err.value.code == "above_expert_recommendation"
    assert Application.objects.get(pk=app.pk).state == "publicity"


def test_approval_without_an_amount_takes_the_mean_recommendation(world):
    app = _reviewed(world, industrialization_app(world, amount="400000.00"), ["250000.00", "260000.00", "270000.01"])
    app = step(app, "approve", world.finance)
    assert app.approved_amount == Decimal("260000.00")  # 780000.01 / 3 = 260000.003… → 260000.00


def test_approval_above_the_rule_amount_names_the_rule(world):
    app = subsidy_app(world)
    no_publicity(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    # Someone raised the stored request around the services: the rule is re-derived, not trusted.
    Application.objects.filter(pk=app.pk).update(requested_amount=Decimal("900000.00"))
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance, data={"approved_amount": "900000.00"})
    assert err.value.code == "above_rule_amount"
    assert step(app, "approve", world.finance).approved_amount == Decimal("1000.00")


def test_a_misspelt_transition_field_is_refused_not_ignored(world):
    app = subsidy_app(world)
    no_publicity(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    with pytest.raises(Invalid) as err:
        step(app, "approve", world.finance, data={"aproved_amount": "100.00"})
    assert set(err.value.as_field_errors()) == {"aproved_amount"}
    assert Application.objects.get(pk=app.pk).state == "publicity"


# --- 2. the yearly cap, at submission and at approval -----------------------------------------

def test_submission_beyond_the_yearly_cap_is_409(world):
    Program.objects.filter(pk=world.programs["industrialization"].pk).update(cap_per_applicant_year="700000.00")
    step(industrialization_app(world, amount="500000.00"), "submit", world.applicant1)
    second = industrialization_app(world, amount="200000.00")
    Application.objects.filter(pk=second.pk).update(requested_amount=Decimal("300000.00"))  # around the edit check
    with pytest.raises(Conflict) as err:
        step(second, "submit", world.applicant1)
    assert err.value.code == "above_yearly_cap" and "200,000.00 元" in err.value.message


def test_a_draft_patched_past_the_yearly_room_is_refused(world):
    Program.objects.filter(pk=world.programs["industrialization"].pk).update(cap_per_applicant_year="700000.00")
    step(industrialization_app(world, amount="500000.00"), "submit", world.applicant1)
    second = industrialization_app(world, amount="100000.00")
    with pytest.raises(Invalid) as err:
        services.application_update_draft(application_id=second.pk, by=world.applicant1,
                                          requested_amount=Decimal("300000.00"))
    assert err.value.field == "requested_amount"


def test_approval_is_bounded_by_what_the_applicant_already_holds(world):
    program = world.programs["application_subsidy"]
    Program.objects.filter(pk=program.pk).update(cap_per_applicant_year="1000000.00")
    services.budget_adjust(by=world.finance, program_code=program.code, year=world.year,
                           amount=Decimal("5000000.00"), reason="追加")
    no_publicity(world)

    def in_publicity(title):
        return Application.objects.create(
            program=program, applicant=world.enterprise1, fiscal_year=world.year, title=title,
            requested_amount=Decimal("600000.00"), state="publicity", publicity_started_on=timezone.localdate(),
            publicity_ends_on=timezone.localdate())

    first = in_publicity("直接公示 1")
    assert step(first, "approve", world.finance).approved_amount == Decimal("600000.00")
    second = in_publicity("直接公示 2")
    with pytest.raises(Conflict) as err:
        step(second, "approve", world.finance, data={"approved_amount": "600000.00"})
    assert err.value.code == "above_yearly_cap"
    assert step(second, "approve", world.finance).approved_amount == Decimal("400000.00")
    assert ledger_violations() == []


# --- 3. rules frozen per case; every change recorded -------------------------------------------

def test_a_rule_change_never_ends_a_running_notice(world):
    app = subsidy_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "publish", world.clerk)
    ends = app.publicity_ends_on
    assert ends > timezone.localdate()
    program_update(by=world.admin, code="application_subsidy", changes={"publicity_days": 0})
    with pytest.raises(Conflict) as err:
        step(app, "approve", world.finance)
    assert err.value.code == "publicity_not_elapsed" and str(ends) in err.value.message
    assert Application.objects.get(pk=app.pk).publicity_ends_on == ends


def test_a_case_is_judged_by_the_rules_frozen_at_submission(world):
    app = subsidy_app(world)
    no_publicity(world)
    step(app, "submit", world.applicant1)
    program_update(by=world.admin, code="application_subsidy",
                   changes={"subsidy_standards": {"invention": {"CN": "5000.00"}}, "fee_share": "1"})
    step(app, "accept", world.clerk)
    step(app, "publish", world.clerk)
    app = step(app, "approve", world.finance)
    assert app.approved_amount == Decimal("1000.00")
    assert app.frozen_rules["subsidy_standards"]["invention"]["CN"] == "1000.00"


def test_a_rule_change_is_recorded_with_who_old_and_new(world):
    program_update(by=world.admin, code="industrialization", changes={"cap_per_project": "450000"},
                   reason="2026 年度申报指南")
    change = ProgramRuleChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.by, change.reason) == (
        "cap_per_project", "500000.00", "450000.00", world.admin, "2026 年度申报指南")


@pytest.mark.parametrize(("changes", "field"), [
    ({"cap_per_project": "-100.00"}, "cap_per_project"),
    ({"fee_share": "1.5"}, "fee_share"),
    ({"risk_share": "-0.1"}, "risk_share"),
    ({"first_tranche_share": "0"}, "first_tranche_share"),
    ({"publicity_days": -1}, "publicity_days"),
    ({"cap_per_project": "2e5"}, "cap_per_project"),
    ({"subsidy_standards": {"invention": {"CN": "１０００"}}}, "subsidy_standards"),
    ({"award_levels": {"gold": 200000.5}}, "award_levels"),
])
def test_out_of_range_or_odd_rule_values_are_refused(world, changes, field):
    with pytest.raises(Invalid) as err:
        program_update(by=world.admin, code="application_subsidy", changes=changes)
    assert field in err.value.as_field_errors()
    assert not ProgramRuleChange.objects.exists()


def test_rule_values_are_stored_as_plain_decimals(world):
    program = program_update(by=world.admin, code="patent_award",
                             changes={"award_levels": {"gold": "200000", "silver": " 100000.5 "}})
    assert program.award_levels == {"gold": "200000.00", "silver": "100000.50"}


def test_an_unchanged_value_writes_no_history(world):
    program_update(by=world.admin, code="industrialization", changes={"cap_per_project": "500000.00"})
    assert not ProgramRuleChange.objects.exists()


# --- 4. review rounds ------------------------------------------------------------------------------

def test_after_a_return_only_the_new_rounds_reviews_count(world):
    app = industrialization_app(world, amount="400000.00")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    for expert in world.experts:
        services.review_submit(application_id=app.pk, by=expert, score=60, recommended_amount=Decimal("100000.00"))
    step(app, "return_for_revision", world.clerk, comment="补充可行性研究")
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    app = step(app, "send_to_review", world.clerk)
    assert app.review_round == 2
    with pytest.raises(Conflict) as err:
        step(app, "publish", world.clerk)
    assert err.value.code == "reviews_incomplete"
    for expert in world.experts:  # the same experts review again, in the new round
        services.review_submit(application_id=app.pk, by=expert, score=85, recommended_amount=Decimal("300000.00"))
    no_publicity(world, "industrialization")
    step(app, "publish", world.clerk)
    no_publicity(world, "industrialization")
    assert step(app, "approve", world.finance).approved_amount == Decimal("300000.00")
    assert Review.objects.filter(application=app).count() == 6  # earlier rounds stay


def test_an_expert_reviews_once_per_round(world):
    app = industrialization_app(world)
    step(app, "submit", world.applicant1)
    step(app, "accept", world.clerk)
    step(app, "send_to_review", world.clerk)
    services.review_submit(application_id=app.pk, by=world.experts[0], score=80, recommended_amount=Decimal("1.00"))
    with pytest.raises(Conflict):
        services.review_submit(application_id=app.pk, by=world.experts[0], score=80,
                               recommended_amount=Decimal("1.00"))


# --- tranche limit: half up, written as a percentage -------------------------------------------

def test_the_tranche_limit_rounds_half_up_and_reads_as_a_percentage(world):
    Program.objects.filter(pk=world.programs["industrialization"].pk).update(first_tranche_share="0.5000")
    app = _reviewed(world, industrialization_app(world, amount="1000.25"), ["1000.25", "1000.25", "1000.25"])
    app = step(app, "approve", world.finance)
    with pytest.raises(Conflict) as err:
        step(app, "disburse", world.finance, data={"amount": "500.14", "voucher_no": "T-1"})
    assert err.value.code == "tranche_limit"
    assert "50%" in err.value.message and "500.13 元" in err.value.message and "E+" not in err.value.message
    app = step(app, "disburse", world.finance, data={"amount": "500.13", "voucher_no": "T-2"})  # 500.125 → 500.13
    assert app.disbursed_amount == Decimal("500.13")


def test_foreign_patent_rules_frozen_as_plain_strings(world):
    app = subsidy_app(world, patents=[factories.PatentFactory(owner=world.enterprise1)])
    step(app, "submit", world.applicant1)
    frozen = Application.objects.get(pk=app.pk).frozen_rules
    assert frozen["fee_share"] == "0.5000" and frozen["cap_per_applicant_year"] == "100000.00"


def test_a_foreign_grant_is_claimed_at_the_foreign_standard(world):
    ip_asset_register(by=world.applicant1, kind="patent", number="US 11,234,567 B2", title="一种保鲜装置",
                      granted_on=dt.date(world.year - 1, 5, 1), country="US")
    app = services.application_create(by=world.applicant1, program_code="application_subsidy", title="国外专利资助",
                                      details={"patents": ["US11234567B2"], "official_fees_paid": "60000.00"})
    assert app.requested_amount == Decimal("20000.00")
    assert app.patent_claims.get().patent.number == "US11234567"
