"""Schema fuzzing: schemathesis generates requests from ``/api/schema/`` for every operation and sends
them in-process to the WSGI app, as each role with its own token.

Each response must be no server error (5xx), carry a documented status code and content type, and
match the documented response schema. Positive and negative (schema-violating) data both; path ids
are drawn half from the world's real objects, so requests reach the code behind the 404.

Seeded (``derandomize``) and reproducible. Every case runs in its own savepoint that is rolled back,
so each sees the same world. Budget: ``FUZZ_EXAMPLES`` per operation, strategy and role; each
role's test asserts its share of the ≥ 5,000 cases (the count is printed with ``-s``).
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROLES = ("applicant1", "clerk", "expert1", "finance", "fincenter", "bank1")
MIN_CASES = 5000
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))  # per operation and role, positive + negative
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CASES: Counter = Counter()


@pytest.fixture(scope="module")
def app():
    """The project's WSGI app. Like Django's test client, keep the test's connection open across
    requests (a real server closes it when each request ends; here it holds the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schema(secworld, app):
    return schemathesis.openapi.from_wsgi("/api/schema/", app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def known_path_parameters(operation, objects: dict) -> list[dict]:
    """Path values that name real objects (applicant1's applications, bank1's loan, a program)."""
    names = {p.name for p in operation.path_parameters}
    if not names:
        return []
    if "code" in names:
        return [{"code": objects["program"]}, {"code": "risk_compensation"}]
    path = operation.path
    pks = [objects["loan"]] if path.startswith("/api/v1/pledges/") else \
        [objects["app_draft"], objects["app_submitted"], objects["app_review"]]
    combos = [{"id": pk} for pk in pks]
    if "doc_id" in names:
        combos = [{**c, "doc_id": objects["document"]} for c in combos]
    if "name" in names:
        combos = [{**c, "name": n} for c in combos for n in ("submit", "accept", "send_to_review", "approve", "reject")]
    return combos


def strategy_for(operation, objects: dict):
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=p)
                       for p in known_path_parameters(operation, objects)]
    return st.one_of(strategies)


def known_issue(case, response, title: str) -> bool:
    """Nothing is tolerated: every failure the fuzzer finds is a bug (see test_fuzz_regressions.py)."""
    return False


def failure_keys(exc: BaseException, response_status: int | None) -> list[tuple[str, int | None]]:
    inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return [(getattr(e, "title", type(e).__name__), response_status) for e in inner]


def fuzz_operation(operation, objects: dict, token: str, examples: int) -> tuple[int, dict]:
    """Run ``examples`` generated cases against one operation.

    Returns (cases run, {(operation, failure title, status): first report}); failures are
    collected, not raised, so one run shows every operation's problems at once.
    """
    ran = 0
    failures: dict = {}
    headers = {"Authorization": f"Token {token}"}

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=strategy_for(operation, objects))
    def run(case):
        nonlocal ran
        ran += 1
        with transaction.atomic():
            response = None
            try:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # collect every failure, report them together
                status = getattr(response, "status_code", None)
                for title, code in failure_keys(exc, status):
                    if known_issue(case, response, title):
                        continue
                    failures.setdefault((operation.label, title, code), str(exc)[:3000])
            finally:
                transaction.set_rollback(True)

    run()
    return ran, failures


@pytest.mark.parametrize("role", ROLES)
def test_schema_fuzz_as_role(secworld, schema, role):
    total = 0
    failures: dict = {}
    for operation in operations(schema):
        ran, found = fuzz_operation(operation, secworld.objects, secworld.tokens[role], EXAMPLES)
        total += ran
        failures.update(found)
    CASES[role] = total
    print(f"\nschema fuzz as {role}: {total} cases over {len(operations(schema))} operations")
    for key in sorted(failures, key=str):
        print("FUZZFAIL", role, key)
    assert not failures, f"{len(failures)} kinds of failure as {role}:\n\n" + "\n\n".join(
        f"{key}\n{report}" for key, report in failures.items())
    if EXAMPLES >= 40:
        assert total * len(ROLES) >= MIN_CASES, f"only {total} cases as {role}: raise FUZZ_EXAMPLES"
