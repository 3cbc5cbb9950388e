"""Issue #14, item 5: the risk pool's limits — leverage at registration, the loss-ratio circuit breaker
and its warning, and several funders sharing each payout and each recovery (pledges.pool)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core import audit_chain
from core.errors import Conflict, DomainError, Invalid
from core.models import InboxMessage
from funding import services as funding_services
from funding.verify import ledger_violations
from pledges import pool, pool_shares, services
from pledges.models import PledgeLoan, RiskPool, RiskPoolFunder, RiskPoolShare
from tests.clients import api_client, page_client
from tests.factories import build_world, ensure_role_groups
from tests.pledges.helpers import IN_TERM, claim_of, defaulted, loan_body, register

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()
CITY, COUNTY = "重庆市知识产权局", "巫山县财政局"


def make_pool(world, *, leverage="5", breaker="0.30", warning="0.24", city="400000.00", county="600000.00"):
    """The world's county pool: city 40 % : county 60 %, 1,000,000 元 in all (× 5 → 5,000,000 covered)."""
    return pool.pool_save(by=world.admin, region=world.region, name="巫山县风险补偿资金池", leverage=leverage,
                          loss_breaker=breaker, loss_warning=warning, funders=[
                              {"name": CITY, "share": "0.40", "contribution": city},
                              {"name": COUNTY, "share": "0.60", "contribution": county}])


def accept(world, app):
    return funding_services.application_transition(application_id=app.pk, name="accept", by=world.fincenter)


def approve(world, app, amount=None):
    data = {"approved_amount": amount} if amount else {}
    return funding_services.application_transition(application_id=app.pk, name="approve", by=world.finance,
                                                   data=data)


def pay(world, app, amount=None):
    app = approve(world, accept(world, app), amount)
    return funding_services.application_transition(
        application_id=app.pk, name="disburse", by=world.finance,
        data={"amount": str(app.approved_amount), "voucher_no": f"V-POOL-{app.pk}"})


def parts(**where) -> dict[str, Decimal]:
    return dict(RiskPoolShare.objects.filter(**where).values_list("funder__name", "amount"))


# --- leverage --------------------------------------------------------------------------------------

def test_a_loan_beyond_leverage_times_the_pool_is_registered_but_not_covered(world):
    make_pool(world)
    first = register(world.bank1_user, principal="3000000.00")
    second = register(world.bank2_user, principal="2000000.01")  # 3,000,000 + 2,000,000.01 > 5 × 1,000,000
    assert first.risk_pool is not None
    assert second.risk_pool is None and PledgeLoan.objects.filter(pk=second.pk).exists()


def test_a_loan_that_just_fits_the_leverage_is_covered(world):
    make_pool(world)
    register(world.bank1_user, principal="3000000.00")
    assert register(world.bank2_user, principal="2000000.00").risk_pool is not None


def test_repayments_free_room_under_the_leverage(world):
    make_pool(world)
    first = register(world.bank1_user, principal="3000000.00")
    services.repayment_record(by=world.bank1_user, loan_id=first.pk,
                              **{"date": IN_TERM, "principal": "1000000.00", "interest": "0"})
    assert register(world.bank2_user, principal="3000000.00").risk_pool is not None


def test_the_registration_response_says_a_loan_is_not_covered(world):
    make_pool(world)
    register(world.bank1_user, principal="5000000.00")
    response = api_client(world.bank2_user).post("/api/v1/pledges/", loan_body(principal="1.00"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["risk_coverage"] == {"pool": "巫山县风险补偿资金池", "covered": False,
                                                "note": "超出资金池放大倍数，未纳入风险补偿"}


def test_the_loan_page_says_a_loan_is_not_covered(world):
    make_pool(world)
    register(world.bank1_user, principal="5000000.00")
    loan = register(world.bank2_user, principal="1.00")
    page = page_client(world.fincenter).get(reverse("pledges:loan_detail", args=[loan.pk])).content.decode()
    assert "超出资金池放大倍数，未纳入风险补偿" in page


def test_a_region_without_a_pool_covers_its_loans_as_before(world):
    loan = register(world.bank1_user)
    assert pool.coverage_of(loan).as_json() == {"pool": None, "covered": True, "note": ""}
    app = pay(world, defaulted(world, loan, "2000000.00"))
    assert app.disbursed_amount == Decimal("800000.00") and not RiskPoolShare.objects.exists()


def test_a_new_pool_covers_the_regions_live_loans_while_they_fit(world):
    older = register(world.bank1_user, principal="4000000.00")
    newer = register(world.bank2_user, principal="2000000.00")  # 4 + 2 > 5
    make_pool(world)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.risk_pool is not None and newer.risk_pool is None


# --- the circuit breaker ----------------------------------------------------------------------------

def test_below_the_breaker_a_covered_default_is_compensated(world):
    make_pool(world, leverage="10")
    register(world.bank2_user, principal="3000000.00")
    app = pay(world, defaulted(world, register(world.bank1_user, principal="3000000.00"), "2000000.00"))
    assert app.state == "disbursed" and app.disbursed_amount == Decimal("800000.00")


def test_the_breaker_tripped_between_default_and_approval_refuses_the_compensation(world):
    make_pool(world, leverage="10", breaker="0.10", warning="0.08")
    first = register(world.bank1_user, principal="3000000.00")
    second = register(world.bank2_user, principal="3000000.00")
    first_claim = defaulted(world, first, "2000000.00")
    second_claim = accept(world, defaulted(world, second, "2000000.00", bank_user=world.bank2_user))
    pay(world, first_claim)  # 800,000 of 6,000,000 covered: 13.33 % ≥ 10 %
    with pytest.raises(Conflict) as refused:
        approve(world, second_claim)
    assert refused.value.code == "pool_breaker_tripped"
    assert "13.33%" in refused.value.message and "10%" in refused.value.message
    assert claim_of(second).state == "accepted"


def test_an_uncovered_loans_default_is_not_compensated(world):
    make_pool(world)
    register(world.bank1_user, principal="5000000.00")
    uncovered = register(world.bank2_user, principal="1000000.00")
    app = accept(world, defaulted(world, uncovered, "500000.00", bank_user=world.bank2_user))
    with pytest.raises(Conflict) as refused:
        approve(world, app)
    assert refused.value.code == "loan_not_covered"


def test_the_approval_page_refuses_before_confirming_when_the_breaker_has_tripped(world):
    make_pool(world, leverage="10", breaker="0.10", warning="0.08")
    first = register(world.bank1_user, principal="3000000.00")
    second = accept(world, defaulted(world, register(world.bank2_user, principal="3000000.00"), "2000000.00",
                                     bank_user=world.bank2_user))
    pay(world, defaulted(world, first, "2000000.00"))
    with pytest.raises(Conflict) as refused:
        funding_services.check_transition(application=second, name="approve", by=world.finance)
    assert refused.value.code == "pool_breaker_tripped"


# --- the warning ------------------------------------------------------------------------------------

def _warnings(user) -> int:
    return InboxMessage.objects.filter(user=user, text__contains="已达预警线").count()


def test_the_warning_reaches_fin_center_and_finance_once_per_crossing(world):
    make_pool(world, leverage="10", breaker="0.50", warning="0.10")
    loans = [register(world.bank1_user, principal="3000000.00") for _ in range(3)]
    pay(world, defaulted(world, loans[0], "2000000.00"))  # 800,000 of 9,000,000: 8.89 %
    assert _warnings(world.fincenter) == 0
    pay(world, defaulted(world, loans[1], "1000000.00"))  # + 400,000: 13.33 % ≥ 10 %
    pay(world, defaulted(world, loans[2], "1000000.00"))  # + 400,000: 17.78 %, still above: no second message
    assert _warnings(world.fincenter) == 1 and _warnings(world.finance) == 1


def test_a_cancelled_registration_that_lifts_the_ratio_over_the_warning_warns(world):
    make_pool(world, leverage="10", breaker="0.50", warning="0.10")
    register(world.bank2_user, principal="3000000.00")
    mistaken = register(world.bank2_user, principal="3000000.00")
    pay(world, defaulted(world, register(world.bank1_user, principal="3000000.00"), "2000000.00"))  # 8.89 %
    services.loan_cancel(by=world.fincenter, loan_id=mistaken.pk, reason="重复登记")  # 800,000 of 6,000,000
    assert _warnings(world.finance) == 1


def test_the_loan_list_and_the_fin_center_home_show_the_warning(world):
    make_pool(world, leverage="10", breaker="0.50", warning="0.10")
    register(world.bank2_user, principal="3000000.00")
    pay(world, defaulted(world, register(world.bank1_user, principal="3000000.00"), "2000000.00"))  # 13.33 %
    client = page_client(world.fincenter)
    for url in (reverse("pledges:loan_list"), reverse("home")):
        assert "损失率 13.33%，已达预警线 10%" in client.get(url).content.decode(), url


# --- the funders' shares ----------------------------------------------------------------------------

@pytest.fixture
def shared(world):
    """A covered loan defaulted at 2,000,000, compensated 100,000.01 (40 : 60), then 1,000,000 recovered."""
    make_pool(world)
    loan = register(world.bank1_user)
    app = pay(world, defaulted(world, loan, "2000000.00"), amount="100000.01")
    recovery = services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                                        **{"date": TODAY, "amount": "1000000.00"})
    return loan, app, recovery


def test_two_funders_share_a_payout_to_the_fen(shared):
    _loan, app, _recovery = shared
    assert parts(application=app) == {CITY: Decimal("40000.00"), COUNTY: Decimal("60000.01")}


def test_two_funders_share_a_recovery_as_they_shared_the_payout(shared):
    _loan, _app, recovery = shared
    assert recovery.pool_share == Decimal("50000.01")  # 1,000,000 × 100,000.01 ÷ 2,000,000, half up
    assert parts(recovery=recovery) == {CITY: Decimal("20000.00"), COUNTY: Decimal("30000.01")}


def test_the_books_and_the_audit_are_clean_after_a_shared_payout_and_recovery(shared):
    assert ledger_violations() == []
    assert audit_chain.verify_all(audit_chain.registered()) == []


@pytest.mark.tampers
def test_an_sql_edit_of_a_payout_share_is_a_finding(shared):
    _loan, app, _recovery = shared
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pledges_riskpoolshare SET amount = amount + 1 WHERE application_id = %s "
                       "AND funder_id = (SELECT MIN(id) FROM pledges_riskpoolfunder)", [app.pk])
    findings = audit_chain.verify_all(audit_chain.registered())
    assert any(f"风险补偿申请 #{app.pk}：资金池出资方分担合计 100,001.01 元" in f for f in findings), findings


@pytest.mark.tampers
def test_an_sql_edit_of_a_recovery_share_is_a_finding(shared):
    _loan, _app, recovery = shared
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM pledges_riskpoolshare WHERE recovery_id = %s "
                       "AND funder_id = (SELECT MIN(id) FROM pledges_riskpoolfunder)", [recovery.pk])
    findings = audit_chain.verify_all(audit_chain.registered())
    assert any(f"追偿回收 #{recovery.pk}：资金池出资方分回合计 30,000.01 元" in f for f in findings), findings


def test_the_split_is_on_the_loan_page_and_in_the_loans_api_detail(shared, world):
    loan, _app, recovery = shared
    page = page_client(world.fincenter).get(reverse("pledges:loan_detail", args=[loan.pk])).content.decode()
    assert "60,000.01 元" in page and "30,000.01 元" in page
    body = api_client(world.bank1_user).get(f"/api/v1/pledges/{loan.pk}/").json()
    assert body["pool_shares"] == [
        {"kind": "compensation", "recovery": None, "date": None, "amount": "100000.01",
         "parts": [{"funder": CITY, "share": "0.4000", "amount": "40000.00"},
                   {"funder": COUNTY, "share": "0.6000", "amount": "60000.01"}]},
        {"kind": "recovery", "recovery": recovery.pk, "date": TODAY, "amount": "50000.01",
         "parts": [{"funder": CITY, "share": "0.4000", "amount": "20000.00"},
                   {"funder": COUNTY, "share": "0.6000", "amount": "30000.01"}]},
    ]


def test_the_case_page_shows_the_pool_and_the_split(shared, world):
    _loan, app, _recovery = shared
    page = page_client(world.finance).get(reverse("funding:detail", args=[app.pk])).content.decode()
    assert f"出资方分担：{CITY} 40,000.00 元，{COUNTY} 60,000.01 元" in page
    assert "资金池损失率 3.33%（预警线 24%，熔断线 30%）" in page  # 100,000.01 of 3,000,000


def test_the_rounding_remainder_goes_to_the_largest_share():
    assert pool_shares.split(Decimal("100000.01"), {1: Decimal("0.3333"), 2: Decimal("0.3334"), 3: Decimal("0.3333")}) \
        == {1: Decimal("33330.00"), 2: Decimal("33340.01"), 3: Decimal("33330.00")}


def test_a_few_fen_over_many_funders_split_without_a_negative_part():
    split = pool_shares.split(Decimal("0.02"), {i: Decimal("0.25") for i in range(1, 5)})
    assert sum(split.values()) == Decimal("0.02") and min(split.values()) >= 0


# --- setting a pool up ------------------------------------------------------------------------------

def test_the_funders_shares_must_sum_to_exactly_100_percent(world):
    with pytest.raises(Invalid) as refused:
        pool.pool_save(by=world.admin, region=world.region, name="资金池", leverage="10", loss_breaker="0.30",
                       loss_warning="0.24", funders=[{"name": CITY, "share": "0.40", "contribution": "1.00"},
                                                     {"name": COUNTY, "share": "0.5999", "contribution": "1.00"}])
    assert refused.value.errors == {"funders": ["各出资方分担比例之和应为 100%，现为 99.99%"]}


def test_the_warning_may_not_be_above_the_breaker(world):
    with pytest.raises(Invalid) as refused:
        make_pool(world, breaker="0.20", warning="0.24")
    assert refused.value.errors == {"loss_warning": ["预警损失率 24% 不能高于熔断损失率 20%"]}


def _admin_post(world, shares=("40%", "60%")):
    return page_client(world.admin).post(reverse("admin:pledges_riskpool_add"), {
        "region": world.region.pk, "name": "巫山县风险补偿资金池", "leverage": "10", "loss_breaker": "30%",
        "loss_warning": "24%",
        "funders-TOTAL_FORMS": "2", "funders-INITIAL_FORMS": "0", "funders-MIN_NUM_FORMS": "1",
        "funders-MAX_NUM_FORMS": "1000",
        "funders-0-name": CITY, "funders-0-share": shares[0], "funders-0-contribution": "2,000,000",
        "funders-1-name": COUNTY, "funders-1-share": shares[1], "funders-1-contribution": "300万",
    })


def test_the_admin_saves_a_pool_with_its_funders_in_percent(world):
    response = _admin_post(world)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = RiskPool.objects.get(region=world.region)
    assert (saved.leverage, saved.loss_breaker, saved.loss_warning) == (Decimal("10"), Decimal("0.3"), Decimal("0.24"))
    assert list(RiskPoolFunder.objects.filter(pool=saved).values_list("name", "share", "contribution")) == [
        (CITY, Decimal("0.4"), Decimal("2000000")), (COUNTY, Decimal("0.6"), Decimal("3000000"))]


def test_the_admin_refuses_shares_that_do_not_sum_to_100_percent(world):
    response = _admin_post(world, shares=("40%", "50%"))
    assert response.status_code == 200
    assert "各出资方分担比例之和应为 100%，现为 90%" in response.content.decode()
    assert not RiskPool.objects.exists()


def test_the_admin_changes_a_pools_shares(world):
    saved = make_pool(world)
    city, county = saved.funders.get(name=CITY), saved.funders.get(name=COUNTY)
    url = reverse("admin:pledges_riskpool_change", args=[saved.pk])
    client = page_client(world.admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "name": saved.name, "leverage": "5", "loss_breaker": "30%", "loss_warning": "24%",
        "funders-TOTAL_FORMS": "2", "funders-INITIAL_FORMS": "2", "funders-MIN_NUM_FORMS": "1",
        "funders-MAX_NUM_FORMS": "1000",
        "funders-0-id": city.pk, "funders-0-pool": saved.pk, "funders-0-name": CITY, "funders-0-share": "30%",
        "funders-0-contribution": "400000", "funders-1-id": county.pk, "funders-1-pool": saved.pk,
        "funders-1-name": COUNTY, "funders-1-share": "70%", "funders-1-contribution": "600000"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert dict(saved.funders.values_list("name", "share")) == {CITY: Decimal("0.3"), COUNTY: Decimal("0.7")}


def test_a_funder_with_shares_cannot_be_removed(shared, world):
    saved = RiskPool.objects.get(region=world.region)
    with pytest.raises(Conflict) as refused:
        pool.pool_save(by=world.admin, region=world.region, name=saved.name, leverage="5", loss_breaker="0.30",
                       loss_warning="0.24", pool_id=saved.pk,
                       funders=[{"name": COUNTY, "share": "1", "contribution": "600000.00",
                                 "id": saved.funders.get(name=COUNTY).pk}])
    assert refused.value.code == "funder_has_shares"


# --- a race on PostgreSQL ---------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_banks_registering_at_once_for_the_last_room_get_one_covered_loan(monkeypatch):
    ensure_role_groups()  # a transaction=True test flushes the data migration's groups
    world = build_world()
    make_pool(world)  # room for 5,000,000
    barrier = threading.Barrier(2)
    measured = pool._covered_outstanding

    def slow_measure(pool_id):  # widen the window between reading the room and writing the loan
        used = measured(pool_id)
        time.sleep(0.3)
        return used

    monkeypatch.setattr(pool, "_covered_outstanding", slow_measure)

    def run(user):
        try:
            barrier.wait()
            return register(user, principal="3000000.00").pk
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as executor:
        ids = list(executor.map(run, [world.bank1_user, world.bank2_user]))
    assert all(isinstance(i, int) for i in ids), ids
    assert PledgeLoan.objects.filter(pk__in=ids, risk_pool__isnull=False).count() == 1
    assert PledgeLoan.objects.filter(pk__in=ids).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_when_the_first_trips_the_breaker_approve_one(monkeypatch):
    ensure_role_groups()
    world = build_world()
    make_pool(world, leverage="10", breaker="0.10", warning="0.08")
    first, second, third = (register(world.bank1_user, principal="3000000.00") for _ in range(3))
    pay(world, defaulted(world, first, "2000000.00"))  # 800,000 of 9,000,000: 8.89 %
    claims = [accept(world, defaulted(world, loan, "2000000.00")) for loan in (second, third)]
    barrier = threading.Barrier(2)
    measured = pool.status_of

    def slow_status(of):  # widen the window between reading the ratio and committing the approval
        status = measured(of)
        time.sleep(0.3)
        return status

    monkeypatch.setattr(pool, "status_of", slow_status)

    def run(app):
        try:
            barrier.wait()
            approve(world, app)
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as executor:
        outcomes = list(executor.map(run, claims))
    assert sorted(outcomes) == ["ok", "pool_breaker_tripped"], outcomes
    assert audit_chain.verify_all(audit_chain.registered()) == [] and ledger_violations() == []
