"""Races that only PostgreSQL shows: the partial unique index on live rights and idempotent retries."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from pledges.models import IdempotencyRecord, PledgedRight, PledgeLoan
from tests.clients import api_client
from tests.factories import build_world, ensure_role_groups, make_patent_number
from tests.pledges.helpers import loan_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/pledges/"


@pytest.fixture(autouse=True)
def role_groups():
    ensure_role_groups()  # a transaction=True test flushes the tables, the data migration's groups included


def _race(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            return fn(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_two_banks_racing_for_one_patent_only_one_wins():
    world = build_world()
    patent = make_patent_number()
    users = [world.bank1_user, world.bank2_user]

    def register(i):
        body = loan_body(contract_no=f"RACE-{i}",
                         rights=[{"kind": "patent", "number": patent, "valuation": "1000.00"}])
        response = api_client(users[i % 2]).post(URL, body, format="json")
        return response.status_code, response.json()

    results = _race(20, register)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    assert statuses.count(409) == 19
    assert all(body["code"] == "right_already_pledged" for status, body in results if status == 409)
    assert PledgedRight.objects.filter(number=patent, live=True).count() == 1
    assert PledgeLoan.objects.count() == 1


def test_concurrent_retries_with_one_key_make_one_loan_and_identical_responses():
    world = build_world()
    body = loan_body()

    def post(_i):
        response = api_client(world.bank1_user).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
        return response.status_code, response.json()

    results = _race(20, post)
    assert {status for status, _ in results} == {201}
    assert all(data == results[0][1] for _, data in results)
    assert PledgeLoan.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("keyed", [False, True])
def test_one_bank_racing_itself_for_one_contract_number_registers_it_once(keyed):
    """The duplicate contract caught by the unique index (not by the check before it): a clean 409
    each time, the connection usable after it, an idempotency record kept for each keyed loser."""
    world = build_world()

    def register(i):
        body = loan_body(contract_no="RACE-SAME",
                         rights=[{"kind": "patent", "number": make_patent_number(), "valuation": "1000.00"}])
        headers = {"HTTP_IDEMPOTENCY_KEY": f"race-{i}"} if keyed else {}
        client = api_client(world.bank1_user)
        response = client.post(URL, body, format="json", **headers)
        after = client.get(URL)  # the same connection, after the error
        return response.status_code, response.json(), after.status_code

    results = _race(12, register)
    assert sorted(status for status, _, _ in results).count(201) == 1, results
    assert all(body["code"] == "duplicate_contract" for status, body, _ in results if status != 201), results
    assert {after for _, _, after in results} == {200}
    assert PledgeLoan.objects.filter(contract_no="RACE-SAME").count() == 1
    assert PledgedRight.objects.count() == 1
    assert IdempotencyRecord.objects.count() == (12 if keyed else 0)
