from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils.translation import gettext as _

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
        role = opts["app_role"]
        try:
            sql = statements(role)
        except HardeningError as exc:
            raise CommandError(_("角色名不合法：%(role)s") % {"role": exc}) from exc
        if opts["sql"]:
            self.stdout.write(";\n".join(sql) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError(_("只适用于 PostgreSQL（SQLite 由锚点文件和密钥链保护）"))
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cur.fetchone()[0]:
                raise CommandError(_("需要以数据库超级用户（如 postgres）运行"))
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cur.fetchone()
            if row is None:
                raise CommandError(_("应用角色 %(role)s 不存在") % {"role": role})
            if row[0]:
                raise CommandError(
                    _("应用角色 %(role)s 是超级用户：任何权限都限制不了它，请让应用以普通角色连接") % {"role": role}
                )
            with transaction.atomic():
                for statement in sql:
                    cur.execute(statement)
        self.stdout.write(_("审计表已归 %(owner)s 所有；%(role)s 只能查询和追加") % {"owner": OWNER, "role": role})
