"""The API authorization matrix: every endpoint × method × caller, with the status the contract gives.

Callers: anonymous, one user per role, and the other tenant of the same role (applicant2 for
applicant1's objects, bank2 for bank1's). Objects belong to applicant1 / bank1 (``secworld``).
The endpoint list comes from the URL configuration: a new endpoint without a row here fails
``test_every_api_operation_has_a_matrix_row``.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.clients import token_client
from tests.security.matrix import (
    ALLOW,
    DENY,
    HIDE,
    OK,
    Row,
    allowed,
    api_operations,
    body_for,
    expect,
    fill,
    path_values,
)
from tests.security.world import CALLERS, PDF_BYTES

APP = {"pk": "app_submitted"}
DRAFT = {"pk": "app_draft"}
REVIEW = {"pk": "app_review"}
LOAN = {"pk": "loan"}
STAFF_READ = dict(clerk=OK, expert1=OK, finance=OK, fincenter=OK, admin=OK)
# An application of applicant1's: staff of the region see it once submitted; an expert only once it
# is sent to them; banks see only their own risk-compensation claims.
APP_READ = dict(applicant1=OK, applicant2=HIDE, clerk=OK, expert1=HIDE, finance=OK, fincenter=OK, bank1=HIDE,
                bank2=HIDE, admin=OK)
# bank1's loan: its bank changes it; the other bank does not see it; oversight staff read it.
LOAN_WRITE = dict(bank1=ALLOW, bank2=HIDE)
LOAN_READ = dict(bank1=OK, bank2=HIDE, finance=OK, fincenter=OK, admin=OK)

ROWS: dict[tuple[str, str], Row] = {
    # --- programs and budgets -------------------------------------------------------------
    ("api/v1/programs/", "GET"): Row(expect(OK)),
    ("api/v1/programs/<str:code>/", "GET"): Row(expect(OK), path={"code": "program"}),
    # The rule history: staff of the program's region; others do not see it (404).
    ("api/v1/programs/<str:code>/history/", "GET"): Row(expect(HIDE, **{**STAFF_READ, "expert1": HIDE}),
                                                        path={"code": "program"}),
    ("api/v1/programs/<str:code>/", "PATCH"): Row(expect(DENY, admin=ALLOW), path={"code": "program"},
                                                  body={"publicity_days": 5}),
    # Rule versions and their bases are public to anyone signed in, like the program; admins add one.
    ("api/v1/programs/<str:code>/versions/", "GET"): Row(expect(OK), path={"code": "program"}),
    ("api/v1/programs/<str:code>/versions/", "POST"): Row(expect(DENY, admin=ALLOW), path={"code": "program"},
                                                          body={"effective_from": "2030-01-01",
                                                                "rules": {"publicity_days": 5}}),
    # Experts review cases, not budgets: the budgets page refuses them, and so does the API (issue #10).
    ("api/v1/budgets/", "GET"): Row(expect(DENY, **{**STAFF_READ, "expert1": DENY})),
    ("api/v1/budgets/adjustments/", "POST"): Row(
        expect(DENY, finance=ALLOW, admin=ALLOW),
        body={"program": "industrialization", "year": "{year}", "amount": "1000.00", "reason": "追加预算"},
    ),
    # --- applications ---------------------------------------------------------------------
    ("api/v1/applications/", "GET"): Row(expect(OK)),
    ("api/v1/applications/", "POST"): Row(
        expect(DENY, applicant1=ALLOW, applicant2=ALLOW),
        body={"program": "application_subsidy", "title": "新申请", "patents": ["{free_patent}"],
              "official_fees_paid": "5000.00"},
    ),
    ("api/v1/applications/<int:pk>/", "GET"): Row(expect(HIDE, **APP_READ), path=APP),
    # A draft is private to its applicant (and visible to the admin, who may not edit it).
    ("api/v1/applications/<int:pk>/", "PATCH"): Row(expect(HIDE, applicant1=ALLOW, admin=DENY), path=DRAFT,
                                                    body={"title": "改过的标题"}),
    ("api/v1/applications/<int:pk>/transitions/<str:name>/", "POST"): Row(
        expect(HIDE, applicant1=DENY, clerk=ALLOW, finance=DENY, fincenter=DENY, admin=DENY),
        path={**APP, "name": "=accept"}, body={"comment": "受理"},
    ),
    ("api/v1/applications/<int:pk>/history/", "GET"): Row(expect(HIDE, **APP_READ), path=APP),
    # Clawbacks (追回): staff of the region read them; only finance records one (here 409: nothing paid).
    ("api/v1/applications/<int:pk>/clawbacks/", "GET"): Row(
        expect(HIDE, applicant1=DENY, clerk=OK, finance=OK, fincenter=OK, admin=OK), path=APP),
    # Objections (公示异议): staff of the region read them; anyone may object, but only in the notice
    # (the submitted case is not in it: 404 for everyone); the intake role resolves them.
    ("api/v1/applications/<int:pk>/objections/", "GET"): Row(
        expect(HIDE, applicant1=DENY, clerk=OK, finance=OK, fincenter=OK, admin=OK), path=APP),
    ("api/v1/applications/<int:pk>/objections/", "POST"): Row(
        expect(HIDE, anon=HIDE), path=APP, body={"name": "王五", "phone": "13800000000",
                                                "reason": "申报材料与事实不符，请核查。"}),
    ("api/v1/applications/<int:pk>/objections/<int:oid>/resolve/", "POST"): Row(
        # The clerk gets past the role check to "no such objection" (404); the others stop at 403.
        expect(HIDE, applicant1=DENY, clerk=HIDE, finance=DENY, fincenter=DENY, admin=DENY),
        path={**APP, "oid": "=999999"}, body={"upheld": False, "comment": "驳回"}),
    ("api/v1/applications/<int:pk>/clawbacks/", "POST"): Row(
        expect(HIDE, applicant1=DENY, clerk=DENY, finance=ALLOW, fincenter=DENY, admin=DENY), path=APP,
        body={"amount": "1.00", "date": "{today}", "voucher_no": "ZH-MATRIX", "reason": "核查"}),
    ("api/v1/applications/<int:pk>/reviews/", "GET"): Row(expect(HIDE, **{**APP_READ, "expert1": OK}), path=REVIEW),
    ("api/v1/applications/<int:pk>/reviews/", "POST"): Row(
        expect(HIDE, applicant1=DENY, clerk=DENY, expert1=ALLOW, finance=DENY, fincenter=DENY, admin=DENY),
        path=REVIEW, body={"score": 80, "recommended_amount": "50000.00", "comment": "可行"},
    ),
    ("api/v1/applications/<int:pk>/documents/", "POST"): Row(
        expect(HIDE, applicant1=ALLOW, admin=DENY), path=DRAFT, multipart=True,
    ),
    ("api/v1/applications/<int:pk>/documents/<int:doc_id>/", "GET"): Row(
        expect(HIDE, applicant1=OK, admin=OK), path={**DRAFT, "doc_id": "document"},
    ),
    # --- IP assets ------------------------------------------------------------------------
    ("api/v1/ip-assets/", "GET"): Row(expect(OK, bank1=DENY, bank2=DENY)),
    ("api/v1/ip-assets/", "POST"): Row(
        expect(DENY, applicant1=ALLOW, applicant2=ALLOW),  # staff register on the pages, for an owner
        body={"kind": "trademark", "number": "45678901", "title": "巫山烤鱼", "nice_class": 43,
              "granted_on": "2020-01-01", "country": "CN"},
    ),
    # --- pledge loans ---------------------------------------------------------------------
    ("api/v1/pledges/", "GET"): Row(expect(DENY, bank1=OK, bank2=OK, finance=OK, fincenter=OK, admin=OK)),
    ("api/v1/pledges/", "POST"): Row(
        expect(DENY, bank1=ALLOW, bank2=ALLOW),
        body={"contract_no": "WS-MATRIX-1", "borrower_credit_code": "91500237MA5U52604E",
              "borrower_name": "巫山县某某农业开发有限公司", "principal": "3000000.00", "annual_rate": "0.0385",
              "start_date": "2026-03-01", "maturity_date": "2027-02-28", "pledge_registration_no": "2026500000123",
              "rights": [{"kind": "trademark", "number": "56789012", "valuation": "800000.00"}]},
    ),
    ("api/v1/pledges/<int:pk>/", "GET"): Row(expect(DENY, **LOAN_READ), path=LOAN),
    ("api/v1/pledges/<int:pk>/repayments/", "POST"): Row(
        expect(DENY, **LOAN_WRITE), path=LOAN, body={"date": "{today}", "principal": "1000.00", "interest": "100.00"},
    ),
    ("api/v1/pledges/<int:pk>/settle/", "POST"): Row(expect(DENY, **LOAN_WRITE), path=LOAN, body={}),
    ("api/v1/pledges/<int:pk>/default/", "POST"): Row(
        expect(DENY, **LOAN_WRITE), path=LOAN, body={"date": "{today}", "outstanding_principal": "3000000.00"},
    ),
    ("api/v1/pledges/<int:pk>/recoveries/", "POST"): Row(
        expect(DENY, **LOAN_WRITE), path=LOAN, body={"date": "{today}", "amount": "1000.00"},
    ),
}

CASES = [(route, method, caller) for (route, method) in ROWS for caller in CALLERS]


def test_every_api_operation_has_a_matrix_row():
    found = api_operations()
    assert found == set(ROWS), (
        f"endpoints without a row: {sorted(found - set(ROWS))}; rows without an endpoint: {sorted(set(ROWS) - found)}"
    )


def call(secworld, route: str, method: str, caller: str):
    row = ROWS[(route, method)]
    url = fill(route, path_values(row, secworld.objects))
    client = token_client(key=None if caller == "anon" else secworld.tokens[caller])
    if row.multipart:
        upload = SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf")
        return client.post(url, {"kind": "专利证书", "file": upload}, format="multipart")
    body = body_for(row, secworld.objects)
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "caller"), CASES, ids=[f"{m} {r} as {c}" for r, m, c in CASES])
def test_authorization_matrix(secworld, route, method, caller):
    expected = ROWS[(route, method)].expect[caller]
    response = call(secworld, route, method, caller)
    assert allowed(expected, response.status_code), (
        f"{method} /{route} as {caller}: expected {expected}, got {response.status_code}: "
        f"{response.content[:300].decode(errors='replace')}"
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), "API errors are JSON"
