"""The bank's pages (issue #13 item 7): registering a loan and the detail page's actions, each
confirmed (figures and capitals) before the service runs, once per form."""

from decimal import Decimal

import pytest

from applicants.models import Applicant
from funding.models import Application
from pledges import services
from pledges.models import LoanEvent, LoanStatus, PledgeLoan, Recovery, Repayment
from tests.clients import page_client
from tests.pledges.bank_pages import action_post, confirm_post, edit_post, register_post
from tests.pledges.helpers import IN_TERM, compensated, register

pytestmark = pytest.mark.django_db
NEW = "/pledges/new/"


def _counts():
    return (PledgeLoan.objects.count(), Applicant.objects.count(), LoanEvent.objects.count(),
            Repayment.objects.count(), Recovery.objects.count(), Application.objects.count())


# --- the list page's buttons ----------------------------------------------------------------

def test_bank_users_get_the_register_and_import_buttons(world):
    body = page_client(world.bank1_user).get("/pledges/").content.decode()
    assert 'href="/pledges/new/"' in body and 'href="/pledges/import/"' in body


def test_oversight_staff_do_not(world):
    body = page_client(world.fincenter).get("/pledges/").content.decode()
    assert 'href="/pledges/new/"' not in body and 'href="/pledges/import/"' not in body


# --- registering --------------------------------------------------------------------------------

def test_register_end_to_end_with_a_confirmation_that_changes_nothing(world):
    client = page_client(world.bank1_user)
    assert client.get(NEW).status_code == 200
    before = _counts()
    data = register_post(principal="3000000", annual_rate="0.0385")
    first = client.post(NEW, data)
    assert first.status_code == 200
    assert [t.name for t in first.templates][0] == "pledges/confirm.html"
    text = first.content.decode()
    assert "3,000,000.00 元" in text and "叁佰万元整" in text  # the principal in figures and in capitals
    assert "4,500,000.00 元" in text and "肆佰伍拾万元整" in text  # each right's valuation
    assert "3.85%" in text
    assert _counts() == before  # the trial run was rolled back: no loan, no borrower, no event

    done = client.post(NEW, confirm_post(first))
    loan = PledgeLoan.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/pledges/{loan.pk}/"
    assert loan.bank == world.bank1 and loan.contract_no == data["contract_no"]
    assert loan.principal == Decimal("3000000.00") and loan.annual_rate == Decimal("0.0385")
    assert sorted(loan.rights.values_list("kind", flat=True)) == ["patent", "trademark"]  # the empty row left out
    assert loan.events.get().kind == "registered"


def test_a_double_submit_registers_once(world):
    client = page_client(world.bank1_user)
    confirmed = confirm_post(client.post(NEW, register_post()))
    first = client.post(NEW, confirmed)
    again = client.post(NEW, confirmed, follow=True)
    assert PledgeLoan.objects.count() == 1
    assert first["Location"] == again.redirect_chain[-1][0]  # back to the same loan
    assert "该表单已提交过，未重复办理" in again.content.decode()


def test_a_percentage_is_refused_on_the_rate_field_and_the_form_keeps_what_was_typed(world):
    response = page_client(world.bank1_user).post(NEW, register_post(annual_rate="3.85", contract_no="WS-TYPED-1"))
    assert [t.name for t in response.templates][0] == "pledges/loan_register.html"
    assert response.context["form"].errors["annual_rate"] == ["年利率应为小数，例如 0.0385，而不是 3.85"]
    text = response.content.decode()
    assert 'value="WS-TYPED-1"' in text and 'value="3.85"' in text
    assert PledgeLoan.objects.count() == 0


def test_a_wrong_check_digit_is_shown_on_its_field(world):
    response = page_client(world.bank1_user).post(NEW, register_post(borrower_credit_code="91500237MA5U52604A"))
    assert "borrower_credit_code" in response.context["form"].errors
    assert 'value="91500237MA5U52604A"' in response.content.decode()


def test_an_exponent_is_refused_by_the_money_field(world):
    response = page_client(world.bank1_user).post(NEW, register_post(principal="3e6"))
    assert response.context["form"].errors["principal"] == ['不接受科学计数法（如 2e5），请写成如 "200000.00"']


def test_a_duplicate_contract_is_an_error_on_the_contract_field(world):
    loan = register(world.bank1_user)
    response = page_client(world.bank1_user).post(NEW, register_post(contract_no=loan.contract_no))
    assert response.context["form"].errors["contract_no"] == [f"本行已登记合同编号为 {loan.contract_no} 的贷款"]


def test_a_right_already_pledged_is_shown_above_the_rights(world):
    loan = register(world.bank1_user)
    taken = loan.rights.get(kind="patent")
    rights = [{"kind": "patent", "number": taken.number, "valuation": "100.00"}]
    response = page_client(world.bank1_user).post(NEW, register_post(rights=rights))
    errors = response.context["form"].errors["rights"]
    assert len(errors) == 1 and taken.number in errors[0] and "已在其他有效质押贷款中质押" in errors[0]
    assert 'id="rights-errors"' in response.content.decode()


def test_a_refusal_at_the_confirmed_post_keeps_the_form_as_typed(world):
    client = page_client(world.bank1_user)
    data = register_post()
    confirmed = confirm_post(client.post(NEW, data))
    register(world.bank1_user, contract_no=data["contract_no"])  # someone else was quicker
    response = client.post(NEW, confirmed)
    assert response.status_code == 200
    assert response.context["form"].errors["contract_no"]
    assert f'value="{data["contract_no"]}"' in response.content.decode()
    assert PledgeLoan.objects.count() == 1


def test_rights_without_any_filled_row_are_refused(world):
    response = page_client(world.bank1_user).post(NEW, register_post(rights=[]))
    assert response.context["form"].errors["rights"] == ["至少需要一项质押的专利权或商标权"]


def test_add_a_row_keeps_what_was_typed_without_checking(world):
    data = {**register_post(principal="12"), "add_row": "1"}
    response = page_client(world.bank1_user).post(NEW, data)
    assert len(response.context["rights"].forms) == 4  # two rights, the empty row, and one more
    assert not response.context["form"].is_bound
    assert 'value="12"' in response.content.decode()


def test_go_back_and_change_shows_the_form_filled_in(world):
    client = page_client(world.bank1_user)
    data = register_post()
    back = client.post(NEW, edit_post(client.post(NEW, data)))
    assert [t.name for t in back.templates][0] == "pledges/loan_register.html"
    assert f'value="{data["contract_no"]}"' in back.content.decode()
    assert not back.context["form"].errors
    assert PledgeLoan.objects.count() == 0


@pytest.mark.parametrize("who", ["fincenter", "finance", "admin", "applicant1", "clerk"])
def test_only_bank_users_may_register(world, who):
    client = page_client(getattr(world, who))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, register_post()).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    assert client.get(NEW).status_code == 302


# --- the detail page's actions ----------------------------------------------------------------

def _names(response) -> list[str]:
    return [item["action"].name for item in response.context["bank_actions"]]


def test_detail_offers_the_actions_of_the_loans_status(world):
    client = page_client(world.bank1_user)
    active = register(world.bank1_user)
    assert _names(client.get(f"/pledges/{active.pk}/")) == ["repayment", "settle", "default"]
    done = compensated(world)
    assert _names(client.get(f"/pledges/{done.pk}/")) == ["recovery"]
    services.loan_settle(by=world.bank1_user, loan_id=active.pk)
    assert _names(client.get(f"/pledges/{active.pk}/")) == []
    assert _names(page_client(world.fincenter).get(f"/pledges/{done.pk}/")) == []


def _confirm_then_run(client, url, data):
    first = client.post(url, data)
    assert [t.name for t in first.templates][0] == "pledges/confirm.html"
    return first, client.post(url, confirm_post(first))


def test_repayment_end_to_end_once(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    url = f"/pledges/{loan.pk}/repayment/"
    before = _counts()
    first = client.post(url, action_post("repayment", date=IN_TERM, principal="500000", interest="28875.5"))
    text = first.content.decode()
    assert "500,000.00 元" in text and "伍拾万元整" in text
    assert "28,875.50 元" in text and "贰万捌仟捌佰柒拾伍元伍角" in text
    assert "2,500,000.00 元" in text  # the outstanding after the repayment
    assert _counts() == before
    confirmed = confirm_post(first)
    assert client.post(url, confirmed).status_code == 302
    assert client.post(url, confirmed).status_code == 302  # the double submit
    repayment = Repayment.objects.get()
    assert (repayment.principal, repayment.interest) == (Decimal("500000.00"), Decimal("28875.50"))
    assert PledgeLoan.objects.get(pk=loan.pk).outstanding_principal == Decimal("2500000.00")


def test_repayment_above_the_outstanding_is_an_error_on_principal_as_typed(world):
    loan = register(world.bank1_user)
    response = page_client(world.bank1_user).post(
        f"/pledges/{loan.pk}/repayment/", action_post("repayment", date=IN_TERM, principal="3000000.01", interest="0"))
    form = next(item["form"] for item in response.context["bank_actions"] if item["action"].name == "repayment")
    assert form.errors["principal"] == ["还款本金 3,000,000.01 元 超过贷款余额 3,000,000.00 元"]
    assert 'value="3000000.01"' in response.content.decode()
    assert not Repayment.objects.exists()


def test_settle_end_to_end(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    first, done = _confirm_then_run(client, f"/pledges/{loan.pk}/settle/", action_post("settle", date=IN_TERM))
    assert "3,000,000.00 元" in first.content.decode()  # the outstanding it settles
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SETTLED and not loan.rights.filter(live=True).exists()


def test_a_double_submit_of_settle_is_replayed_not_refused(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    url = f"/pledges/{loan.pk}/settle/"
    confirmed = confirm_post(client.post(url, action_post("settle", date=IN_TERM)))
    client.post(url, confirmed)
    again = client.post(url, confirmed, follow=True)
    assert "该表单已提交过，未重复办理" in again.content.decode()
    assert LoanEvent.objects.filter(loan=loan, kind="settled").count() == 1


def test_a_confirmation_refused_after_a_status_change_is_a_message(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    url = f"/pledges/{loan.pk}/repayment/"
    confirmed = confirm_post(client.post(url, action_post("repayment", date=IN_TERM, principal="1", interest="1")))
    services.loan_settle(by=world.bank1_user, loan_id=loan.pk)  # settled meanwhile (the API)
    response = client.post(url, confirmed, follow=True)
    assert "只有正常状态的贷款可以登记还款" in response.content.decode()
    assert not Repayment.objects.exists()


def test_default_end_to_end_shows_the_claim_before_opening_it(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    url = f"/pledges/{loan.pk}/default/"
    before = _counts()
    first = client.post(url, action_post("default", date=IN_TERM, outstanding_principal="2000000.00"))
    text = first.content.decode()
    assert "2,000,000.00 元" in text and "贰佰万元整" in text
    assert "800,000.00 元" in text  # the claim the rules give (40% of the outstanding), read from the trial run
    assert _counts() == before  # no claim opened by the trial run
    assert client.post(url, confirm_post(first)).status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DEFAULTED
    assert Application.objects.get(risk_claim__loan=loan).requested_amount == Decimal("800000.00")


def test_recovery_end_to_end(world):
    loan = compensated(world)
    client = page_client(world.bank1_user)
    first, done = _confirm_then_run(client, f"/pledges/{loan.pk}/recovery/",
                                    action_post("recovery", date=IN_TERM, amount="100000"))
    text = first.content.decode()
    assert "100,000.00 元" in text and "壹拾万元整" in text
    assert "40,000.00 元" in text  # the pool's share
    assert done.status_code == 302
    assert Recovery.objects.get().pool_share == Decimal("40000.00")


def test_an_action_the_status_does_not_allow_is_a_message(world):
    loan = register(world.bank1_user)
    services.loan_settle(by=world.bank1_user, loan_id=loan.pk)
    response = page_client(world.bank1_user).post(
        f"/pledges/{loan.pk}/repayment/", action_post("repayment", date=IN_TERM, principal="1", interest="1"),
        follow=True)
    assert "贷款当前状态为「已结清」，不能报送还款" in response.content.decode()
    assert not Repayment.objects.exists()


def test_go_back_from_an_action_confirmation(world):
    loan = register(world.bank1_user)
    client = page_client(world.bank1_user)
    url = f"/pledges/{loan.pk}/default/"
    first = client.post(url, action_post("default", date=IN_TERM, outstanding_principal="1234.56"))
    back = client.post(url, edit_post(first))
    assert 'value="1234.56"' in back.content.decode()
    assert PledgeLoan.objects.get(pk=loan.pk).status == LoanStatus.ACTIVE


ACTION_BODIES = {
    "repayment": {"date": IN_TERM, "principal": "1", "interest": "1"},
    "settle": {"date": IN_TERM},
    "default": {"date": IN_TERM, "outstanding_principal": "1"},
    "recovery": {"date": IN_TERM, "amount": "1"},
}


@pytest.mark.parametrize("action", list(ACTION_BODIES))
@pytest.mark.parametrize("who", ["fincenter", "finance", "admin", "applicant1"])
def test_actions_refuse_other_roles(world, action, who):
    loan = register(world.bank1_user)
    response = page_client(getattr(world, who)).post(f"/pledges/{loan.pk}/{action}/",
                                                    action_post(action, **ACTION_BODIES[action]))
    assert response.status_code == 403


@pytest.mark.parametrize("action", list(ACTION_BODIES))
def test_actions_on_another_banks_loan_are_404(world, action):
    loan = register(world.bank2_user)
    response = page_client(world.bank1_user).post(f"/pledges/{loan.pk}/{action}/",
                                                 action_post(action, **ACTION_BODIES[action]))
    assert response.status_code == 404


def test_actions_are_post_only(world):
    loan = register(world.bank1_user)
    assert page_client(world.bank1_user).get(f"/pledges/{loan.pk}/repayment/").status_code == 405
