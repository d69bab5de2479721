import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from core.context import ActionContext, acting
from exchange import household_import
from exchange.ledger.hidden import hidden_lines
from exchange.mappings import hidden_entry, hidden_notes, saved_for
from exchange.readers import UnreadableFile
from exchange.tasks import noting, unmapped_headers


class Command(BaseCommand):
    help = "Import households from .xlsx or .csv as USER; prints one JSON line of counts."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the account the import acts as (its region and role apply)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--errors", help="write rejected rows with their reasons to this .xlsx")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from accounts.roles import Cap

        user = User.objects.filter(username=opts["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"用户 {opts['user']} 不存在或已停用")
        if not user.can(Cap.IMPORT):
            raise CommandError(f"用户 {opts['user']} 的角色无权导入数据")
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        saved = saved_for(user)  # the county's confirmed mapping, else the catalogue's proposal: no mapping step here
        try:
            with acting(ActionContext(source="command")):
                parsed = household_import.parse_file(path, path.name, user, mapping=saved.as_mapping() if saved else None)
                hides = hidden_lines(path, path.name)
                hidden = [hidden_entry(p.sheet, hides[p.sheet], p.header) for p in parsed.sheets if p.sheet in hides]
                noted: dict[str, Any] = {"count": 0, "sample": []}
                parsed.rows = noting(parsed.rows, noted, limit=None)
                totals = household_import.run(parsed, user=user, dry_run=opts["dry_run"])
                unmapped = unmapped_headers(parsed)
                if not opts["dry_run"]:
                    record(
                        "import.finish",
                        actor=user,
                        region_code=user.region_id or "",
                        object_type="file",
                        object_label=path.name,
                        after={"file": path.name, **totals.as_dict(), "unmapped": unmapped},
                    )
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        if opts["errors"] and totals.rejected_rows:
            household_import.write_errors(Path(opts["errors"]), parsed, totals.rejected_rows)
        if unmapped:
            self.stderr.write(_("未导入的列：%(h)s") % {"h": "、".join(unmapped)})
        for note in hidden_notes(hidden, len(parsed.sheets) > 1):
            self.stderr.write(note)
        for line, note in noted["sample"]:  # the judgements the page shows on its preview
            self.stderr.write(_("第 %(l)s 行：%(n)s") % {"l": line, "n": note})
        self.stdout.write(json.dumps(totals.as_dict()))
