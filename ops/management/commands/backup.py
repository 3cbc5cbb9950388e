"""``manage.py backup [--output PATH]``: a consistent copy of the database, while the app runs.

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) into ``.sqlite3``.
PostgreSQL: ``pg_dump -Fc`` (custom format, for ``pg_restore``) into ``.dump``.
Default place: ``var/backups/ipfund-YYYYmmdd-HHMMSS.<ext>``. Prints the path as the last line.
Restore with ``manage.py restore PATH --yes`` (docs/operations.md).
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRES_ENGINE = "django.db.backends.postgresql"


def postgres_env_and_args(db: dict) -> tuple[dict[str, str], list[str]]:
    """libpq connection arguments from Django's settings; the password only ever in PGPASSWORD."""
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args: list[str] = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return env, args


def default_backup_path(extension: str) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    folder = Path(settings.VAR_DIR) / "backups"
    path = folder / f"ipfund-{stamp}{extension}"
    n = 1
    while path.exists():  # two backups in one second
        path = folder / f"ipfund-{stamp}-{n}{extension}"
        n += 1
    return path


def backup_sqlite(source: str, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def backup_postgres(db: dict, target: Path) -> None:
    env, args = postgres_env_and_args(db)
    command = ["pg_dump", "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(target), str(db["NAME"])]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise CommandError("找不到 pg_dump：请安装 PostgreSQL 客户端（postgresql-client）。") from exc
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise CommandError(f"pg_dump 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


class Command(BaseCommand):
    help = "备份数据库：SQLite 用在线备份 API，PostgreSQL 用 pg_dump -Fc；输出备份文件路径。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", help="备份文件路径（默认 var/backups/ipfund-YYYYmmdd-HHMMSS.sqlite3 或 .dump）")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="数据库别名（默认 default）")

    def handle(self, *args, **options) -> None:
        db = connections[options["database"]].settings_dict
        engine = db["ENGINE"]
        if engine == SQLITE_ENGINE:
            extension = ".sqlite3"
        elif engine == POSTGRES_ENGINE:
            extension = ".dump"
        else:
            raise CommandError(f"不支持备份此数据库引擎：{engine}")
        target = Path(options["output"]) if options["output"] else default_backup_path(extension)
        if target.exists() and target.is_dir():
            raise CommandError(f"输出路径是一个目录：{target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if engine == SQLITE_ENGINE:
            source = str(db["NAME"])
            if source == ":memory:" or not Path(source).exists():
                raise CommandError(f"SQLite 数据库文件不存在：{source}")
            target.unlink(missing_ok=True)
            backup_sqlite(source, target)
        else:
            backup_postgres(db, target)
        self.stdout.write(str(target))
