from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import anchor_audit


class Command(BaseCommand):
    help = (
        "Seal settled reads of personal data into the audit chain, check the chain since the last anchor "
        "(--full: whole), then write a signed anchor of its head. Run hourly (docs/operations.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="check the whole chain, not only since the last anchor")

    def handle(self, *args: Any, **opts: Any) -> None:
        report, anchor = anchor_audit(full=opts["full"])
        if not report.ok:
            raise CommandError(report.message())
        if anchor is None:
            self.stdout.write(f"{report.message()}；没有新事件，未写新锚点")
        else:
            self.stdout.write(f"{report.message()}；已写第 {anchor.seq} 号锚点（第 {anchor.head_id} 号事件，共 {anchor.count} 条）")
