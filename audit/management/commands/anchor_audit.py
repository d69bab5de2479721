from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import anchor_audit, describe, restart


class Command(BaseCommand):
    help = (
        "Seal settled reads of personal data into the audit chain, check the chain since the last anchor "
        "(--full: whole), then write a signed anchor of its head. Run hourly (docs/operations.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="check the whole chain, not only since the last anchor")
        parser.add_argument(
            "--restart", metavar="REASON", help="after restoring an older backup: record why, and start anchoring afresh"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["restart"] is not None:
            report, anchor = restart(opts["restart"])
        else:
            report, anchor = anchor_audit(full=opts["full"])
        if not report.ok:
            raise CommandError(report.message())
        self.stdout.write(describe(report, anchor))
