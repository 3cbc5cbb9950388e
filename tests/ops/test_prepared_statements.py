"""On PostgreSQL a statement a connection runs again and again is prepared (``IPFUND_DB_PREPARE``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_often_is_kept_prepared():
    with connection.cursor() as cursor:
        for _ in range(10):
            cursor.execute("SELECT %s::int + 1 AS ipfund_prepare_probe", [1])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%ipfund_prepare_probe%"])
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_once_is_not():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int + 1 AS ipfund_once_probe", [1])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%ipfund_once_probe%"])
        assert cursor.fetchone()[0] == 0


def _options(**env) -> str:
    code = "from config import settings; print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}).stdout


def test_postgresql_binds_on_the_server_and_prepares_by_default():
    options = _options(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert "('prepare_threshold', 5)" in options and "('server_side_binding', True)" in options


def test_zero_turns_both_off_for_a_transaction_pooler():
    options = _options(DATABASE_URL="postgres://u@127.0.0.1:5432/x", IPFUND_DB_PREPARE="0")
    assert "prepare_threshold" not in options and "server_side_binding" not in options


def test_sqlite_has_neither():
    assert "prepare_threshold" not in _options(DATABASE_URL="sqlite:///x.sqlite3")
