from django.core.management.base import BaseCommand

from core.context import ActionContext, acting
from renovation.demo import generate


class Command(BaseCommand):
    help = "Demo renovation cases for a county's C and D houses, spread over the workflow, with funds (skipped if it has cases)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--county", default="610826")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        with acting(ActionContext(source="command")):
            made = generate(county=opts["county"])
        self.stdout.write(f"已生成危房改造演示数据 {made} 户" if made else "已有危房改造数据（或缺少演示账号），跳过生成")
