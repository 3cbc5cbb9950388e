"""A gunicorn worker killed with SIGKILL mid-load leaves the ledger and the audit chains consistent.

Own PostgreSQL database (created and dropped here with psql), migrated by ``manage.py migrate``;
two workers on 127.0.0.1; ~50 concurrent approve / disburse / pledge-register requests; one worker
``kill -9``-ed once a third of them have answered.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlunsplit

import pytest
from django.db import connection

from tests.pledges.helpers import loan_body

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
N = 16  # approvals and disbursements each; plus N pledge registrations: 48 requests


def _psql(base: dict, sql: str) -> None:
    env = os.environ | ({"PGPASSWORD": base["PASSWORD"]} if base.get("PASSWORD") else {})
    args = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", base["HOST"] or "127.0.0.1", "-p", str(base["PORT"] or 5432),
            "-U", base["USER"] or "postgres", "-d", "postgres", "-c", sql]
    subprocess.run(args, check=True, env=env, capture_output=True, timeout=60)


def _manage(env: dict, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _wait_up(port: int, master: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if master.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/programs/", timeout=2)
        except urllib.error.HTTPError:
            if len(_workers(master.pid)) == 2:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not come up")


def _call(port: int, token: str, path: str, body: dict) -> int | str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:  # the killed worker's connections
        return type(exc).__name__


@pytest.fixture
def kill_db():
    """A dedicated, migrated PostgreSQL database; its DATABASE_URL. Dropped afterwards."""
    if shutil.which("psql") is None or not Path(PYTHON).with_name("gunicorn").exists():
        pytest.skip("needs psql and gunicorn")
    base = connection.settings_dict
    name = f"ipfund_audit_kill_{uuid.uuid4().hex[:8]}"
    _psql(base, f'CREATE DATABASE "{name}"')
    try:
        netloc = f"{base['USER'] or 'postgres'}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}"
        if base.get("PASSWORD"):
            netloc = f"{base['USER']}:{base['PASSWORD']}@{netloc.split('@', 1)[1]}"
        url = urlunsplit(("postgres", netloc, f"/{name}", "", ""))
        env = os.environ | {"DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0", "DJANGO_DEBUG": "1"}
        migrated = _manage(env, "migrate", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        yield env
    finally:
        _psql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_worker_killed_mid_load_leaves_ledger_and_audit_consistent(kill_db, tmp_path):
    env = kill_db
    loaded = _manage(env, "shell", "-c", f"from tests.audit.load_world import main; main({N})")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    world = json.loads(loaded.stdout.strip().splitlines()[-1])
    tokens = world["tokens"]
    calls = [(tokens["finance"], f"/api/v1/applications/{pk}/transitions/approve/", {}) for pk in world["approve"]]
    calls += [(tokens["finance"], f"/api/v1/applications/{pk}/transitions/disburse/",
               {"amount": "1000.00", "voucher_no": f"KILL-{pk}"}) for pk in world["disburse"]]
    calls += [(tokens["bank1_user" if i % 2 else "bank2_user"], "/api/v1/pledges/", loan_body()) for i in range(N)]
    calls = [calls[i] for i in sorted(range(len(calls)), key=lambda i: (i % N, i))]  # interleave the three kinds

    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        master = subprocess.Popen(
            [str(Path(PYTHON).with_name("gunicorn")), "config.wsgi:application", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        _wait_up(port, master, log)
        answered = threading.Semaphore(0)
        killed: list[int] = []

        def one(call):
            try:
                return _call(port, *call)
            finally:
                answered.release()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(one, call) for call in calls]
            for _i in range(len(calls) // 3):
                answered.acquire(timeout=30)
            victim = _workers(master.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            statuses = [f.result(timeout=40) for f in futures]
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=15)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()

    assert killed
    assert not [s for s in statuses if isinstance(s, int) and s >= 500], statuses
    assert sum(1 for s in statuses if s in (200, 201)) >= len(calls) // 3, statuses

    ledger = _manage(env, "verify_ledger")
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    audit = _manage(env, "verify_audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    checked = _manage(env, "shell", "-c", "from tests.audit.load_world import consistency; consistency()")
    assert checked.returncode == 0, checked.stderr[-3000:]
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    assert report["bad"] == [] and report["applications"] >= 2 * N
