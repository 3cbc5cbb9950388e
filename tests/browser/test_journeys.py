"""Journeys through the real pages in Chromium, one role's step per test: the state before each step
is set up through the same services the pages call; the step itself is clicked and typed.

Every step is screenshotted (var/screenshots/<test>-NN-<step>.png); every page a test visits is
revisited at 390×844 (no horizontal overflow, nav toggler opens the menu).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.money import format_money
from funding import services as funding_services
from funding.models import Application
from funding.workflow import ProgramCode, State, Transition
from pledges import services as pledge_services
from tests.factories import PatentFactory, make_credit_code, make_patent_number

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect

FEES = Decimal("3000.00")  # official fees paid; a domestic invention is subsidised 1,000 元, ≤ 50% of fees
SUBSIDY = Decimal("1000.00")
# Known layout bugs in other engineers' pages (reported; the step that meets them xfails, nothing else).
# None at present: the application page's tables are wrapped in .table-responsive.
DETAIL_OVERFLOW: dict[str, str] = {}


@pytest.fixture
def subsidy_now(world):
    """The application subsidy without a public-notice wait, so approval can follow publication."""
    program = world.programs[ProgramCode.APPLICATION_SUBSIDY]
    program.publicity_days = 0
    program.save(update_fields=["publicity_days"])
    return program


def _subsidy_application(world, *, until: str) -> Application:
    """A subsidy application of applicant1 for one of its patents, moved through the workflow by the
    services (as the right users) until it is in state ``until``."""
    patent = PatentFactory(owner=world.enterprise1)
    app = funding_services.application_create(
        by=world.applicant1, program_code=ProgramCode.APPLICATION_SUBSIDY, title="2025年度发明专利资助",
        details={"patents": [patent.number], "official_fees_paid": FEES},
    )
    steps = [
        (Transition.SUBMIT, world.applicant1, {}),
        (Transition.ACCEPT, world.clerk, {}),
        (Transition.PUBLISH, world.clerk, {}),
        (Transition.APPROVE, world.finance, {}),
        (Transition.DISBURSE, world.finance, {"amount": SUBSIDY, "voucher_no": "CZ-BOOT-0001"}),
    ]
    for name, by, data in steps:
        if app.state == until:
            break
        app = funding_services.application_transition(application_id=app.pk, name=name, by=by, data=data)
    assert app.state == until
    return app


def _take(page, name: str, **fields: str) -> None:
    """Fill and send the detail page's form for transition ``name``."""
    form = page.locator(f"form[action$='/transitions/{name}/']")
    for field_name, value in fields.items():
        form.locator(f"[name={field_name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    confirm = page.locator("form:has(input[name=confirmed])")  # money or a decision: the confirmation page
    if confirm.count():
        pledge = confirm.locator("input[name=pledge_accepted]")  # a submission: the integrity pledge
        if pledge.count():
            pledge.check()
        confirm.locator("button[type=submit]").click()
        page.wait_for_load_state()


def _state_badge(page):
    return page.locator("main h1 .badge")


def test_applicant_registers_a_patent_and_submits_a_subsidy_application(ui, world, subsidy_now):
    last_year = timezone.localdate().year - 1
    number = make_patent_number(year=last_year)
    page = ui.login("applicant1")
    ui.shot(page, "home")

    page.goto(ui.url("/applicants/ip-assets/"))
    ui.shot(page, "my-assets")
    page.locator("main a[href$='/applicants/ip-assets/new/']").click()
    page.wait_for_load_state()
    page.locator("[name=kind]").select_option("patent")
    page.locator("[name=number]").fill(number)
    page.locator("[name=title]").fill("一种脆李低温保鲜方法")
    page.locator("[name=granted_on]").fill(datetime.date(last_year, 6, 1).isoformat())
    page.locator("[name=country]").fill("CN")
    ui.shot(page, "asset-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/applicants/ip-assets/$"))
    expect(page.locator("main")).to_contain_text(number)
    ui.shot(page, "asset-registered")

    page.goto(ui.url("/funding/"))
    ui.shot(page, "my-applications")
    page.locator(f"main a[href$='/funding/new/{ProgramCode.APPLICATION_SUBSIDY}/']").click()
    page.wait_for_load_state()
    page.locator("[name=title]").fill(f"{last_year}年度发明专利资助")
    page.locator("[name=patents]").fill(number)
    page.locator("[name=official_fees_paid]").fill(str(FEES))
    ui.shot(page, "subsidy-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/funding/\d+/$"))
    expect(_state_badge(page)).to_have_text(str(State.DRAFT.label))
    expect(page.locator("main")).to_contain_text(number)
    ui.shot(page, "draft")

    _take(page, Transition.SUBMIT)
    expect(page).to_have_url(re.compile(r"/funding/\d+/receipt/$"))  # the receipt (受理回执) first
    app = Application.objects.get(applicant=world.enterprise1)
    expect(page.locator("main")).to_contain_text(app.case_no)
    ui.shot(page, "receipt")
    page.goto(ui.url(f"/funding/{app.pk}/"))
    expect(_state_badge(page)).to_have_text(str(State.SUBMITTED.label))
    ui.shot(page, "submitted")

    assert app.state == State.SUBMITTED
    assert app.requested_amount == SUBSIDY
    ui.check_mobile(known=DETAIL_OVERFLOW)


def test_clerk_accepts_and_publishes_a_submitted_application(ui, world, subsidy_now):
    app = _subsidy_application(world, until=State.SUBMITTED)
    page = ui.login("clerk")
    page.goto(ui.url("/funding/intake/"))
    expect(page.locator("main table")).to_contain_text(app.title)
    ui.shot(page, "intake-queue")
    page.locator(f"main table a[href$='/funding/{app.pk}/']").first.click()
    page.wait_for_load_state()
    ui.shot(page, "submitted")

    _take(page, Transition.ACCEPT, comment="材料齐全，予以受理")
    expect(_state_badge(page)).to_have_text(str(State.ACCEPTED.label))
    ui.shot(page, "accepted")

    _take(page, Transition.PUBLISH, comment="拟资助，公示")
    expect(_state_badge(page)).to_have_text(str(State.PUBLICITY.label))
    expect(page.locator("section[aria-labelledby=h-history] table")).to_contain_text("clerk")
    ui.shot(page, "publicity")

    app.refresh_from_db()
    assert app.state == State.PUBLICITY
    ui.check_mobile(known=DETAIL_OVERFLOW)


def test_finance_approves_and_pays_with_a_voucher(ui, world, subsidy_now):
    app = _subsidy_application(world, until=State.PUBLICITY)
    page = ui.login("finance")
    page.goto(ui.url("/funding/approvals/"))
    expect(page.locator("main table")).to_contain_text(app.title)
    ui.shot(page, "approval-queue")
    page.locator(f"main table a[href$='/funding/{app.pk}/']").first.click()
    page.wait_for_load_state()
    ui.shot(page, "publicity")

    _take(page, Transition.APPROVE, comment="同意资助")
    expect(_state_badge(page)).to_have_text(str(State.APPROVED.label))
    ui.shot(page, "approved")

    _take(page, Transition.DISBURSE, amount=str(SUBSIDY), voucher_no="CZ-2026-0815")
    expect(_state_badge(page)).to_have_text(str(State.DISBURSED.label))
    expect(page.locator("section[aria-labelledby=h-pay] table")).to_contain_text("CZ-2026-0815")
    ui.shot(page, "disbursed")

    app.refresh_from_db()
    assert (app.state, app.approved_amount, app.disbursed_amount) == (State.DISBURSED, SUBSIDY, SUBSIDY)
    ui.check_mobile(known=DETAIL_OVERFLOW)


def test_applicant_sees_the_payment_on_its_application(ui, world, subsidy_now):
    app = _subsidy_application(world, until=State.DISBURSED)
    page = ui.login("applicant1")
    page.goto(ui.url("/funding/"))
    row = page.locator("main table tbody tr", has_text=app.title)
    expect(row).to_contain_text(str(State.DISBURSED.label))
    expect(row).to_contain_text(format_money(SUBSIDY))  # "1,000.00 元"
    ui.shot(page, "my-applications")
    row.locator(f"a[href$='/funding/{app.pk}/']").first.click()
    page.wait_for_load_state()
    expect(_state_badge(page)).to_have_text(str(State.DISBURSED.label))
    expect(page.locator("section[aria-labelledby=h-info] dl")).to_contain_text(format_money(SUBSIDY))
    expect(page.locator("section[aria-labelledby=h-pay] table")).to_contain_text("CZ-BOOT-0001")
    ui.shot(page, "detail-paid")
    ui.check_mobile(known=DETAIL_OVERFLOW)


def _loan(bank_user, *, contract_no: str, borrower: str) -> object:
    year = timezone.localdate().year
    return pledge_services.loan_register(by=bank_user, **{
        "contract_no": contract_no,
        "borrower_credit_code": make_credit_code(),
        "borrower_name": borrower,
        "principal": "3000000.00",
        "annual_rate": "0.0385",
        "start_date": f"{year}-03-01",
        "maturity_date": f"{year + 1}-02-28",
        "pledge_registration_no": "2026500000123",
        "rights": [{"kind": "patent", "number": make_patent_number(year=year - 2), "valuation": "4500000.00"}],
    })


def test_bank_user_sees_its_own_loans_only(ui, world):
    year = timezone.localdate().year
    own = _loan(world.bank1_user, contract_no=f"ABC-{year}-001", borrower="巫山县脆李专业合作社")
    _loan(world.bank2_user, contract_no=f"RCB-{year}-009", borrower="巫山县纽荷尔果业有限公司")
    page = ui.login("bank1")
    page.locator("header nav a.nav-link[href$='/pledges/']").click()
    page.wait_for_load_state()
    table = page.locator("main table")
    expect(table).to_contain_text(own.contract_no)
    expect(table).to_contain_text("巫山县脆李专业合作社")
    expect(table).to_contain_text(re.compile(r"3,?000,?000"))
    expect(table).not_to_contain_text(f"RCB-{year}-009")
    ui.shot(page, "loan-list")
    table.locator(f"a[href$='/pledges/{own.pk}/']").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(own.contract_no)
    expect(page.locator("main")).to_contain_text(own.rights.get().number)
    ui.shot(page, "loan-detail")
    ui.check_mobile()
