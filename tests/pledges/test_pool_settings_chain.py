"""A risk pool's settings are chained as each ``pool_save`` leaves them (``RiskPoolChange``), and
verify_audit compares every pool and its funders with its last record (``pool_setting_findings``):
the breaker, the leverage and the shares decide what the pool pays and who bears it, so an SQL edit
of any of them is a finding, and a save through the admin's service is not. The LPR table's months
that loans recorded as missing are compared too."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from core import audit_chain
from core.audit_chain import GENESIS, row_hash
from core.errors import Conflict
from funding.models import AuditChainHead
from funding.verify import ledger_violations
from pledges import pool
from pledges.audit import POOL_CHANGE_CHAIN
from pledges.models import LoanPrimeRate, RiskPool, RiskPoolChange, RiskPoolFunder
from pledges.pool_setup import _shown, pool_setting_findings, state_summary, states_of
from tests.pledges.helpers import register
from tests.pledges.test_programs import LAST_YEAR
from tests.pledges.test_risk_pool import CITY, COUNTY, make_pool

pytestmark = pytest.mark.django_db


def _findings() -> list[str]:
    return [*audit_chain.verify_all(audit_chain.registered()), *ledger_violations()]


def _save(world, saved, **changes):
    values = {"name": saved.name, "leverage": "5", "loss_breaker": "0.30", "loss_warning": "0.24"} | changes
    funders = [{"id": f.pk, "name": f.name, "share": str(f.share), "contribution": str(f.contribution)}
               for f in RiskPoolFunder.objects.filter(pool=saved).order_by("pk")]
    return pool.pool_save(by=world.admin, region=world.region, pool_id=saved.pk, funders=funders, **values)


def test_setting_up_a_pool_chains_its_settings_and_funders(world):
    saved = make_pool(world)
    change = RiskPoolChange.objects.get(pool=saved)
    assert change.by == world.admin and change.seq is not None
    assert change.state == {
        "name": "巫山县风险补偿资金池", "leverage": "5.00", "loss_breaker": "0.3000", "loss_warning": "0.2400",
        "funders": [{"id": f.pk, "name": f.name, "share": str(f.share), "contribution": str(f.contribution)}
                    for f in RiskPoolFunder.objects.filter(pool=saved).order_by("pk")]}
    assert [f["name"] for f in change.state["funders"]] == [CITY, COUNTY]
    assert _findings() == []


def test_each_save_through_the_service_appends_a_record_and_leaves_no_finding(world):
    saved = make_pool(world)
    _save(world, saved, leverage="8", loss_breaker="0.40")
    states = list(RiskPoolChange.objects.filter(pool=saved).order_by("id").values_list("state", flat=True))
    assert [(s["leverage"], s["loss_breaker"]) for s in states] == [("5.00", "0.3000"), ("8.00", "0.4000")]
    assert _findings() == []


@pytest.mark.tampers
def test_sql_raising_the_breaker_is_found_with_both_values(world):
    saved = make_pool(world)
    RiskPool.objects.filter(pk=saved.pk).update(loss_breaker=Decimal("1"))
    (finding,) = pool_setting_findings()
    assert f"#{saved.pk}" in finding and "熔断损失率记录为 30%、现为 100%" in finding
    assert finding in _findings()


@pytest.mark.tampers
def test_sql_moving_a_share_between_funders_is_found_per_funder(world):
    saved = make_pool(world)
    RiskPoolFunder.objects.filter(pool=saved, name=CITY).update(share=Decimal("0.10"))
    RiskPoolFunder.objects.filter(pool=saved, name=COUNTY).update(share=Decimal("0.90"))
    (finding,) = pool_setting_findings()
    assert f"出资方「{CITY}」的分担比例记录为 40%、现为 10%" in finding
    assert f"出资方「{COUNTY}」的分担比例记录为 60%、现为 90%" in finding


@pytest.mark.tampers
def test_a_funder_inserted_or_deleted_with_sql_is_found(world):
    saved = make_pool(world)
    RiskPoolFunder.objects.create(pool=saved, name="某银行", share=Decimal("0.01"), contribution=Decimal("1.00"))
    assert "出资方「某银行」没有记录" in pool_setting_findings()[0]
    RiskPoolFunder.objects.filter(name__in=["某银行", COUNTY]).delete()
    assert f"记录的出资方「{COUNTY}」已不在" in pool_setting_findings()[0]


@pytest.mark.tampers
def test_a_pool_inserted_with_sql_has_no_record(world):
    inserted = RiskPool.objects.create(region=world.region, name="后门资金池", leverage=Decimal("99"),
                                       loss_breaker=Decimal("1"), loss_warning=Decimal("1"))
    assert pool_setting_findings() == [f"风险补偿资金池 #{inserted.pk}「后门资金池」没有可信的设置记录，被绕过流程设立或改动"]


@pytest.mark.tampers
def test_a_record_edited_into_nonsense_is_a_finding_not_a_crash(world):
    saved = make_pool(world)
    RiskPoolChange.objects.filter(pool=saved).update(state={"loss_breaker": "x", "funders": "y"})
    findings = _findings()
    assert any("资金池设置记录" in f for f in findings)  # the chain: the record itself was edited
    assert any(f"#{saved.pk}" in f and "熔断损失率记录为 「x」" in f for f in findings)


def test_the_migration_records_the_pools_set_up_before_it(world):
    inserted = RiskPool.objects.create(region=world.region, name="旧资金池", leverage=Decimal("10"),
                                       loss_breaker=Decimal("0.3"), loss_warning=Decimal("0.2"))
    RiskPoolFunder.objects.create(pool=inserted, name=COUNTY, share=Decimal("1"), contribution=Decimal("100.00"))
    assert pool_setting_findings()
    migration = importlib.import_module("pledges.migrations.0008_risk_pool_change")
    migration.record_existing_pools(apps, None)
    assert RiskPoolChange.objects.get(pool=inserted).seq is not None
    assert _findings() == []


def test_the_admin_lists_the_records(world, admin_client):
    make_pool(world)
    page = admin_client.get("/admin/pledges/riskpoolchange/")
    assert page.status_code == 200
    assert "熔断 30%" in page.content.decode() and "放大 5.00 倍" in page.content.decode()


# --- forged and nonsense records (the review's attacks) ------------------------------------------

@pytest.mark.tampers
def test_a_record_inserted_with_sql_vouches_for_nothing(world):
    saved = make_pool(world)
    RiskPool.objects.filter(pk=saved.pk).update(loss_breaker=Decimal("1"))
    RiskPoolChange.objects.create(pool_id=saved.pk, state=states_of([saved.pk])[saved.pk])  # no ticket
    (finding,) = pool_setting_findings()
    assert "熔断损失率记录为 30%、现为 100%" in finding


@pytest.mark.tampers
@pytest.mark.parametrize("funder_id", [[1], {"a": 1}, None, "1"])
def test_a_record_edited_into_unhashable_ids_is_a_finding_not_a_crash(world, funder_id):
    saved = make_pool(world)
    RiskPoolChange.objects.filter(pool=saved).update(state={"funders": [{"id": funder_id, "name": "x"}]})
    findings = _findings()
    assert any(f"#{saved.pk}" in f and "没有记录" in f for f in findings)


@pytest.mark.tampers
def test_a_self_consistent_record_in_another_stream_is_a_finding(world):
    saved = make_pool(world)
    RiskPool.objects.filter(pk=saved.pk).update(loss_breaker=Decimal("1"))
    row = RiskPoolChange.objects.create(pool_id=saved.pk, state=states_of([saved.pk])[saved.pk], stream="x",
                                        seq=1, prev_hash=GENESIS, hash="")
    values = RiskPoolChange.objects.filter(pk=row.pk).values("pk", *POOL_CHANGE_CHAIN.columns).get()
    digest = row_hash(1, GENESIS, POOL_CHANGE_CHAIN.hashed(values.__getitem__))
    RiskPoolChange.objects.filter(pk=row.pk).update(hash=digest)
    AuditChainHead.objects.create(chain="risk_pool_change", stream="x", seq=1, hash=digest)
    findings = pool_setting_findings()
    assert f"资金池设置记录 #{row.pk} 不在该记录链的分区中，被绕过流程写入" in findings
    assert any("熔断损失率记录为 30%、现为 100%" in f for f in findings)


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity", "1E+999999999", "1e-999999999", [1], {"a": 1}])
def test_odd_recorded_values_are_shown_not_raised(text):
    for field in ("loss_breaker", "share", "contribution", "leverage", "name"):
        assert _shown(field, text)
    assert state_summary({"loss_breaker": text, "funders": [{"name": "a", "share": text}]})


@pytest.mark.tampers
def test_a_save_over_an_sql_edit_is_refused_and_says_what_differs(world):
    saved = make_pool(world)
    RiskPoolFunder.objects.filter(pool=saved, name=CITY).update(share=Decimal("0.10"))
    RiskPoolFunder.objects.filter(pool=saved, name=COUNTY).update(share=Decimal("0.90"))
    with pytest.raises(Conflict) as refused:
        _save(world, saved, leverage="8")
    assert refused.value.code == "pool_settings_tampered"
    assert f"出资方「{CITY}」的分担比例记录为 40%、现为 10%" in str(refused.value)
    assert RiskPoolChange.objects.filter(pool=saved).count() == 1 and pool_setting_findings()


@pytest.mark.tampers
def test_the_admin_form_refuses_a_save_over_an_sql_edit_with_the_reason(world, admin_client):
    saved = make_pool(world)
    RiskPool.objects.filter(pk=saved.pk).update(loss_breaker=Decimal("1"))
    funders = list(RiskPoolFunder.objects.filter(pool=saved).order_by("pk"))
    form = {"name": saved.name, "leverage": "8", "loss_breaker": "100%", "loss_warning": "24%",
            "funders-TOTAL_FORMS": "2", "funders-INITIAL_FORMS": "2", "funders-MIN_NUM_FORMS": "1",
            "funders-MAX_NUM_FORMS": "1000"}
    for i, funder in enumerate(funders):
        form.update({f"funders-{i}-id": str(funder.pk), f"funders-{i}-pool": str(saved.pk),
                     f"funders-{i}-name": funder.name, f"funders-{i}-share": f"{funder.share * 100:.0f}%",
                     f"funders-{i}-contribution": str(funder.contribution)})
    page = admin_client.post(f"/admin/pledges/riskpool/{saved.pk}/change/", form)
    assert page.status_code == 200  # the form again, with the reason; nothing saved
    assert "疑被绕过流程改动" in page.content.decode()
    assert RiskPool.objects.get(pk=saved.pk).leverage == Decimal("5.00")


# --- the LPR month a loan recorded as missing ---------------------------------------------------

@pytest.mark.tampers
def test_an_lpr_month_inserted_with_sql_after_a_loan_recorded_it_missing_is_found(world):
    loan = register(world.bank1_user, start_date=f"{LAST_YEAR}-03-01")
    assert _findings() == []
    LoanPrimeRate.objects.create(month=dt.date(LAST_YEAR, 2, 1), one_year=Decimal("0.0590"),
                                 five_year=Decimal("0.0600"))
    (finding,) = [f for f in _findings() if f"贷款 #{loan.pk}" in f]
    assert "5.9%" in finding and "（缺失）" in finding
