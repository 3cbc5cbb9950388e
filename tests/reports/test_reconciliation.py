"""Every figure of the report equals the ledger to the fen."""

from decimal import Decimal

import pytest
from django.core.management import call_command, get_commands

from core.money import CENT, format_money
from funding import ledger
from funding.models import LedgerEntry
from reports import frames, selectors, services
from reports.document import dsum
from tests.clients import api_client

pytestmark = pytest.mark.django_db


def fen(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def budget_rows_by_code(report) -> dict:
    frame = report.section("budget").frame
    return {row["code"]: row for row in frame.to_dict("records")}


def test_each_program_figure_equals_the_ledger(populated, report):
    rows = budget_rows_by_code(report)
    for code, budget in populated.budgets.items():
        figures = ledger.budget_figures(budget)
        row = rows[code]
        assert row["allocated"] == fen(figures.allocated)
        assert row["committed"] == fen(figures.committed)
        assert row["disbursed"] == fen(figures.disbursed)
        assert row["available"] == fen(figures.available)
        assert row["recovered"] == fen(figures.recovered)
        assert row["rate"] == figures.execution_rate


def test_budget_totals_are_the_sum_of_the_ledger(populated, report):
    totals = report.section("budget").totals
    all_figures = [ledger.budget_figures(b) for b in populated.budgets.values()]
    for key in ("allocated", "committed", "disbursed", "available"):
        assert totals[key] == fen(sum((getattr(f, key) for f in all_figures), Decimal("0")))
    assert totals["allocated"] == totals["available"] + totals["committed"] + totals["disbursed"]


def test_allocated_is_initial_plus_adjustments_plus_recoveries(report):
    totals = report.section("budget").totals
    assert totals["allocated"] == totals["initial"] + totals["adjusted"] + totals["recovered"]
    assert totals["adjusted"] == report.section("adjustments").totals["amount"] == Decimal("376543.22")


def test_money_columns_hold_decimals_in_object_columns(report):
    for section in report.sections:
        for column in section.columns:
            if column.kind == "money" and not section.frame.empty:
                assert section.frame[column.key].dtype == object
                assert all(isinstance(v, Decimal) for v in section.frame[column.key])


@pytest.mark.parametrize("key", ["industry", "township", "tranches"])
def test_breakdowns_add_up_to_the_ledger_totals(populated, report, key):
    paid = fen(sum((ledger.budget_figures(b).disbursed for b in populated.budgets.values()), Decimal("0")))
    committed = fen(sum((ledger.budget_figures(b).committed for b in populated.budgets.values()), Decimal("0")))
    section = report.section(key)
    amount_key = "amount" if key == "tranches" else "disbursed"
    assert section.totals[amount_key] == dsum(section.frame[amount_key]) == paid
    if key != "tranches":
        assert section.totals["committed"] == committed


def test_tranches_count_every_payment_entry(populated, report):
    payments = LedgerEntry.objects.filter(kind="payment", budget__year=populated.year).count()
    assert report.section("tranches").totals["count"] == payments


def test_support_section_takes_subsidy_and_risk_figures_from_the_ledger(populated, report):
    support = {row["item"]: row["amount"] for row in report.section("support").frame.to_dict("records")}
    interest = ledger.budget_figures(populated.budgets["interest_subsidy"])
    risk = ledger.budget_figures(populated.budgets["risk_compensation"])
    assert support["质押贷款贴息已拨付（预算账）"] == fen(interest.disbursed)
    assert support["风险补偿已拨付（预算账）"] == fen(risk.disbursed)
    assert support["风险补偿追偿回流资金池（预算账）"] == fen(risk.recovered) == Decimal("12345.67")


def test_new_loans_by_bank_match_the_loans_written(populated, report):
    frame = report.section("loans").frame
    got = {row["name"]: (row["new_count"], row["new_principal"]) for row in frame.to_dict("records")}
    assert got == populated.data.new_loans_by_bank


def test_report_agrees_with_the_budgets_api(populated, report):
    response = api_client(populated.finance).get("/api/v1/budgets/", {"year": populated.year})
    if response.status_code == 404:
        pytest.skip("GET /api/v1/budgets/ not there yet; covered by test_each_program_figure_equals_the_ledger")
    assert response.status_code == 200
    results = response.json()
    results = results.get("results", results) if isinstance(results, dict) else results
    rows = budget_rows_by_code(report)
    for item in results:
        row = rows[item["program"]]
        for key in ("allocated", "committed", "disbursed", "available"):
            assert Decimal(item[key]) == row[key], (item["program"], key)


def test_the_data_behind_the_report_passes_verify_ledger(populated):
    if "verify_ledger" not in get_commands():
        pytest.skip("verify_ledger is not written yet")
    call_command("verify_ledger")


# --- 绩效: terminations' releases and clawbacks equal the ledger's entries of the year -------------
def _booked(world, kind: str, **filters) -> Decimal:
    entries = LedgerEntry.objects.filter(kind=kind, budget__program__region=world.region,
                                         booked_on__year=world.year, **filters)
    return fen(sum(entries.values_list("amount", flat=True), Decimal("0")))


def _closure_differences(world) -> list[str]:
    report = services.budget_report(year=world.year)
    return frames.closure_differences(report.section("closures"), selectors.closure_ledger_rows(world.region,
                                                                                                 world.year))


def test_released_and_clawed_back_equal_the_ledger_entries_of_the_year(performed, performance_report):
    totals = performance_report.section("closures").totals
    assert totals["clawed_back"] == _booked(performed, "clawback") == Decimal("50400.00")
    assert totals["released"] == _booked(performed, "release", application__state="terminated") == Decimal("120000.00")
    assert _booked(performed, "release") == Decimal("121000.00")  # the revocation's release is not a termination's
    assert _closure_differences(performed) == []
    assert "核对一致" in performance_report.section("closures").note


@pytest.mark.parametrize(("kind", "item"), [("clawback", "追回金额"), ("release", "终止释放承诺")])
def test_an_edited_ledger_amount_breaks_the_reconciliation(performed, kind, item):
    entry = LedgerEntry.objects.filter(kind=kind, application=performed.cases.terminated).get()
    edited = entry.amount - Decimal("0.01")
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=edited)  # an UPDATE around ledger.post
    differences = _closure_differences(performed)
    assert differences == [f"专利产业化资金：{item} {format_money(entry.amount)}，预算账分录为 {format_money(edited)}"]
    note = services.budget_report(year=performed.year).section("closures").note
    assert "与预算账核对不一致" in note and differences[0] in note
