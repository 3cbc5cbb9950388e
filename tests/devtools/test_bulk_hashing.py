"""The bulk loader's fast links are byte for byte the chain's own: ``BulkLinker.link_raw`` (generated
encoders, no dicts) against ``link`` (``audit_chain.row_hash`` of ``Chain.hashed``), over every
registered chain and awkward values; and the writer-thread load against ``verify_audit``."""

import datetime as dt
import json
import random
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, models

from core import audit_chain
from core.audit_bulk import BulkLinker, json_value, stored_json, stored_value
from core.audit_chain import GENESIS, _plain

TEXTS = ["", "同意推荐", 'quote " back \\ slash', "tab\tnew\nline\x01\x1f", "emoji 🙂", "\u2028\u2029", "é"]
DICTS = [{}, {"b": 1, "a": "x"}, {"z": True, "y": None, "x": 1.5}, {"n": {"b": [1, 2], "a": Decimal("1.10")}},
         {"d": dt.date(2024, 1, 2), "k": (1, "t")}, {2: "int key", "s": "v"}, {"u": "统计", "é": False}]
ZONES = [dt.UTC, ZoneInfo("Asia/Shanghai"), dt.timezone(dt.timedelta(hours=-5)), None]


def _value(field: models.Field, rng: random.Random):
    if field.null and rng.random() < 0.2:
        return None
    if isinstance(field, models.DecimalField):
        return rng.choice([Decimal(rng.randrange(-10**6, 10**6)) / 1000, Decimal("0"), Decimal("1E+3"), "12.345",
                           7, Decimal("-0.005")])
    if isinstance(field, models.BooleanField):
        return rng.choice([True, False, 0, 1])
    if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
        return rng.choice([rng.randrange(1, 10**9), 0, "42", True])
    if isinstance(field, models.CharField | models.TextField):
        return rng.choice(TEXTS + [rng.randrange(100)])
    if isinstance(field, models.DateTimeField):
        zone = rng.choice(ZONES)
        return dt.datetime(2020, 1, 1, tzinfo=zone) + dt.timedelta(seconds=rng.randrange(10**8),
                                                                    microseconds=rng.choice([0, 1, 999_999]))
    if isinstance(field, models.DateField):
        return dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(5000))
    if isinstance(field, models.JSONField):
        return rng.choice(DICTS + [[1, "a", None], "text", 3, None])
    return rng.choice(TEXTS)


@pytest.mark.parametrize("chain", audit_chain.registered(), ids=lambda chain: chain.name)
def test_link_raw_gives_the_hashes_of_link(chain):
    rng = random.Random(chain.name)
    fields = {name: chain.model._meta.get_field(name) for name in chain.columns if name != "stream"}
    fast, reference = BulkLinker(chain), BulkLinker(chain)
    for linker in (fast, reference):
        for stream in ("", "program:7"):
            linker.tails[stream] = [0, 0, GENESIS, 0]
    defaults = {name: _value(field, rng) for name, field in fields.items()}
    for _ in range(300):
        values = {name: _value(field, rng) for name, field in fields.items() if rng.random() < 0.8}
        stream = rng.choice(("", "program:7"))
        seq, prev, digest = fast.link_raw(values, defaults, stream)
        stored = {name: stored_value(field)(values[name] if name in values else defaults[name])
                  for name, field in fields.items()}
        assert reference.link(stored, stream) == {"seq": seq, "prev_hash": prev, "hash": digest}


@pytest.mark.parametrize("value", [*TEXTS, *DICTS, None, 0, -7, 2**70, True, 1.25, float("nan"), Decimal("3.10"),
                                   dt.date(2024, 2, 29), [dt.date(2024, 1, 1), {"a": 1}], ("t", 1),
                                   *(dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=zone) for zone in ZONES)])
def test_json_value_is_what_canonical_writes(value):
    assert json_value(value) == json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_stored_json_is_json_value_of_the_stored_value():
    rng = random.Random(3)
    for chain in audit_chain.registered():
        for name in chain.columns:
            if name == "stream":
                continue
            field = chain.model._meta.get_field(name)
            for _ in range(50):
                value = _value(field, rng)
                assert stored_json(field)(value) == json_value(stored_value(field)(value)), (chain.name, name)


@pytest.mark.django_db(transaction=True)
def test_a_load_through_the_writer_verifies(settings):
    """On PostgreSQL the batches go through the writer thread and the indexes are rebuilt; the chains
    and the books verify, and every index and foreign key is back."""
    if connection.vendor != "postgresql":
        pytest.skip("the writer thread and the index rebuild are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
        indexes = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
        fks = cursor.fetchone()[0]
    call_command("generate_synthetic", applications=400, loans=60, seed=5, no_progress=True, stdout=StringIO())
    call_command("verify_audit", stdout=StringIO())
    call_command("verify_ledger", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
        assert cursor.fetchone()[0] == indexes
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
        assert cursor.fetchone()[0] == fks
