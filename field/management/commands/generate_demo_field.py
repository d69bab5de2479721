from django.core.management.base import BaseCommand

from core.context import ActionContext, acting
from field.demo import generate


class Command(BaseCommand):
    help = "Demo field syncs that the server flags or holds as conflicts (skipped when any exist)."

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        with acting(ActionContext(source="command")):
            made = generate()
        self.stdout.write(f"已生成现场采集示例 {made} 条（含证据疑点和同步冲突）" if made else "已有现场采集示例，跳过生成")
