"""Reading PostgreSQL plans: ``EXPLAIN (FORMAT JSON)`` of a queryset or of every query a call issues."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext


def nodes(plan: dict) -> Iterator[dict]:
    """Every node of a plan tree (init plans and sub plans are children too)."""
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def queryset_plan(qs: QuerySet) -> dict:
    return json.loads(qs.explain(format="json"))[0]["Plan"]


def call_plans(call: Callable[[], object]) -> list[tuple[str, dict]]:
    """Run ``call`` and explain each SELECT it issued, as sent (psycopg binds on the client)."""
    with CaptureQueriesContext(connection) as ctx:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            raw = cursor.fetchone()[0]
            plans.append((sql, (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))
    return plans


def seq_scanned(plan: dict, tables: tuple[str, ...]) -> set[str]:
    return {n["Relation Name"] for n in nodes(plan) if n["Node Type"] == "Seq Scan" and n["Relation Name"] in tables}


def describe(plan: dict, depth: int = 0) -> str:
    """A compact text rendering for assertion messages."""
    label = plan["Node Type"]
    if "Relation Name" in plan:
        label += f" on {plan['Relation Name']}"
    if "Index Name" in plan:
        label += f" using {plan['Index Name']}"
    lines = ["  " * depth + label]
    for child in plan.get("Plans", []):
        lines.append(describe(child, depth + 1))
    return "\n".join(lines)
