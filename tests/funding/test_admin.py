"""Issue #10: the admin site shows funding data but changes money, states and claims only through
the services (rules through program_update, recorded); nothing there deletes evidence."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from core.money import format_percent
from funding.models import Application, LedgerEntry, PatentClaim, Program, ProgramRuleChange
from tests.funding.helpers import subsidy_app, to_approved

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["application", "ledgerentry", "transitionlog", "patentclaim", "review", "budget",
                                  "programrulechange", "program"])
def test_funding_changelists_render(admin_client, name):
    assert admin_client.get(reverse(f"admin:funding_{name}_changelist")).status_code == 200


def test_an_application_cannot_be_edited_in_the_admin(admin_client, world):
    app = to_approved(world, subsidy_app(world))
    url = reverse("admin:funding_application_change", args=[app.pk])
    assert 'name="approved_amount"' not in admin_client.get(url).content.decode()
    admin_client.post(url, {"title": app.title, "approved_amount": "900000.00", "state": "disbursed"})
    app.refresh_from_db()
    assert (app.approved_amount, app.state) == (Decimal("1000.00"), "approved")


def test_a_live_patent_claim_cannot_be_deleted_in_the_admin(admin_client, world):
    claim = PatentClaim.objects.get(application=subsidy_app(world))
    response = admin_client.post(reverse("admin:funding_patentclaim_delete", args=[claim.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert PatentClaim.objects.filter(pk=claim.pk, live=True).exists()


def test_a_ledger_entry_cannot_be_deleted_in_the_admin(admin_client, world):
    entry = LedgerEntry.objects.first()
    assert admin_client.post(reverse("admin:funding_ledgerentry_delete", args=[entry.pk]),
                             {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def _program_form(program, **changes):
    """The program's change form as the page posts it, unchanged but for ``changes`` (input names)."""
    data = {name: getattr(program, name) for name in ("name_zh", "name_en", "description", "publicity_days",
                                                        "min_reviews", "grant_years_back", "ban_years",
                                                        "publicity_day_kind", "subsidy_trigger", "interest_basis",
                                                        "auto_subsidy_mode", "auto_subsidy_on")}
    data.update({name: format_percent(getattr(program, name))
                 for name in ("fee_share", "first_tranche_share", "interest_ratio", "risk_share")})
    data.update({"cap_per_project": program.cap_per_project or "",
                 "cap_per_applicant_year": program.cap_per_applicant_year or "",
                 "required_documents": "\n".join(program.required_documents), "is_open": "on"})
    for patent_type, by_country in program.subsidy_standards.items():  # the table: one input per cell
        for country, amount in by_country.items():
            data[f"subsidy_standards_{patent_type}_{'other' if country == '*' else country}"] = amount
    for level, amount in program.award_levels.items():
        data[f"award_levels_{level}"] = amount
    if program.expert_review:
        data["expert_review"] = "on"
    versions = program.rule_versions.count()  # the read-only versions inline posts its management form
    data.update({"rule_versions-TOTAL_FORMS": versions, "rule_versions-INITIAL_FORMS": versions,
                 "rule_versions-MIN_NUM_FORMS": 0, "rule_versions-MAX_NUM_FORMS": 1000})
    data.update(changes)
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def _page_form(client, url) -> dict:
    """Every input, select and textarea of the change page with the value it shows."""
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    return parser.values


class _FormValues(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[name] = "on"
            elif attrs.get("type") not in ("submit", "button"):
                self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n") if not self.values[self._textarea] else data


def test_a_rule_edit_in_the_admin_goes_through_the_service_and_is_recorded(admin_client, world):
    program = world.programs["application_subsidy"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    response = admin_client.post(url, _program_form(program, cap_per_applicant_year="80000", reason="年度调整"))
    assert response.status_code == 302, response.content.decode()[:30000]
    program.refresh_from_db()
    assert program.cap_per_applicant_year == Decimal("80000.00")
    change = ProgramRuleChange.objects.get(field="cap_per_applicant_year")
    assert (change.by, change.old_value, change.new_value, change.reason) == (
        world.admin, "100000.00", "80000.00", "年度调整")


def test_a_negative_cap_in_the_admin_is_refused(admin_client, world):
    program = world.programs["industrialization"]
    url = reverse("admin:funding_program_change", args=[program.pk])
    response = admin_client.post(url, _program_form(program, cap_per_project="-100.00"))
    assert response.status_code == 200 and "金额不能为负数" in response.content.decode()
    assert Program.objects.get(pk=program.pk).cap_per_project == Decimal("500000.00")
    assert not ProgramRuleChange.objects.exists()
    assert Application.objects.count() == 0


# --- issue #13, item 8: rules through proper inputs, never JSON text -----------------------------------

def _change_url(program):
    return reverse("admin:funding_program_change", args=[program.pk])


def test_the_program_page_has_a_table_and_boxes_for_the_json_rules_and_percentages(admin_client, world):
    program = world.programs["application_subsidy"]
    html = admin_client.get(_change_url(program)).content.decode()
    assert '<textarea name="subsidy_standards' not in html and '<textarea name="award_levels' not in html
    assert 'name="subsidy_standards"' not in html and 'name="award_levels"' not in html
    assert '<table class="rule-table" id="id_subsidy_standards">' in html
    assert 'aria-label="发明专利 · 美国"' in html and 'name="subsidy_standards_invention_US"' in html
    assert 'aria-label="外观设计专利 · 其他国家/地区"' in html
    assert 'name="subsidy_standards_row0_code"' in html  # a blank row to add a country
    assert '<label for="id_award_levels_gold">金奖</label>' in html
    assert 'name="fee_share" value="50%"' in html and 'name="first_tranche_share" value="100%"' in html
    assert '<textarea name="required_documents"' in html


def test_the_page_posted_back_unchanged_records_nothing(admin_client, world):
    for program in world.programs.values():
        url = _change_url(program)
        response = admin_client.post(url, _page_form(admin_client, url))
        assert response.status_code == 302, response.content.decode()[:30000]
    assert not ProgramRuleChange.objects.exists()


def test_a_cell_a_percentage_and_the_documents_each_record_one_change_with_the_normalised_value(admin_client,
                                                                                                world):
    program = world.programs["application_subsidy"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data.update({"subsidy_standards_invention_US": "3万", "subsidy_standards_design_CN": "500",
                 "fee_share": "45%", "required_documents": "专利证书\r\n\r\n  缴费凭证  \r\n",
                 "reason": "2025 年标准"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:30000]
    changes = {change.field: change for change in ProgramRuleChange.objects.all()}
    assert set(changes) == {"subsidy_standards", "fee_share", "required_documents"}
    assert changes["subsidy_standards"].new_value == {
        "invention": {"CN": "1000.00", "US": "30000.00", "JP": "20000.00", "KR": "20000.00", "EP": "20000.00",
                      "*": "10000.00"},
        "design": {"CN": "500.00"},
    }
    assert (changes["fee_share"].old_value, changes["fee_share"].new_value) == ("0.5000", "0.4500")
    assert changes["required_documents"].new_value == ["专利证书", "缴费凭证"]
    assert {change.reason for change in changes.values()} == {"2025 年标准"}
    program.refresh_from_db()
    assert program.fee_share == Decimal("0.4500")
    assert program.subsidy_standards["invention"]["US"] == "30000.00"
    assert program.required_documents == ["专利证书", "缴费凭证"]


def test_an_award_level_is_changed_and_a_cleared_one_dropped(admin_client, world):
    program = world.programs["patent_award"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data.update({"award_levels_silver": "120,000", "award_levels_excellence": ""})
    assert admin_client.post(url, data).status_code == 302
    change = ProgramRuleChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "award_levels", {"gold": "200000.00", "silver": "100000.00", "excellence": "50000.00"},
        {"gold": "200000.00", "silver": "120000.00"})


def test_a_country_row_is_added_with_its_code(admin_client, world):
    program = world.programs["application_subsidy"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data.update({"subsidy_standards_row0_code": "de", "subsidy_standards_row0_invention": "15000"})
    assert admin_client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert program.subsidy_standards["invention"]["DE"] == "15000.00"
    # The new country has its own row now, and blank rows to add more.
    html = admin_client.get(url).content.decode()
    assert 'name="subsidy_standards_row0_code" placeholder="如 DE" size="4" type="text" value="DE"' in html
    assert 'aria-label="发明专利 · DE"' in html and 'name="subsidy_standards_row1_code"' in html


@pytest.mark.parametrize(("cell", "typed", "message"), [
    ("subsidy_standards_invention_US", "abc", "发明专利 · 美国：请输入十进制数字"),
    ("subsidy_standards_invention_US", "1e5", "发明专利 · 美国：不接受科学计数法"),
    ("subsidy_standards_utility_model_other", "-5", "实用新型专利 · 其他国家/地区：金额不能为负数"),
    ("award_levels_gold", "1e5", "金奖：不接受科学计数法"),
    ("subsidy_standards_row0_code", "德国", "国家/地区代码应为 2 位字母"),
])
def test_an_invalid_entry_shows_the_chinese_error_and_changes_nothing(admin_client, world, cell, typed, message):
    program = world.programs["application_subsidy"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data.update({cell: typed, "fee_share": "45%"})
    if cell.endswith("_code"):
        data["subsidy_standards_row0_invention"] = "100"
    response = admin_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    box = re.search(rf'<input[^>]*name="{cell}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in box and f'value="{typed}"' in box  # shown again as typed, marked
    assert html.count('aria-invalid="true"') == 1
    assert not ProgramRuleChange.objects.exists()
    assert Program.objects.get(pk=program.pk).fee_share == Decimal("0.5000")


@pytest.mark.parametrize(("typed", "message"), [("150%", "比例应在 0% 与 100% 之间"), ("abc", "请输入十进制数字")])
def test_a_percentage_out_of_range_is_refused_in_percent(admin_client, world, typed, message):
    program = world.programs["application_subsidy"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data["fee_share"] = typed
    response = admin_client.post(url, data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not ProgramRuleChange.objects.exists()


def test_a_first_tranche_of_zero_percent_is_refused(admin_client, world):
    program = world.programs["industrialization"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data["first_tranche_share"] = "0%"
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "应大于 0% 且不超过 100%" in response.content.decode()
    assert Program.objects.get(pk=program.pk).first_tranche_share == Decimal("0.6000")


def test_a_duplicate_document_type_is_refused_by_the_rules(admin_client, world):
    program = world.programs["industrialization"]
    url = _change_url(program)
    data = _page_form(admin_client, url)
    data["required_documents"] = "验收报告\n验收报告"
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "材料类型重复" in response.content.decode()
    assert not ProgramRuleChange.objects.exists()
