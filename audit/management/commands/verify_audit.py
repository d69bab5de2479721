from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import anchor_audit
from audit.verify import verify


class Command(BaseCommand):
    help = (
        "Verify the whole audit trail: the keyed chain, every anchor (a cut tail or an emptied table shows), "
        "the sealed reads of personal data. Seals and anchors first when intact; exits non-zero at the first fault."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-anchor", action="store_true", help="only check: seal and anchor nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        report = verify() if opts["no_anchor"] else anchor_audit(full=True)[0]
        if not report.ok:
            raise CommandError(report.message())
        self.stdout.write(report.message())
