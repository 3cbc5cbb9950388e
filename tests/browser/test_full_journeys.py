"""Whole journeys through the real pages in Chromium: every step is clicked and typed by the person
whose step it is (applicant, clerk, experts, finance, bank), one test per journey, each from a fresh
``world``. Only what has no page is set up directly: the program's publicity days (0, so approval may
follow publication the same day) and, for the subsidy, the applicant's registered patent.

Every step is screenshotted (var/screenshots/<test>-NN-<step>.png); every page a test visits is
revisited at 1366 and 390 px by ``ui.check_pages`` (axe-core, unformatted amounts) and at 390 px by
``ui.check_mobile`` (no horizontal overflow, nav toggler opens the menu). That revisit sees a case
page in its last state only, so the states met on the way (验收中, 已验收) get axe-core here too; and
every page the journeys land on must read in Chinese (no run of English words in ``main``).
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.money import format_capitals, format_money
from funding.models import Application
from funding.workflow import ProgramCode, State
from pledges.models import PledgeLoan
from tests.factories import PatentFactory, make_credit_code, make_patent_number

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
openpyxl = pytest.importorskip("openpyxl", reason="the Excel import needs openpyxl")
Axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="needs axe-playwright-python").Axe

# A one-page PDF: what the document upload sniffs (``%PDF-``) and stores.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _uploads_elsewhere(settings, tmp_path):
    """Documents uploaded by the journeys land in the test's directory, not in var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


def _no_notice_wait(world, code: str) -> None:
    """Approval may follow publication the same day: the program's notice lasts 0 days."""
    program = world.programs[code]
    program.publicity_days = 0
    program.save(update_fields=["publicity_days"])


# --- moving through the pages ------------------------------------------------------------------

def _click(page, target, *, refusal_expected: bool = False) -> None:
    """Click something that loads a new page (a link or a form's button) and wait for that page,
    which must show no error (a refused form names its problem: the test says which)."""
    with page.expect_navigation():
        target.click()
    page.wait_for_load_state()
    _chinese_only(page)
    if refusal_expected:
        return
    errors = page.locator("main .alert-danger, main .invalid-feedback")
    texts = [errors.nth(i).inner_text().strip() for i in range(errors.count())]
    assert not texts, f"{page.url} refused: {texts}"


# Two or more Latin words in a row: an untranslated string on the Chinese pages (identifiers, usernames
# and amounts carry digits or stand alone, so they do not match).
ENGLISH = re.compile(r"(?<![\w-])[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,})+(?![\w-])")
LATIN_ALLOWED = {"Excel", "PDF", "JPG", "PNG", "xlsx", "pdf"}


def _chinese_only(page) -> None:
    text = page.locator("main").inner_text()
    found = [m.group(0) for m in ENGLISH.finditer(text) if not set(re.split(r"[ ,;:]+", m.group(0))) <= LATIN_ALLOWED]
    assert not found, f"English on the Chinese page {page.url}: {found}"


def _accessible(page) -> None:
    """axe-core on the page as it is now: for states the end-of-test revisit no longer sees."""
    results = Axe().run(page)
    serious = [f"{v['id']}: {v['help']} — " + "; ".join(" ".join(n.get("target", [])) for n in v["nodes"][:3])
               for v in results.response.get("violations", []) if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{page.url}:\n" + "\n".join(serious)


def _goto(page, url: str) -> None:
    page.goto(url)
    _chinese_only(page)


def _badge(page):
    return page.locator("main h1 .badge")


def _open_case(page, ui, queue: str, app: Application) -> None:
    """From a queue page (intake, reviews, approvals, my applications) to the case's page."""
    _goto(page, ui.url(queue))
    row = page.locator("main table tbody tr", has_text=app.title)
    expect(row).to_be_visible()
    _click(page, row.locator(f"a[href$='/funding/{app.pk}/']").first)


def _action_form(page, name: str):
    form = page.locator(f"form#action-{name}")
    expect(form).to_be_visible()
    return form


def _fill(form, **fields: str) -> None:
    for field_name, value in fields.items():
        form.locator(f"[name={field_name}]").fill(value)


def _send(page, form) -> None:
    """The action form's own (first) submit button: the confirmation or the result follows."""
    _click(page, form.locator("button[type=submit]").first)


def _confirm_form(page):
    form = page.locator("main form:has(input[name=confirmed])")
    expect(form).to_be_visible()
    return form


def _confirm(page, *, pledge: bool = False) -> None:
    form = _confirm_form(page)
    if pledge:  # a submission: the integrity pledge (诚信承诺书)
        form.locator("input[name=pledge_accepted]").check()
    _click(page, form.locator("button[type=submit]"))


def _amount_confirmed(page, amount: Decimal) -> None:
    """The confirmation repeats ``amount`` in figures (1,234.00 元) and in capitals (壹仟贰佰…)."""
    main = page.locator("main")
    expect(main.locator(".confirm-amount", has_text=format_money(amount)).first).to_be_visible()
    expect(main.locator(".confirm-capitals", has_text=format_capitals(amount)).first).to_be_visible()


def _upload(page, kind: str, name: str, content: bytes = PDF) -> None:
    form = page.locator("section[aria-labelledby=h-docs] form[enctype='multipart/form-data']")
    form.locator("[name=kind]").fill(kind)
    form.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": content}])
    _click(page, form.locator("button[type=submit]"))
    expect(page.locator("section[aria-labelledby=h-docs] ul")).to_contain_text(kind)


def _submit_with_pledge(page, ui, prefix: str) -> None:
    """The draft's 提交: the confirmation with the integrity pledge, then the receipt (受理回执)."""
    _send(page, _action_form(page, "submit"))
    expect(page.locator("#pledge-text")).to_be_visible()
    ui.shot(page, f"{prefix}-submit-confirmation")
    _confirm(page, pledge=True)
    expect(page).to_have_url(re.compile(r"/funding/\d+/receipt/$"))


def _register_patent(page, ui, number: str, title: str) -> None:
    """The applicant's own page: 知识产权 → 登记."""
    _goto(page, ui.url("/applicants/ip-assets/"))
    _click(page, page.locator("main a[href$='/applicants/ip-assets/new/']"))
    page.locator("[name=kind]").select_option("patent")
    page.locator("[name=number]").fill(number)
    page.locator("[name=title]").fill(title)
    page.locator("[name=granted_on]").fill(datetime.date(timezone.localdate().year - 1, 6, 1).isoformat())
    page.locator("[name=country]").fill("CN")
    ui.shot(page, "asset-form")
    _click(page, page.locator("main form button[type=submit]"))
    expect(page.locator("main")).to_contain_text(number)
    ui.shot(page, "asset-registered")


def _send_to_review(page, ui) -> None:
    """The clerk's 送专家评审: the random draw when the page offers it, else every expert ticked."""
    form = _action_form(page, "send_to_review")
    ui.shot(page, "send-to-review-form")
    draw = form.locator("button[name=draw]")
    if draw.count():
        _click(page, draw.first)
    else:
        boxes = form.locator("input[type=checkbox][name=experts]:not([disabled])")
        for i in range(boxes.count()):
            boxes.nth(i).check()
        _send(page, form)
    if page.locator("main form:has(input[name=confirmed])").count():  # a confirmation, if the step asks
        ui.shot(page, "send-to-review-confirmation")
        _confirm(page)


def _score(page, *, score: int, recommended: Decimal, comment: str) -> None:
    """The expert's review form: one input per item of the 评分细则 when shown, else the one score."""
    form = page.locator("section[aria-labelledby=h-score] form")
    expect(form).to_be_visible()
    items = form.locator("input[name^=item_]")
    if items.count():
        for i in range(items.count()):
            top = items.nth(i).get_attribute("max")
            items.nth(i).fill(str(round(int(top) * score / 100)) if top else str(score))
    else:
        form.locator("[name=score]").fill(str(score))
    form.locator("[name=recommended_amount]").fill(str(recommended))
    form.locator("[name=comment]").fill(comment)


def _forget(ui, path_prefix: str) -> None:
    """A download is no page to revisit (``check_pages`` would navigate into the file)."""
    ui.visited[:] = [(user, path) for user, path in ui.visited if not path.startswith(path_prefix)]


# --- 1. 专利产业化: two tranches around 验收 -----------------------------------------------------

REQUESTED = Decimal("160000.00")
# Each at most the request; their mean, 150,000, bounds the approval (funding.bounds.expert_limit).
RECOMMENDED = (Decimal("140000.00"), Decimal("150000.00"), Decimal("160000.00"))
APPROVED = Decimal("150000.00")
SCORES = (85, 80, 90)


def test_industrialization_project_paid_in_two_tranches_around_acceptance(ui, world):
    program = world.programs[ProgramCode.INDUSTRIALIZATION]
    assert program.required_documents == []  # tests/factories.PROGRAM_DEFAULTS sets none
    _no_notice_wait(world, ProgramCode.INDUSTRIALIZATION)
    number = make_patent_number(year=timezone.localdate().year - 2)
    title = "脆李冷链保鲜技术产业化项目"

    # applicant1: the patent in its registry, the guide, the form, the draft, a document, the submission
    page = ui.login("applicant1")
    _register_patent(page, ui, number, "一种脆李冷链保鲜方法")
    _goto(page, ui.url(f"/funding/programs/{ProgramCode.INDUSTRIALIZATION}/"))
    expect(page.locator("#guide-formula")).to_contain_text("60%")
    ui.shot(page, "guide")
    _click(page, page.locator("#start-application"))
    expect(page).to_have_url(re.compile(rf"/funding/new/{ProgramCode.INDUSTRIALIZATION}/$"))
    page.locator("[name=title]").fill(title)
    patent = page.locator(f"input[name=registered_patents][value='{number}']")
    expect(patent).to_be_enabled()  # picked from the registry: eligible
    patent.check()
    page.locator("[name=total_investment]").fill("1200000")
    page.locator("[name=self_funding]").fill("800000")
    page.locator("[name=expected_output_value]").fill("3000000")
    page.locator("[name=jobs]").fill("12")
    page.locator("[name=requested_amount]").fill(str(REQUESTED))
    ui.shot(page, "application-form")
    _click(page, page.locator("main form button[type=submit]", has_text=re.compile("草稿|保存")))
    expect(page).to_have_url(re.compile(r"/funding/\d+/$"))
    expect(_badge(page)).to_have_text(str(State.DRAFT.label))
    info = page.locator("section[aria-labelledby=h-info]")
    expect(info).to_contain_text(number)
    expect(info).to_contain_text(format_money(REQUESTED))
    expect(info).to_contain_text("1,200,000.00")
    ui.shot(page, "draft")
    _upload(page, "项目可行性研究报告", "可行性研究报告.pdf")
    ui.shot(page, "draft-with-document")
    _submit_with_pledge(page, ui, "application")
    app = Application.objects.get(applicant=world.enterprise1, program=program)
    expect(page.locator("#receipt-case-no")).to_have_text(app.case_no)
    expect(page.locator("main")).to_contain_text(format_money(REQUESTED))
    ui.shot(page, "receipt")

    # clerk: 受理, then 送专家评审
    page = ui.login("clerk")
    _open_case(page, ui, "/funding/intake/", app)
    expect(_badge(page)).to_have_text(str(State.SUBMITTED.label))
    ui.shot(page, "clerk-submitted")
    form = _action_form(page, "accept")
    _fill(form, comment="材料齐全，予以受理")
    _send(page, form)
    expect(_badge(page)).to_have_text(str(State.ACCEPTED.label))
    ui.shot(page, "clerk-accepted")
    _send_to_review(page, ui)
    expect(_badge(page)).to_have_text(str(State.UNDER_REVIEW.label))
    ui.shot(page, "clerk-under-review")

    # expert1..3: each scores it on their review form
    for i, (score, recommended) in enumerate(zip(SCORES, RECOMMENDED, strict=True), start=1):
        page = ui.login(f"expert{i}")
        _open_case(page, ui, "/funding/reviews/", app)
        _score(page, score=score, recommended=recommended, comment=f"专家{i}：技术成熟，市场前景良好")
        ui.shot(page, f"expert{i}-review-form")
        _click(page, page.locator("section[aria-labelledby=h-score] form button[type=submit]"))
        expect(page.locator("section[aria-labelledby=h-score]")).to_have_count(0)  # reviewed: the form is gone
        ui.shot(page, f"expert{i}-reviewed")
    app.refresh_from_db()
    assert app.reviews.filter(round=app.review_round).count() == 3

    # clerk: 公示 (0 days)
    page = ui.login("clerk")
    _open_case(page, ui, "/funding/intake/", app)
    expect(page.locator("section[aria-labelledby=h-rev]")).to_be_visible()
    expect(page.locator("#summary-recommended")).to_contain_text(format_money(APPROVED))  # the mean
    ui.shot(page, "clerk-reviews-done")
    form = _action_form(page, "publish")
    _fill(form, comment="专家评审通过，拟资助，予以公示")
    _send(page, form)
    expect(_badge(page)).to_have_text(str(State.PUBLICITY.label))
    ui.shot(page, "clerk-publicity")

    # finance: 批准 (figures and capitals), the first tranche (60 %), the rest shown disabled
    page = ui.login("finance")
    _open_case(page, ui, "/funding/approvals/", app)
    ui.shot(page, "finance-publicity")
    _send(page, _action_form(page, "approve"))
    _amount_confirmed(page, APPROVED)
    expect(page.locator("main .confirm-capitals").first).to_contain_text("壹拾")
    ui.shot(page, "finance-approve-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.APPROVED.label))
    app.refresh_from_db()
    assert app.approved_amount == APPROVED
    first = (APPROVED * program.first_tranche_share).quantize(Decimal("0.01"))
    assert first == Decimal("90000.00")
    form = _action_form(page, "disburse")
    assert Decimal(form.locator("[name=amount]").input_value()) == first  # prefilled: what may be paid now, 60 %
    expect(form.locator("#disburse-amount-help")).to_contain_text("验收前最多拨付")
    _fill(form, voucher_no="CZ-2026-0101")
    ui.shot(page, "finance-first-tranche-form")
    _send(page, form)
    _amount_confirmed(page, first)
    expect(page.locator("main")).to_contain_text("CZ-2026-0101")
    ui.shot(page, "finance-first-tranche-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.APPROVED.label))
    expect(page.locator("section[aria-labelledby=h-pay] table")).to_contain_text("CZ-2026-0101")
    blocked = page.locator("#blocked-disburse")
    expect(blocked.locator("button")).to_be_disabled()
    expect(blocked).to_contain_text("验收前最多拨付")
    expect(blocked).to_contain_text(format_money(first))
    expect(page.locator("form#action-disburse")).to_have_count(0)
    ui.shot(page, "finance-second-tranche-blocked")

    # applicant1: 验收报告, then 提交验收 with the outcomes
    page = ui.login("applicant1")
    _open_case(page, ui, "/funding/", app)
    expect(page.locator("section[aria-labelledby=h-completion]")).to_contain_text("验收报告")
    ui.shot(page, "applicant-approved")
    expect(page.locator("section[aria-labelledby=h-docs] [name=kind]")).to_have_value("验收报告")  # offered
    _upload(page, "验收报告", "项目验收报告.pdf")
    expect(page.locator("section[aria-labelledby=h-completion]")).to_have_count(0)
    form = _action_form(page, "submit_completion")
    _fill(form, output_value="3200000", jobs="15", patents_implemented="1", comment="项目已按计划建成投产")
    ui.shot(page, "applicant-completion-form")
    _send(page, form)
    expect(page.locator("main")).to_contain_text("3,200,000.00")
    _amount_confirmed(page, APPROVED - first)
    ui.shot(page, "applicant-completion-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.COMPLETION_REVIEW.label))
    _accessible(page)  # the 验收中 badge is readable
    ui.shot(page, "applicant-completion-submitted")

    # clerk: 验收通过, grade 优秀
    page = ui.login("clerk")
    _open_case(page, ui, "/funding/intake/", app)
    info = page.locator("section[aria-labelledby=h-info]")  # what the project reports it achieved
    expect(info.locator("#outcome-output-value-shown")).to_have_text(format_money(Decimal("3200000")))
    expect(info.locator("#outcome-jobs-shown")).to_have_text("15")
    expect(info.locator("#outcome-patents-shown")).to_have_text("1")
    form = _action_form(page, "pass_completion")
    form.locator("select[name=grade]").select_option(label="优秀")
    _fill(form, comment="验收合格，成效显著")
    ui.shot(page, "clerk-completion-form")
    _send(page, form)
    expect(page.locator("main")).to_contain_text("优秀")
    ui.shot(page, "clerk-completion-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.COMPLETED.label))
    _accessible(page)  # the 已验收 badge is readable
    ui.shot(page, "clerk-completed")

    # finance: the rest
    rest = APPROVED - first
    page = ui.login("finance")
    _open_case(page, ui, "/funding/approvals/", app)
    form = _action_form(page, "disburse")
    assert Decimal(form.locator("[name=amount]").input_value()) == rest
    _fill(form, voucher_no="CZ-2026-0202")
    ui.shot(page, "finance-rest-form")
    _send(page, form)
    _amount_confirmed(page, rest)
    ui.shot(page, "finance-rest-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.DISBURSED.label))
    ui.shot(page, "finance-disbursed")

    # applicant1: 已拨付, the payments, the history with amounts, vouchers and the grade
    page = ui.login("applicant1")
    _goto(page, ui.url("/funding/"))
    row = page.locator("main table tbody tr", has_text=title)
    expect(row).to_contain_text(str(State.DISBURSED.label))
    expect(row).to_contain_text(format_money(REQUESTED))
    expect(row).to_contain_text(format_money(APPROVED))
    ui.shot(page, "applicant-list-paid")
    _click(page, row.locator(f"a[href$='/funding/{app.pk}/']").first)
    expect(_badge(page)).to_have_text(str(State.DISBURSED.label))
    payments = page.locator("section[aria-labelledby=h-pay] table tbody")
    expect(payments.locator("tr")).to_have_count(2)
    expect(payments.locator("tr", has_text="CZ-2026-0101")).to_contain_text(format_money(first))
    expect(payments.locator("tr", has_text="CZ-2026-0202")).to_contain_text(format_money(rest))
    history = page.locator("section[aria-labelledby=h-history] table tbody")
    expect(history.locator("tr", has_text="CZ-2026-0101")).to_contain_text(format_money(first))
    expect(history.locator("tr", has_text="CZ-2026-0202")).to_contain_text(format_money(rest))
    expect(history.locator("tr", has_text="验收通过")).to_contain_text("优秀")
    expect(page.locator("section[aria-labelledby=h-info] dl")).to_contain_text(format_money(APPROVED))
    ui.shot(page, "applicant-paid")

    app.refresh_from_db()
    assert (app.state, app.approved_amount, app.disbursed_amount) == (State.DISBURSED, APPROVED, APPROVED)
    ui.check_mobile()


# --- 2. 专利资助: the whole case through the pages ------------------------------------------------

FEES = Decimal("3000.00")
SUBSIDY = Decimal("1000.00")  # a domestic invention: 1,000 元, at most half of the official fees


def test_subsidy_from_the_guide_to_the_payment(ui, world):
    """test_journeys.py walks each role's step from a state the services set up; this is the same
    case walked end to end through the pages, from the guide to the payment the applicant sees."""
    _no_notice_wait(world, ProgramCode.APPLICATION_SUBSIDY)
    patent = PatentFactory(owner=world.enterprise1, title="一种纽荷尔脐橙分选装置")
    title = f"{timezone.localdate().year - 1}年度发明专利资助"

    page = ui.login("applicant1")
    _goto(page, ui.url(f"/funding/programs/{ProgramCode.APPLICATION_SUBSIDY}/"))
    ui.shot(page, "guide")
    _click(page, page.locator("#start-application"))
    page.locator("[name=title]").fill(title)
    page.locator(f"input[name=registered_patents][value='{patent.number}']").check()
    page.locator("[name=official_fees_paid]").fill(str(FEES))
    ui.shot(page, "form")
    _click(page, page.locator("main form button[type=submit]", has_text=re.compile("草稿|保存")))
    expect(_badge(page)).to_have_text(str(State.DRAFT.label))
    expect(page.locator("#amount-explained")).to_contain_text(format_money(SUBSIDY))
    ui.shot(page, "draft")
    _submit_with_pledge(page, ui, "subsidy")
    app = Application.objects.get(applicant=world.enterprise1)
    expect(page.locator("#receipt-case-no")).to_have_text(app.case_no)
    ui.shot(page, "receipt")

    page = ui.login("clerk")
    _open_case(page, ui, "/funding/intake/", app)
    form = _action_form(page, "accept")
    _fill(form, comment="材料齐全，予以受理")
    _send(page, form)
    expect(_badge(page)).to_have_text(str(State.ACCEPTED.label))
    form = _action_form(page, "publish")
    _fill(form, comment="拟资助，公示")
    _send(page, form)
    expect(_badge(page)).to_have_text(str(State.PUBLICITY.label))
    ui.shot(page, "clerk-publicity")

    page = ui.login("finance")
    _open_case(page, ui, "/funding/approvals/", app)
    _send(page, _action_form(page, "approve"))
    _amount_confirmed(page, SUBSIDY)
    ui.shot(page, "finance-approve-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.APPROVED.label))
    form = _action_form(page, "disburse")
    assert Decimal(form.locator("[name=amount]").input_value()) == SUBSIDY  # paid in one go
    _fill(form, voucher_no="CZ-2026-0815")
    _send(page, form)
    _amount_confirmed(page, SUBSIDY)
    ui.shot(page, "finance-disburse-confirmation")
    _confirm(page)
    expect(_badge(page)).to_have_text(str(State.DISBURSED.label))

    page = ui.login("applicant1")
    _open_case(page, ui, "/funding/", app)
    expect(_badge(page)).to_have_text(str(State.DISBURSED.label))
    expect(page.locator("section[aria-labelledby=h-pay] table")).to_contain_text("CZ-2026-0815")
    expect(page.locator("section[aria-labelledby=h-pay] table")).to_contain_text(format_money(SUBSIDY))
    ui.shot(page, "applicant-paid")
    ui.check_mobile()


# --- 3. a bank: one loan on the form, a repayment, then an Excel batch ----------------------------

def _register_loan_on_the_form(page, ui, *, contract_no: str, credit_code: str, name: str, principal: str,
                               start: datetime.date, maturity: datetime.date, right_number: str,
                               valuation: str) -> PledgeLoan:
    _goto(page, ui.url("/pledges/"))
    _click(page, page.locator("main a[href$='/pledges/new/']"))
    form = page.locator("form#register-form")
    _fill(form, contract_no=contract_no, borrower_credit_code=credit_code, borrower_name=name, principal=principal,
          annual_rate="0.0385", start_date=start.isoformat(), maturity_date=maturity.isoformat(),
          pledge_registration_no="2026500000123")
    form.locator("[name=rights-0-kind]").select_option("patent")
    _fill(form, **{"rights-0-number": right_number, "rights-0-valuation": valuation})
    ui.shot(page, "register-form")
    _click(page, form.locator("div.mt-3 button[type=submit]"))
    confirm = _confirm_form(page)
    _amount_confirmed(page, Decimal(principal))
    expect(page.locator("main")).to_contain_text(contract_no)
    ui.shot(page, "register-confirmation")
    _click(page, confirm.locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/pledges/\d+/$"))
    expect(page.locator("main h1")).to_contain_text(contract_no)
    ui.shot(page, "loan-registered")
    return PledgeLoan.objects.get(contract_no=contract_no)


def _report_repayment(page, ui, *, on: datetime.date, principal: str, interest: str) -> None:
    form = page.locator("form#action-repayment")
    _fill(form, **{"repayment-date": on.isoformat(), "repayment-principal": principal, "repayment-interest": interest})
    ui.shot(page, "repayment-form")
    _click(page, form.locator("button[type=submit]"))
    _amount_confirmed(page, Decimal(interest))
    ui.shot(page, "repayment-confirmation")
    _click(page, _confirm_form(page).locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/pledges/\d+/$"))
    row = page.locator("main table tbody tr", has_text=on.isoformat())
    expect(row).to_contain_text(format_money(Decimal(interest)))
    ui.shot(page, "repayment-reported")


def test_bank_registers_on_the_form_then_imports_a_batch(ui, world, tmp_path):
    year = timezone.localdate().year
    start = datetime.date(year, 1, 10) if timezone.localdate() > datetime.date(year, 1, 10) else datetime.date(
        year - 1, 12, 1)
    page = ui.login("bank1")
    loan = _register_loan_on_the_form(
        page, ui, contract_no=f"ABC-{year}-101", credit_code=make_credit_code(), name="巫山县脆李专业合作社",
        principal="3000000.00", start=start, maturity=start.replace(year=start.year + 1),
        right_number=make_patent_number(year=year - 2), valuation="4500000.00")
    assert loan.bank == world.bank1 and loan.rights.count() == 1
    _report_repayment(page, ui, on=timezone.localdate(), principal="0", interest="9625.00")

    # the template, downloaded from the import page
    _goto(page, ui.url("/pledges/"))
    _click(page, page.locator("main a[href$='/pledges/import/']"))
    ui.shot(page, "import-page")
    with page.expect_download() as info:
        page.locator("main a[href$='/pledges/import/template/']").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    assert template.read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    _forget(ui, "/pledges/import/template/")

    # the batch: the template's own sheet, its example rows replaced by a good loan and a bad one
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert "合同编号" in headers and "借款企业统一社会信用代码" in headers
    sheet.delete_rows(2, sheet.max_row)
    good_contract, bad_contract = f"ABC-{year}-201", f"ABC-{year}-202"
    bad_code = make_credit_code()
    bad_code = bad_code[:-1] + ("0" if bad_code[-1] != "0" else "1")  # a wrong check character
    rows = [
        {"合同编号": good_contract, "借款企业统一社会信用代码": make_credit_code(), "借款企业名称": "巫山县中药材种植有限公司",
         "贷款本金（元）": 2000000, "年利率": 0.04, "放款日": start, "到期日": start.replace(year=start.year + 2),
         "质押登记号": "2026500000456", "权利类型": "专利", "权利号码": make_patent_number(year=year - 3),
         "评估价值（元）": 2600000},
        {"合同编号": bad_contract, "借款企业统一社会信用代码": bad_code, "借款企业名称": "巫山县错误代码有限公司",
         "贷款本金（元）": 1000000, "年利率": 0.04, "放款日": start, "到期日": start.replace(year=start.year + 1),
         "质押登记号": "2026500000789", "权利类型": "专利", "权利号码": make_patent_number(year=year - 3),
         "评估价值（元）": 1500000},
    ]
    for values in rows:
        assert set(values) <= set(headers), set(values) - set(headers)
        sheet.append([values.get(header) for header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)

    form = page.locator("form#import-form")
    form.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": "本行质押贷款.xlsx", "mimeType": XLSX, "buffer": buffer.getvalue()}])
    _click(page, form.locator("button[type=submit]"), refusal_expected=True)  # one row has an error
    problems = page.locator("main table[aria-labelledby=h-problems] tbody")
    expect(problems).to_be_visible()
    bad_row = problems.locator("tr", has=page.locator("th", has_text=re.compile(r"^\s*3\s*$")))
    expect(bad_row.first).to_contain_text("借款企业统一社会信用代码")
    expect(problems).not_to_contain_text(good_contract)
    loans = page.locator("main table[aria-labelledby=h-loans] tbody")
    expect(loans.locator("tr", has_text=good_contract)).to_contain_text("2,000,000.00")
    expect(loans.locator("tr", has_text=bad_contract)).to_have_class(re.compile("table-danger"))
    _amount_confirmed(page, Decimal("2000000.00"))
    ui.shot(page, "import-checked")

    register_good = page.locator("main form:has(input[name=mode][value=good]) button[type=submit]")
    expect(register_good).to_contain_text(re.compile("无误"))
    _click(page, register_good)
    expect(page).to_have_url(re.compile(r"/pledges/$"))
    table = page.locator("main table")
    expect(table).to_contain_text(good_contract)
    expect(table).to_contain_text(loan.contract_no)
    expect(table).not_to_contain_text(bad_contract)
    ui.shot(page, "loan-list-after-import")
    assert PledgeLoan.objects.filter(bank=world.bank1, contract_no=good_contract).exists()
    assert not PledgeLoan.objects.filter(contract_no=bad_contract).exists()
    ui.check_mobile()


# --- 4. 贴息: the enterprise claims last year's interest the bank reported --------------------------

def test_applicant_claims_the_interest_subsidy_of_its_loan(ui, world):
    last = timezone.localdate().year - 1
    start, repaid = datetime.date(last, 2, 1), datetime.date(last, 8, 20)
    interest = Decimal("57750.00")  # 3,000,000 × 3.85 % half a year… as the bank reports it
    ratio = world.programs[ProgramCode.INTEREST_SUBSIDY].interest_ratio
    subsidy = (interest * ratio).quantize(Decimal("0.01"))

    page = ui.login("bank1")
    loan = _register_loan_on_the_form(
        page, ui, contract_no=f"ABC-{last}-088", credit_code=world.enterprise1.credit_code, name="",
        principal="3000000.00", start=start, maturity=datetime.date(last + 2, 1, 31),
        right_number=make_patent_number(year=last - 2), valuation="4500000.00")
    assert loan.borrower == world.enterprise1
    _report_repayment(page, ui, on=repaid, principal="0", interest=str(interest))

    page = ui.login("applicant1")
    _goto(page, ui.url(f"/funding/programs/{ProgramCode.INTEREST_SUBSIDY}/"))
    ui.shot(page, "guide")
    _click(page, page.locator("#start-application"))
    expect(page).to_have_url(re.compile(rf"/funding/new/{ProgramCode.INTEREST_SUBSIDY}/$"))
    expect(page.locator("[name=year]")).to_have_value(str(last))
    option = page.locator(f"#loan-{loan.pk}")
    expect(option).to_be_enabled()
    expect(page.locator(f"label[for=loan-{loan.pk}]")).to_contain_text(format_money(interest))
    page.locator("[name=title]").fill(f"{last}年度知识产权质押贷款贴息")
    option.check()
    ui.shot(page, "form")
    _click(page, page.locator("main form button[type=submit]", has_text=re.compile("草稿|保存")))
    expect(page).to_have_url(re.compile(r"/funding/\d+/$"))
    expect(_badge(page)).to_have_text(str(State.DRAFT.label))
    info = page.locator("section[aria-labelledby=h-info]")
    expect(info).to_contain_text(format_money(subsidy))
    expect(info).to_contain_text(format_money(interest))
    expect(info).to_contain_text(f"{loan.contract_no}（{world.bank1.name}）")  # the loan by its contract, not its id
    ui.shot(page, "draft")
    _submit_with_pledge(page, ui, "interest")
    app = Application.objects.get(applicant=world.enterprise1, program__code=ProgramCode.INTEREST_SUBSIDY)
    expect(page.locator("#receipt-case-no")).to_have_text(app.case_no)
    expect(page.locator("main")).to_contain_text(format_money(subsidy))
    expect(page.locator("main")).to_contain_text(format_capitals(subsidy))
    ui.shot(page, "receipt")
    assert (app.state, app.requested_amount) == (State.SUBMITTED, subsidy)
    ui.check_mobile()
