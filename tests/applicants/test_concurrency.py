import threading

import pytest
from django.db import close_old_connections, connection

from applicants import services
from applicants.errors import Conflict
from applicants.models import IPAsset, Role
from tests import factories

THREADS, PER_THREAD = 8, 20


@pytest.mark.django_db(transaction=True)
def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    connection.ensure_connection()
    assert connection.transaction_mode == "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
def test_sqlite_concurrent_registrations_never_lock_and_all_land():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own race tests")
    factories.ensure_role_groups()  # transaction=True tests flush the data migration's groups
    users = [factories.user_with_role(Role.APPLICANT) for _ in range(THREADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(index: int) -> None:
        try:
            start.wait()
            for n in range(PER_THREAD):
                services.ip_asset_register(by=users[index], kind="trademark", number=f"{index:02d}{n:06d}",
                                           title="巫山脆李", nice_class=31)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert IPAsset.objects.count() == THREADS * PER_THREAD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_registrations_of_one_number_give_one_asset_and_conflicts():
    factories.ensure_role_groups()
    users = [factories.user_with_role(Role.APPLICANT) for _ in range(THREADS)]
    outcomes: list[str] = []
    start = threading.Barrier(THREADS)

    def work(index: int) -> None:
        try:
            start.wait()
            services.ip_asset_register(by=users[index], kind="patent", number="201710601862.3", title="x")
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)
        except BaseException as exc:  # collected and asserted below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["ip_asset_owned_by_other"] * (THREADS - 1)
    assert IPAsset.objects.count() == 1
