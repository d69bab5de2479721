"""Delete uploads, error files and exports past ANJU_RETENTION_DAYS, and stale temporary files (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import retention
from core.context import ActionContext, acting


class Command(BaseCommand):
    help = "删除超过保存期限的导入文件、错误行文件和导出文件，以及遗留的临时文件（每天运行一次）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="保存天数（默认取 ANJU_RETENTION_DAYS）")
        parser.add_argument("--dry-run", action="store_true", help="只列出将删除的文件数，不删除")

    def handle(self, *args: Any, days: int | None = None, dry_run: bool = False, **options: Any) -> None:
        with acting(ActionContext(source="command")):
            purge = retention.run(days=days, dry_run=dry_run)
        verb = "将删除" if dry_run else "已删除"
        counts = "，".join(f"{kind} {n} 个" for kind, n in sorted(purge.counts.items())) or "无"
        self.stdout.write(f"{verb}（{purge.cutoff:%Y-%m-%d %H:%M} 之前）：{counts}；共 {purge.freed / 1048576:.1f} MB")
