from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import anchor_audit, describe
from audit.verify import verify


class Command(BaseCommand):
    help = (
        "Verify the whole audit trail: the keyed chain, every anchor (a cut tail or an emptied table shows), "
        "the sealed reads of personal data. Seals and anchors first when intact; exits non-zero at the first fault."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-anchor", action="store_true", help="only check: seal and anchor nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["no_anchor"]:
            report, text = verify(), None
        else:
            report, anchor = anchor_audit(full=True)
            text = describe(report, anchor)
        if not report.ok:
            raise CommandError(report.message())
        self.stdout.write(text or report.message())
