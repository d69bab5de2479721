"""The operator's path for the accounts no administrator may manage (the province's administrators
and auditors, ADR 0018): create one, or reset its password or authenticator. Passwords set here are
one-time passwords the owner changes at the first sign-in."""

import getpass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import second_factor, services
from accounts.models import User
from core.context import ActionContext, acting


class Command(BaseCommand):
    help = "Create an account (create USERNAME --region CODE --role ROLE) or reset it (reset-password / reset-otp USERNAME)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["create", "reset-password", "reset-otp"])
        parser.add_argument("username")
        parser.add_argument("--region", default="")
        parser.add_argument("--role", action="append", default=[])
        parser.add_argument("--name", default="")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        with acting(ActionContext(source="command")):
            try:
                self._run(opts)
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc

    def _password(self) -> str:
        first = getpass.getpass("一次性密码：")
        if first != getpass.getpass("再输入一次："):
            raise CommandError("两次输入的密码不一致。")
        return first

    def _run(self, opts):  # type: ignore[no-untyped-def]
        username = opts["username"]
        if opts["action"] == "create":
            if not opts["region"] or not opts["role"]:
                raise CommandError("请给出 --region 和 --role。")
            services.create_user(
                actor=None,
                username=username,
                password=self._password(),
                region_code=opts["region"],
                roles=opts["role"],
                full_name=opts["name"],
                must_change=True,
            )
            self.stdout.write(f"已创建 {username}；首次登录时须修改密码。")
            return
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有账号 {username}。")
        if opts["action"] == "reset-password":
            services.set_password(actor=None, user=user, password=self._password())
            self.stdout.write(f"已重置 {username} 的密码；下次登录时须修改。")
        else:
            second_factor.reset(actor=None, user=user)
            self.stdout.write(f"已重置 {username} 的动态口令；下次登录时重新绑定。")
