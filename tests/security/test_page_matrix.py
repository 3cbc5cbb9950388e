"""The page authorization matrix: every named page of the apps' urls.py × caller.

Anonymous callers are sent to the login page (302) from every private page; the public notice
(公示) page answers everyone. A named page without a row fails ``test_every_page_has_a_matrix_row``.
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url

from tests.clients import page_client
from tests.security.matrix import ALLOW, AUTH, DENY, HIDE, OK, Row, body_for, expect, fill, path_values, walk
from tests.security.world import CALLERS, PDF_BYTES

# Named URLs that are not the apps' pages: the admin, i18n, the API, its schema and docs, login/logout.
NOT_PAGES = ("admin:", "schema", "swagger-ui", "login", "logout", "set_language")
APPLICANTS = dict(applicant1=OK, applicant2=OK)
STAFF = dict(clerk=OK, expert1=OK, finance=OK, fincenter=OK, admin=OK)
APP_READ = dict(applicant1=OK, applicant2=HIDE, clerk=OK, expert1=HIDE, finance=OK, fincenter=OK, bank1=HIDE,
                bank2=HIDE, admin=OK)


def _get(query: str = "") -> dict:
    return {"method": "GET", "query": query}


ROWS: dict[str, tuple[Row, dict]] = {
    "home": (Row(expect(OK)), _get()),
    # --- applicants ------------------------------------------------------------------------
    "applicants:my_assets": (Row(expect(DENY, **APPLICANTS)), _get()),
    "applicants:asset_register": (Row(expect(DENY, **APPLICANTS)), _get()),
    "applicants:registry": (Row(expect(DENY, **STAFF)), _get()),
    "applicants:organisation": (Row(expect(DENY, **APPLICANTS)), _get()),
    # --- funding ---------------------------------------------------------------------------
    "funding:list": (Row(expect(OK)), _get()),
    "funding:new": (Row(expect(DENY, **APPLICANTS), path={"code": "program"}), _get()),
    "funding:detail": (Row(expect(HIDE, **APP_READ), path={"pk": "app_submitted"}), _get()),
    "funding:edit": (Row(expect(DENY, applicant1=OK, applicant2=HIDE), path={"pk": "app_draft"}), _get()),
    "funding:transition": (
        Row(expect(HIDE, applicant1=DENY, clerk=ALLOW, finance=DENY, fincenter=DENY, admin=DENY),
            path={"pk": "app_submitted", "name": "=accept"}, body={"comment": "受理"}),
        {"method": "POST"},
    ),
    "funding:review": (
        Row(expect(DENY, expert1=ALLOW), path={"pk": "app_review"},
            body={"score": "80", "recommended_amount": "50000.00", "comment": "可行"}),
        {"method": "POST"},
    ),
    "funding:upload": (
        Row(expect(HIDE, applicant1=ALLOW, admin=DENY), path={"pk": "app_draft"}, multipart=True),
        {"method": "POST"},
    ),
    "funding:document": (Row(expect(HIDE, applicant1=OK, admin=OK), path={"pk": "app_draft", "doc_id": "document"}),
                         _get()),
    "funding:document_remove": (
        Row(expect(HIDE, applicant1=ALLOW, admin=DENY), path={"pk": "app_draft", "doc_id": "document"}),
        {"method": "POST"},
    ),
    # Guidance (views_guide): a program's guide for the region's users; a case's receipt and 申报书 for its readers.
    "funding:guide": (Row(expect(OK), path={"code": "program"}), _get()),
    "funding:compliance": (Row(expect(DENY, finance=OK, admin=OK)), _get()),
    "funding:receipt": (Row(expect(HIDE, **APP_READ), path={"pk": "app_submitted"}), _get()),
    "funding:form_pdf": (Row(expect(HIDE, **APP_READ), path={"pk": "app_submitted"}), _get()),
    # After approval (views_lifecycle): 追回 for finance; 异议 resolved by intake; 失信 for staff, lifted by the admin.
    "funding:clawback": (Row(expect(HIDE, applicant1=DENY, clerk=DENY, finance=OK, fincenter=DENY, admin=DENY),
                             path={"pk": "app_submitted"}), _get()),
    "funding:objection_resolve": (
        Row(expect(HIDE, applicant1=DENY, clerk=ALLOW, finance=DENY, fincenter=DENY, admin=DENY),
            path={"pk": "app_submitted"}, body={"objection": "0", "decision": "dismissed", "comment": "不成立"}),
        {"method": "POST"},
    ),
    "funding:applicant": (Row(expect(DENY, clerk=OK, finance=OK, fincenter=OK, admin=OK), path={"applicant_id": "applicant"}),
                          _get()),
    "funding:bar_lift": (Row(expect(DENY, admin=ALLOW), path={"applicant_id": "applicant"},
                             body={"bar": "0", "reason": "复议撤销"}), {"method": "POST"}),
    "funding:intake": (Row(expect(DENY, clerk=OK, fincenter=OK, admin=OK)), _get()),
    "funding:reviews": (Row(expect(DENY, expert1=OK)), _get()),
    "funding:approvals": (Row(expect(DENY, finance=OK, admin=OK)), _get()),
    "funding:budgets": (Row(expect(DENY, clerk=OK, finance=OK, fincenter=OK, admin=OK)), _get()),
    "funding:notices": (Row(expect(OK, anon=OK)), _get()),
    # The world has no case in its notice: a notice document and an objection form are 404 to everyone.
    "funding:notice": (Row(expect(HIDE, anon=HIDE), path={"region": "region_code", "program": "=application_subsidy",
                                                          "year": "year"}), _get()),
    "funding:object": (Row(expect(HIDE, anon=HIDE), path={"pk": "app_submitted"}), _get()),
    # --- the inbox: one's own messages only --------------------------------------------------
    "core:inbox": (Row(expect(OK)), _get()),
    "core:inbox_open": (Row(expect(HIDE, clerk=ALLOW), path={"pk": "inbox_message"}), _get()),
    "core:inbox_read_all": (Row(expect(ALLOW)), {"method": "POST"}),
    # --- pledges: the financial services center and oversight staff; a bank its own loans ----
    "pledges:loan_list": (Row(expect(DENY, bank1=OK, bank2=OK, finance=OK, fincenter=OK, admin=OK)), _get()),
    "pledges:loan_detail": (Row(expect(DENY, bank1=OK, bank2=HIDE, finance=OK, fincenter=OK, admin=OK),
                                path={"pk": "loan"}), _get()),
    # A bank without an IT integration: the same services on pages (pledges/views_bank.py, views_batch.py).
    "pledges:loan_register": (Row(expect(DENY, bank1=OK, bank2=OK)), _get()),
    "pledges:loan_import": (Row(expect(DENY, bank1=OK, bank2=OK)), _get()),
    "pledges:import_template": (Row(expect(DENY, bank1=OK, bank2=OK)), _get()),
    "pledges:loan_repayment": (Row(expect(DENY, bank1=ALLOW, bank2=HIDE), path={"pk": "loan"},
                                   body={"repayment-date": "{today}", "repayment-principal": "1.00",
                                         "repayment-interest": "1.00"}), {"method": "POST"}),
    "pledges:loan_settle": (Row(expect(DENY, bank1=ALLOW, bank2=HIDE), path={"pk": "loan"},
                                body={"settle-date": "{today}"}), {"method": "POST"}),
    "pledges:loan_default": (Row(expect(DENY, bank1=ALLOW, bank2=HIDE), path={"pk": "loan"},
                                 body={"default-date": "{today}", "default-outstanding_principal": "1.00"}),
                             {"method": "POST"}),
    "pledges:loan_recovery": (Row(expect(DENY, bank1=ALLOW, bank2=HIDE), path={"pk": "loan"},
                                  body={"recovery-date": "{today}", "recovery-amount": "1.00"}), {"method": "POST"}),
    "pledges:loan_cancel": (Row(expect(DENY, fincenter=ALLOW, admin=ALLOW), path={"pk": "loan"},
                                body={"reason": "登记有误"}), {"method": "POST"}),
    # --- reports ---------------------------------------------------------------------------
    "reports:budget": (Row(expect(DENY, finance=OK, admin=OK)), _get()),
    "reports:pledge_stats": (Row(expect(DENY, finance=OK, fincenter=OK, admin=OK)), _get()),
    "reports:pledge_stats_download": (Row(expect(DENY, finance=OK, fincenter=OK, admin=OK)),
                                      _get("?format=csv&year={year}")),
    "reports:budget_download": (Row(expect(DENY, finance=OK, admin=OK)), _get("?format=csv&year={year}")),
    "reports:jobs": (Row(expect(DENY, finance=OK, admin=OK)), _get()),
    "reports:job_create": (Row(expect(DENY, finance=ALLOW, admin=ALLOW), body={"year": "{year}", "format": "csv"}),
                           {"method": "POST"}),
    "reports:job": (Row(expect(DENY, finance=OK, admin=OK), path={"job_id": "report_job"}), _get()),
    "reports:job_progress": (Row(expect(DENY, finance=OK, admin=OK), path={"job_id": "report_job"}), _get()),
    # Still queued: finance and admin are sent back to the job's page with a message.
    "reports:job_download": (Row(expect(DENY, finance=ALLOW, admin=ALLOW), path={"job_id": "report_job"}), _get()),
}

CASES = [(name, caller) for name in ROWS for caller in CALLERS]


def page_names() -> dict[str, str]:
    """name -> route for every named pattern outside the API, the admin and i18n."""
    return {name: route for route, name, _cb in walk()
            if name and not route.startswith(("api/", "admin/", "i18n/")) and not name.startswith(NOT_PAGES)}


def test_every_page_has_a_matrix_row():
    found = set(page_names())
    assert found == set(ROWS), f"pages without a row: {sorted(found - set(ROWS))}; stale rows: {sorted(set(ROWS) - found)}"


def _page_ok(code: str, response) -> bool:
    status = response.status_code
    if code == AUTH:
        return status == 302 and urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)
    if code == OK:
        return status == 200
    if code == ALLOW:  # a form post: back to a page (302, not to the login) or the form again (200)
        return status == 200 or (status == 302 and urlsplit(response["Location"]).path != resolve_url(settings.LOGIN_URL))
    return status == {DENY: 403, HIDE: 404}[code]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "caller"), CASES, ids=[f"{n} as {c}" for n, c in CASES])
def test_page_matrix(secworld, name, caller):
    row, how = ROWS[name]
    expected = row.expect[caller]
    url = fill(page_names()[name], path_values(row, secworld.objects))
    client = page_client(None if caller == "anon" else secworld.users[caller])
    if how["method"] == "GET":
        response = client.get(url + how["query"].format(**secworld.objects))
    elif row.multipart:
        upload = SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf")
        response = client.post(url, {"kind": "专利证书", "file": upload})
    else:
        response = client.post(url, body_for(row, secworld.objects) or {})
    assert _page_ok(expected, response), (
        f"{how['method']} {url} as {caller}: expected {expected}, got {response.status_code} "
        f"{response.get('Location', '')}"
    )
