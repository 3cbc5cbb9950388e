"""``manage.py backup`` / ``manage.py restore``: SQLite online backups and pg_dump/pg_restore."""

import io
import re
import sqlite3
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection

from applicants.models import Applicant
from funding import ledger
from funding.models import EntryKind, LedgerEntry
from tests.factories import build_world, ensure_role_groups

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backups")


def _world():
    """build_world() in a transaction=True test: the role groups (a data migration) are gone after
    the previous such test's flush, so put them back first."""
    ensure_role_groups()
    return build_world()


def _backup(**options) -> Path:
    out = io.StringIO()
    call_command("backup", stdout=out, **options)
    return Path(out.getvalue().strip().splitlines()[-1])


def _change_data(world) -> None:
    Applicant.objects.filter(pk=world.enterprise1.pk).update(name="备份之后改的名字")
    ledger.post(budget=world.budgets["industrialization"], kind=EntryKind.ADJUSTMENT, amount=Decimal("1234.56"),
                memo="备份之后的追加")


def _verify_ledger_if_available() -> None:
    if "verify_ledger" in get_commands():
        call_command("verify_ledger", stdout=io.StringIO())  # raises CommandError on a violation


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_backup_writes_a_timestamped_sqlite_file_under_var_backups(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _world()
    path = _backup()
    assert path.parent == tmp_path / "backups"
    assert re.fullmatch(r"ipfund-\d{8}-\d{6}\.sqlite3", path.name)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM applicants_applicant").fetchone()[0] == 2


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_two_backups_in_the_same_second_do_not_overwrite_each_other(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert _backup() != _backup()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_into_a_fresh_file_has_the_backups_data(tmp_path):
    world = _world()
    entries = LedgerEntry.objects.count()
    path = _backup(output=str(tmp_path / "before.sqlite3"))
    _change_data(world)
    fresh = tmp_path / "fresh.sqlite3"

    call_command("restore", str(path), target=str(fresh), yes=True, stdout=io.StringIO())

    with sqlite3.connect(fresh) as db:
        name = db.execute("SELECT name FROM applicants_applicant WHERE id = ?", [world.enterprise1.pk]).fetchone()
        assert name == (world.enterprise1.name,)
        assert db.execute("SELECT count(*) FROM funding_ledgerentry").fetchone()[0] == entries


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_over_the_live_database_brings_back_the_backup_and_its_ledger_balances(tmp_path):
    world = _world()
    path = _backup(output=str(tmp_path / "before.sqlite3"))
    before = ledger.budget_figures(world.budgets["industrialization"])
    _change_data(world)

    call_command("restore", str(path), yes=True, stdout=io.StringIO())

    assert Applicant.objects.get(pk=world.enterprise1.pk).name == world.enterprise1.name
    assert not LedgerEntry.objects.filter(memo="备份之后的追加").exists()
    assert ledger.budget_figures(world.budgets["industrialization"]) == before
    _verify_ledger_if_available()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_without_yes_and_changes_nothing(tmp_path):
    world = _world()
    path = _backup(output=str(tmp_path / "before.sqlite3"))
    _change_data(world)
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert Applicant.objects.get(pk=world.enterprise1.pk).name == "备份之后改的名字"


def test_restore_rejects_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    with pytest.raises(CommandError, match="无法识别"):
        call_command("restore", str(junk), yes=True, stdout=io.StringIO())


def test_restore_of_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("restore", str(tmp_path / "nope.sqlite3"), yes=True, stdout=io.StringIO())


# --- PostgreSQL: pg_dump -Fc / pg_restore --------------------------------------------------------


def _psql(sql: str) -> None:
    db = connection.settings_dict
    subprocess.run(["psql", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U",
                    db["USER"] or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
                   check=True, capture_output=True)


def _query(dbname: str, sql: str, params=()) -> list[tuple]:
    import psycopg  # noqa: PLC0415  psycopg only for this PostgreSQL-only helper

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                         password=db["PASSWORD"] or None, dbname=dbname) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def scratch_database():
    name = f"ipfund_scratch_{uuid.uuid4().hex[:10]}"
    _psql(f'CREATE DATABASE "{name}"')
    yield name
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_backup_restores_into_a_scratch_database_with_the_backups_data(tmp_path, scratch_database):
    world = _world()
    entries = LedgerEntry.objects.count()
    path = _backup(output=str(tmp_path / "before.dump"))
    assert path.read_bytes()[:5] == b"PGDMP"
    _change_data(world)

    call_command("restore", str(path), dbname=scratch_database, yes=True, stdout=io.StringIO())

    name = _query(scratch_database, "SELECT name FROM applicants_applicant WHERE id = %s", [world.enterprise1.pk])
    assert name == [(world.enterprise1.name,)]
    assert _query(scratch_database, "SELECT count(*) FROM funding_ledgerentry") == [(entries,)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_restore_over_the_live_database_brings_back_the_backup_and_its_ledger_balances(tmp_path):
    world = _world()
    path = _backup(output=str(tmp_path / "before.dump"))
    before = ledger.budget_figures(world.budgets["industrialization"])
    _change_data(world)

    call_command("restore", str(path), yes=True, stdout=io.StringIO())

    assert Applicant.objects.get(pk=world.enterprise1.pk).name == world.enterprise1.name
    assert ledger.budget_figures(world.budgets["industrialization"]) == before
    _verify_ledger_if_available()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_backup_default_file_is_a_timestamped_dump(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    path = _backup()
    assert re.fullmatch(r"ipfund-\d{8}-\d{6}\.dump", path.name)
    assert path.read_bytes()[:5] == b"PGDMP"
