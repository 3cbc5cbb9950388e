"""``manage.py restore PATH --yes``: put a backup made by ``manage.py backup`` back in place.

A ``.sqlite3`` backup is copied over the SQLite database (or ``--target FILE``) with SQLite's
backup API after Django's connections are closed: the copy is page for page, leaves no stale WAL
behind and is atomic for other readers. A ``pg_dump -Fc`` file is restored with
``pg_restore --clean --if-exists --single-transaction`` into the configured PostgreSQL database
(or ``--dbname NAME`` on the same server). Everything in the target is replaced, so the command
refuses to run without ``--yes``. Stop the app servers first (docs/operations.md).
"""

import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from .backup import POSTGRES_ENGINE, SQLITE_ENGINE, postgres_env_and_args

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def backup_kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgres"
    raise CommandError(f"无法识别的备份文件（既不是 SQLite 数据库，也不是 pg_dump -Fc 文件）：{path}")


def restore_sqlite(backup: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        status = src.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise CommandError(f"备份文件已损坏（{status}）：{backup}")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"恢复 SQLite 备份失败：{exc}") from exc
    finally:
        src.close()


def restore_postgres(backup: Path, db: dict, dbname: str) -> None:
    env, args = postgres_env_and_args(db)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
               *args, "-d", dbname, str(backup)]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise CommandError("找不到 pg_restore：请安装 PostgreSQL 客户端（postgresql-client）。") from exc
    if result.returncode != 0:
        raise CommandError(f"pg_restore 失败（退出码 {result.returncode}），数据库未改动：{result.stderr.strip()}")


class Command(BaseCommand):
    help = "从 manage.py backup 生成的备份恢复数据库（会覆盖现有数据，须加 --yes 确认）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="备份文件（.sqlite3 或 pg_dump -Fc 的 .dump）")
        parser.add_argument("--yes", action="store_true", help="确认覆盖目标数据库中的全部数据")
        parser.add_argument("--target", help="SQLite：恢复到此文件，而不是当前数据库")
        parser.add_argument("--dbname", help="PostgreSQL：恢复到同一服务器上的此数据库，而不是当前数据库")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="数据库别名（默认 default）")

    def handle(self, *args, **options) -> None:
        backup = Path(options["path"])
        if not backup.is_file():
            raise CommandError(f"备份文件不存在：{backup}")
        kind = backup_kind(backup)
        db = connections[options["database"]].settings_dict
        if kind == "sqlite":
            if options["target"]:
                target = Path(options["target"])
            elif db["ENGINE"] == SQLITE_ENGINE:
                target = Path(db["NAME"])
            else:
                raise CommandError("这是 SQLite 备份，而当前数据库不是 SQLite：请用 --target 指定要恢复到的文件。")
            where = str(target)
        else:
            if db["ENGINE"] != POSTGRES_ENGINE:
                raise CommandError("这是 PostgreSQL 备份（pg_dump），请设置 DATABASE_URL=postgres://… 后再恢复。")
            dbname = options["dbname"] or str(db["NAME"])
            where = f"PostgreSQL 数据库 {dbname}"
        if not options["yes"]:
            raise CommandError(f"恢复会覆盖{where}中的全部数据。确认无误后请加 --yes 重新运行。")

        connections.close_all()
        if kind == "sqlite":
            restore_sqlite(backup, target)
        else:
            restore_postgres(backup, db, dbname)
        self.stdout.write(f"已从 {backup} 恢复到 {where}。如代码比备份新，请再运行 manage.py migrate；"
                          "然后运行 manage.py verify_ledger 核对资金账。")
