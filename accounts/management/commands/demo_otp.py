from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import second_factor
from accounts.models import User


class Command(BaseCommand):
    help = "Print the current one-time code of a demo account (ANJU_DEBUG=1 only)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if not settings.DEBUG:
            raise CommandError("demo_otp 只用于演示环境（ANJU_DEBUG=1）。")
        user = User.objects.filter(username=opts["username"]).first()
        device = second_factor.device(user) if user else None
        if device is None or device.key != second_factor.demo_key(user.username):  # type: ignore[union-attr]
            raise CommandError(f"{opts['username']} 没有演示用的身份验证器（先运行 create_demo_users）。")
        self.stdout.write(f"{user.username} 当前动态口令：{second_factor.current_code(device)}")  # type: ignore[union-attr]
        self.stdout.write(f"（身份验证器密钥：{second_factor.secret(device)}，30 秒更新一次）")
