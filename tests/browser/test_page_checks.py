"""The per-page checks of ``ui.check_pages`` themselves: what reads as a raw field key or machine word."""

import pytest

from tests.browser.conftest import raw_words


@pytest.mark.parametrize("text", [
    "单项上限：cap_per_project",
    "状态under_review",  # run into Chinese text
    "interest_subsidy 申请",
    "non_field_errors：金额必填",
    "评审意见：None",
    "已公示：True",
    "是否违约 False",
    "金额 undefined 元",
    "状态：draft",
    "操作：approve",
    "资金项目：industrialization",
    "[object Object]",
])
def test_a_raw_key_or_machine_word_is_found(text):
    assert raw_words(text)


@pytest.mark.parametrize("text", [
    "可行性_研究报告.pdf 已上传",  # a file name
    "project_plan.pdf",
    "clerk 2026-05-01 受理",  # usernames
    "finance admin expert1 bank1",
    "WS-ZL-2026-0007",
    "1,234,567.89 元",
    "Excel 模板 xlsx",
    "专利号 ZL202510012345.6",
    "Nonesuch Truecolor",  # words that merely begin like a literal
    "mailto:first_last@example.com",
    "/funding/new/interest_subsidy/",  # a path
])
def test_ordinary_page_text_is_not_flagged(text):
    assert raw_words(text) == []


# --- pages the journeys do not reach -------------------------------------------------------------
# ``ui.check_pages`` (axe-core, unformatted amounts, raw words) runs on both after the test.

def test_the_report_page_reads_in_wan_under_its_unit_lines(ui, world):
    expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
    page = ui.login("finance")
    page.goto(ui.url("/reports/budget/"))
    budget = page.locator("#section-budget")
    expect(budget.locator("#unit-budget")).to_have_text("单位：万元")
    expect(budget.locator("thead")).not_to_contain_text("（元）")
    ui.shot(page, "report-wan")
    ui.check_mobile()


def test_the_case_history_fits_1366_px_and_the_clerk_sees_the_drawn_experts(ui, world):
    from tests.funding.helpers import industrialization_app, step  # noqa: PLC0415  the services, as the pages call them

    expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
    app = industrialization_app(world, amount="300000.00")
    step(app, "submit", world.applicant1)
    step(app, "return_for_revision", world.clerk,
         comment="请补充项目可行性研究报告的第三章“市场分析”和第五章“资金使用计划”，并附近三年财务审计报告；"
                 "专利实施许可合同须加盖双方公章，备案号请一并填写。")
    step(app, "submit", world.applicant1, data={"pledge_accepted": True})
    step(app, "accept", world.clerk, comment="材料齐全，予以受理")
    step(app, "send_to_review", world.clerk, data={"draw": True})
    page = ui.login("clerk")
    page.goto(ui.url(f"/funding/{app.pk}/"))
    card = page.locator("#round-experts")
    expect(card).to_contain_text("随机抽取")
    expect(card).to_contain_text("从 3 名符合条件的专家中随机抽取 3 名")
    history = page.locator("section[aria-labelledby=h-history] .table-responsive")
    sizes = history.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] <= sizes[1], f"the history scrolls sideways at 1366 px: {sizes}"
    ui.shot(page, "case-history")
    ui.check_mobile()  # at 390 px the page does not overflow (the card may scroll inside)
