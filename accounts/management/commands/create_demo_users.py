from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import second_factor
from accounts.models import User
from accounts.roles import Role
from accounts.services import create_user
from core.context import ActionContext, acting
from regions.models import Level, Region

DEMO_PASSWORD = "Anju@2026demo"

# username, region code (None = first village of the town), roles, name
DEMO_USERS = [
    ("sx_admin", "61", [Role.ADMIN], "省级系统管理员"),
    ("sx_supervisor", "61", [Role.SUPERVISOR], "省住建厅监管员"),
    ("sx_auditor", "61", [Role.AUDITOR], "省级审计员"),
    ("yl_supervisor", "6108", [Role.SUPERVISOR], "榆林市监管员"),
    ("sd_county", "610826", [Role.COUNTY_STAFF], "绥德县住建局"),
    ("sd_appraiser", "610826", [Role.APPRAISER], "绥德县鉴定员"),
    ("sd_auditor", "610826", [Role.AUDITOR], "绥德县审计员"),
    ("sd_admin", "610826", [Role.ADMIN], "绥德县系统管理员"),
    ("sd_town", "610826100", [Role.TOWN_STAFF], "名州镇工作人员"),
    ("sd_village", None, [Role.VILLAGE_CADRE], "村干部"),
    ("sd_sampler", "610826", [Role.SAMPLER], "第三方抽查机构（陕西华安工程检测）"),
    ("mz_county", "610827", [Role.COUNTY_STAFF], "米脂县住建局（邻县）"),
]


class Command(BaseCommand):
    help = "Create one demo user per role and level (password printed; in DEBUG, fixed authenticators for the second factor)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        first_village = (
            Region.objects.under("610826100").filter(level=Level.VILLAGE, name__endswith="村委会").order_by("code").first()
            or Region.objects.under("610826100").filter(level=Level.VILLAGE).order_by("code").first()
        )
        rows = []
        with acting(ActionContext(source="command")):
            for username, code, roles, name in DEMO_USERS:
                code = code or (first_village.code if first_village else "610826100")
                if not User.objects.filter(username=username).exists():
                    create_user(
                        actor=None,
                        username=username,
                        password=opts["password"],
                        region_code=code,
                        roles=[str(r) for r in roles],
                        full_name=name,
                    )
                region = Region.objects.get(code=code)
                user = User.objects.get(username=username)
                mark = ""
                if second_factor.required(user):
                    mark = " *"
                    if settings.DEBUG and second_factor.device(user) is None:
                        second_factor.enrol_demo(user)
                rows.append(f"  {username:<14} {region.name}（{code}） {name}{mark}")
        self.stdout.write("演示账号（密码均为 {}）：".format(opts["password"]))
        self.stdout.write("\n".join(rows))
        if any(row.endswith(" *") for row in rows):
            if settings.DEBUG:
                self.stdout.write(
                    "* 这些账号登录时还须输入动态口令（第二因素）：运行 .venv/bin/python manage.py demo_otp 用户名"
                    " 打印当前口令，或把它打印的密钥加入手机身份验证器。"
                )
            else:
                self.stdout.write("* 这些账号首次登录时须用手机身份验证器扫码绑定动态口令。")
