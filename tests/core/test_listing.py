"""Lists (issue #13 item 9): sortable columns from the URL (whitelisted keys, a tie-breaker), a search
box for loans, and a count of the rows however many pages there are."""

import re
from decimal import Decimal

import pytest

from funding.models import Application
from tests.clients import page_client
from tests.funding.helpers import step, subsidy_app
from tests.pledges.helpers import register

pytestmark = pytest.mark.django_db


def _ids(html: str) -> list[int]:
    return list(dict.fromkeys(int(n) for n in re.findall(r'<a href="/funding/(\d+)/">', html)))


def test_applications_sort_by_a_column_and_back(world):
    apps = [subsidy_app(world) for _ in range(3)]
    for app, amount in zip(apps, ("3000.00", "1000.00", "2000.00"), strict=True):
        Application.objects.filter(pk=app.pk).update(requested_amount=Decimal(amount))
    client = page_client(world.applicant1)
    up = client.get("/funding/?o=requested").content.decode()
    assert _ids(up) == [apps[1].pk, apps[2].pk, apps[0].pk]
    assert 'aria-sort="ascending"' in up and "o=-requested" in up
    down = client.get("/funding/?o=-requested").content.decode()
    assert _ids(down) == [apps[0].pk, apps[2].pk, apps[1].pk]


def test_an_unknown_sort_key_is_ignored(world):
    subsidy_app(world)
    assert page_client(world.applicant1).get("/funding/?o=applicant__resident_id").status_code == 200


def test_sorting_keeps_the_filters_in_the_url(world):
    step(subsidy_app(world), "submit", world.applicant1)
    html = page_client(world.clerk).get("/funding/intake/?state=submitted").content.decode()
    assert re.search(r'href="\?state=submitted&amp;o=requested"', html)


def test_the_list_says_how_many_rows_on_a_single_page(world):
    for _ in range(2):
        subsidy_app(world)
    html = page_client(world.applicant1).get("/funding/").content.decode()
    nav = re.search(r'<nav aria-label="[^"]*" class="d-flex[^"]*mt-3">(.*?)</nav>', html, re.S).group(1)
    text = re.sub(r"<[^>]+>|\s+", " ", nav)
    assert re.search(r"1–2\D+2", text), text
    assert "page-link" not in nav  # one page: no page links


def test_loans_are_found_by_contract_borrower_or_credit_code(world):
    loan = register(world.bank1_user)
    client = page_client(world.fincenter)
    for text in (loan.contract_no, loan.borrower.name[:4], loan.borrower.credit_code.lower()):
        assert loan.contract_no in client.get("/pledges/", {"q": text}).content.decode()
    assert loan.contract_no not in client.get("/pledges/", {"q": "没有这家企业"}).content.decode()


def test_loans_sort_by_outstanding(world):
    register(world.bank1_user)
    html = page_client(world.fincenter).get("/pledges/?o=-outstanding").content.decode()
    assert 'aria-sort="descending"' in html
