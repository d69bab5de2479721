from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from audit.hardening import OWNER, HardeningError, statements


class Command(BaseCommand):
    help = (
        "PostgreSQL: give the audit tables to the role anju_audit_owner and leave the application's role only "
        "SELECT and INSERT on them. Run as a superuser (e.g. DATABASE_URL=postgres://postgres@.../anju); --sql prints the script."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the role the application connects as")
        parser.add_argument("--sql", action="store_true", help="print the SQL instead of running it")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            sql = statements(opts["app_role"])
        except HardeningError as exc:
            raise CommandError(f"角色名不合法：{exc}") from exc
        if opts["sql"]:
            self.stdout.write(";\n".join(sql) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError("只适用于 PostgreSQL（SQLite 由锚点文件和密钥链保护）")
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cur.fetchone()[0]:
                raise CommandError("需要以数据库超级用户（如 postgres）运行")
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [opts["app_role"]])
            row = cur.fetchone()
            if row is None:
                raise CommandError(f"应用角色 {opts['app_role']} 不存在")
            if row[0]:
                raise CommandError(f"应用角色 {opts['app_role']} 是超级用户：任何权限都限制不了它，请让应用以普通角色连接")
            with transaction.atomic():
                for statement in sql:
                    cur.execute(statement)
        self.stdout.write(f"审计表已归 {OWNER} 所有；{opts['app_role']} 只能查询和追加")
