from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.anchoring import anchor_audit
from audit.legacy import LegacyError, seal_legacy


class Command(BaseCommand):
    help = (
        "--from-legacy: check the audit chain written before the audit key (plain SHA-256), seal it under the key "
        "with one keyed event, and anchor the head. No event is rewritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-legacy", action="store_true", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            sealed = seal_legacy()
        except LegacyError as exc:
            raise CommandError(str(exc)) from exc
        report, _anchor = anchor_audit(full=True)
        if not report.ok:
            raise CommandError(report.message())
        done = _("旧版审计链已核对并以第 %(id)s 号事件封存") % {"id": sealed} if sealed else _("没有需要封存的旧版审计链")
        self.stdout.write(f"{done}；{report.message()}")
