import sys
import time

from django.core.management.base import BaseCommand, CommandError

from core.context import ActionContext, acting
from households.demo import generate
from households.models import Household


class Command(BaseCommand):
    help = "Generate a realistic demo county (default Suide 绥德县 610826, 20,000 households)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--county", default="610826")
        parser.add_argument("--households", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the county already has households")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        county, count = opts["county"], opts["households"]
        if opts["if_empty"] and Household.objects.within(county).exists():
            self.stdout.write(f"区划 {county} 已有农户数据，跳过生成")
            return
        start = time.monotonic()

        def progress(done: int) -> None:
            rate = done / max(time.monotonic() - start, 1e-6)
            sys.stderr.write(f"\r  已生成 {done:,}/{count:,} 户（{rate:,.0f} 户/秒）")
            sys.stderr.flush()

        try:
            with acting(ActionContext(source="command")):
                done = generate(county=county, count=count, seed=opts["seed"], progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        sys.stderr.write("\n")
        self.stdout.write(f"已生成 {done:,} 户演示数据，用时 {time.monotonic() - start:.1f} 秒")
